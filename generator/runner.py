"""Running the generator service on a socket: alone (`dreamfeed generator serve`) or inside
another process (`dreamfeed serve` on a loopback port)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from generator.app import create_generator_app
from generator.engines.base import Engine

# Not aiohttp.access: Dreamfeed's server silences that one in favour of its own middleware.
ACCESS_LOG = logging.getLogger("dreamfeed.generator.access")


@asynccontextmanager
async def running_generator(engine: Engine, token: str, *, host: str = "127.0.0.1",
                            port: int = 0, access_log: bool = False) -> AsyncIterator[str]:
    """Serve until the block ends; yields the OpenAI-style base URL (`http://host:port/v1`).
    Port 0 takes a free port."""
    app = create_generator_app(token, engine)
    # handler_cancellation: a client that hangs up (or times out) cancels its request, so
    # the engine stops spending time on images nobody will receive.
    runner = web.AppRunner(app, access_log=ACCESS_LOG if access_log else None,
                           handle_signals=False, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}/v1"
    finally:
        await runner.cleanup()
