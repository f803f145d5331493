"""`dreamfeed serve`: run the instance until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from aiohttp import web

from server.app import StartupError, create_app
from server.config import Config
from server.logs import setup_logging

log = logging.getLogger("dreamfeed")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the instance (web, federation, workers)")
    parser.add_argument("--host", help="listen address (default: server.host)")
    parser.add_argument("--port", type=int, help="listen port (default: server.port)")
    parser.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    setup_logging(config.logging.level, config.logging.format)
    host = args.host or config.server.host
    port = args.port or config.server.port
    try:
        asyncio.run(serve(config, host, port))
    except StartupError as exc:
        print(f"dreamfeed: cannot start: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dreamfeed: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


LISTEN_BACKLOG = 1024


async def serve(config: Config, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(create_app(config), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        # A deep accept queue: streaming clients reconnect all at once after a restart.
        site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
        await site.start()
        log.info("listening on http://%s:%d as %s", host, port, config.base_url)
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()
