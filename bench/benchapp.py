"""The real app on a loopback port for the benchmarks (rate limits and the daily quota off),
and images made through the real generation pipeline."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

from server import appkeys
from server.app import create_app
from server.config import build_config
from server.services.context import Services
from server.services.generation import generate


@asynccontextmanager
async def loopback_app(database_url: str, tmp: Path, *, backlog: int = 128,
                       port: int = 0) -> AsyncIterator[tuple[web.Application, str]]:
    """(the app, its base URL http://127.0.0.1:PORT), cleaned up on exit; on a free port
    unless `port` names one."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(backlog)
    port = sock.getsockname()[1]
    config = build_config({
        "instance": {"domain": f"127.0.0.1:{port}", "scheme": "http", "name": "Bench"},
        "database": {"url": database_url}, "media": {"path": str(tmp / "media")},
        "jobs": {"workers": 0}, "ratelimits": {"enabled": False},
        "generator": {"daily_limit": 100_000},
    })
    app = create_app(config)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=backlog).start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def make_images(app: web.Application, account_id: int, count: int) -> list[int]:
    """`count` small images for a local account, four per generation."""
    services: Services = app[appkeys.SERVICES]
    made: list[int] = []
    while len(made) < count:
        view = await generate.request_generation(services, account_id, "a bench landscape",
                                                 size="256x256", n=min(4, count - len(made)))
        await app[appkeys.WORKER_POOL].run_until_empty()
        done = await generate.get_generation(services, view.id)
        made.extend(m.id for m in done.media)
    return made
