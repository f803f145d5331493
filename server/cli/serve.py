"""`dreamfeed serve`: run the instance until SIGTERM or SIGINT.

With more than one process (`[server] processes`, `--processes N`) the parent prepares the
database once (migrations, the instance actor and its key), then supervises N web processes
that share the port through SO_REUSEPORT (the kernel spreads connections among them). Each
is a whole instance: its own job workers (`jobs.workers` each), inbox writer and stream
bus subscription, so live events and cache invalidations reach every process over
PostgreSQL LISTEN/NOTIFY or Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shlex
import signal
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from server import appkeys, metrics
from server.app import StartupError, create_app
from server.config import Config, ConfigError, sqlite_file
from server.handlers.operations import with_metrics_token
from server.logs import setup_logging
from server.processes import Supervisor
from server.services.errors import ServiceError
from server.services.federation.instance import has_admin, prepare_instance
from storage.database import Database, DatabaseUnavailable, check_connection, is_sqlite
from storage.migrate import upgrade

log = logging.getLogger("dreamfeed")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the instance (web, federation, workers)")
    parser.add_argument("--host", help="listen address (default: server.host)")
    parser.add_argument("--port", type=int, help="listen port (default: server.port)")
    parser.add_argument("--processes", type=_positive_int, metavar="N",
                        help="web processes sharing the port (default: server.processes; "
                             "one per core on PostgreSQL, 1 on SQLite)")
    parser.set_defaults(handler=_serve)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def core_count() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def web_processes(config: Config, requested: int | None = None) -> int:
    """How many web processes to run: `requested` (--processes), else server.processes,
    else one per core on PostgreSQL and one on SQLite. Refuses several on SQLite without
    Redis: the in-process bus would keep each process's live events and cache
    invalidations to itself."""
    sqlite = is_sqlite(config.database.url)
    count = requested or config.server.processes or (1 if sqlite else core_count())
    if count > 1 and sqlite and not config.streaming.redis_url:
        source = "--processes" if requested else "server.processes"
        raise ConfigError(
            f"{source} is {count}, but with SQLite and no [streaming] redis_url live events "
            "and cache invalidations stay inside the process that made them; set "
            "[streaming] redis_url, use PostgreSQL, or run one process")
    return count


def _serve(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    setup_logging(config.logging.level, config.logging.format)
    host = args.host or config.server.host
    port = args.port or config.server.port
    processes = web_processes(config, args.processes)
    # Made (and logged) once, before the processes: they must all accept the same token.
    config = with_metrics_token(config)
    if config.metrics.enabled:
        metrics.sweep_dead()
    hint = admin_command(args.config)
    if processes == 1:
        return _started(serve(config, host, port, admin_hint=hint), host, port)
    if _started(prepare_once(config, host, port, admin_hint=hint), host, port) != 0:
        return 1
    if config.ratelimits.enabled and config.ratelimits.storage.startswith("memory://"):
        log.warning("rate limits are counted in each of the %d processes apart "
                    "([ratelimits] storage is memory://); set it to redis:// to share them",
                    processes)
    log.info("serving http://%s:%d as %s with %d processes", host, port, config.base_url,
             processes)
    if not config.metrics.enabled:
        return Supervisor("web", _web_child, (config, host, port), processes).run()
    # The children count into one directory and each scrape sums it (server/metrics.py).
    _directory, mark_dead, remove = metrics.multiprocess_dir()
    try:
        return Supervisor("web", _web_child, (config, host, port), processes,
                          on_exit=mark_dead).run()
    finally:
        remove()


def _started(run: Coroutine[Any, Any, None], host: str, port: int) -> int:
    """Run it; a failure to start (startup checks, the port) is one line and exit 1."""
    try:
        asyncio.run(run)
    except StartupError as exc:
        print(f"dreamfeed: cannot start: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"dreamfeed: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def admin_command(config_arg: str | None) -> str:
    """The command that creates an administrator, as this `serve` was typed (the same
    program and --config), for the hint logged while the instance has none."""
    program = sys.argv[0] if os.path.basename(sys.argv[0]) == "dreamfeed" else "dreamfeed"
    config = f" --config {shlex.quote(config_arg)}" if config_arg else ""
    return f"{shlex.quote(program)}{config} user add NAME --admin"


async def log_start(config: Config, database: Database, host: str, port: int,
                    admin_hint: str | None) -> None:
    """What someone starting the instance needs: the address to open, which instance and
    database this is, and, while it has no administrator, the command that makes one."""
    where = sqlite_file(config.database.url) or "PostgreSQL"
    log.info("listening on http://%s:%d: open %s (instance %s, database %s)", host, port,
             config.base_url, config.instance.domain, where)
    if admin_hint is not None and not await has_admin(database.reader):
        log.warning("no administrator yet; create one with: %s", admin_hint)


async def prepare_once(config: Config, host: str, port: int, *,
                       admin_hint: str | None = None) -> None:
    """What must happen once before the web processes start: migrate, lock the domain and
    create the instance actor with its key (two processes racing would create two), and
    check that nothing else listens on the port (a socket without SO_REUSEPORT cannot bind
    beside one that has it, so an instance already running there is caught here instead of
    silently sharing the port)."""
    database = Database(config.database.url, pool_size=config.database.pool_size)
    try:
        await check_connection(database.write_engine)
        await upgrade(database.write_engine)
        await prepare_instance(database.writer, config)
        if admin_hint is not None and not await has_admin(database.reader):
            log.warning("no administrator yet; create one with: %s", admin_hint)
    except DatabaseUnavailable as exc:
        raise StartupError(f"database.url: cannot open the database: {exc}") from None
    except ServiceError as exc:
        raise StartupError(str(exc)) from None
    finally:
        await database.dispose()
    probe = await asyncio.get_running_loop().create_server(asyncio.Protocol, host, port,
                                                           reuse_address=True)
    probe.close()
    await probe.wait_closed()


def _web_child(ready: Callable[[], None], config: Config, host: str, port: int) -> int:
    """One web process under the supervisor (it stops on the SIGTERM the parent sends)."""
    setup_logging(config.logging.level, config.logging.format)
    return _started(serve(config, host, port, reuse_port=True, migrate=False,
                          signals=(signal.SIGTERM,), on_ready=ready), host, port)


LISTEN_BACKLOG = 1024


async def serve(config: Config, host: str, port: int, *, reuse_port: bool = False,
                migrate: bool = True,
                signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
                on_ready: Callable[[], None] | None = None,
                admin_hint: str | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(create_app(config, migrate=migrate), access_log=None,
                           handle_signals=False)
    await runner.setup()
    try:
        # A deep accept queue: streaming clients reconnect all at once after a restart.
        site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG,
                           reuse_port=reuse_port or None)
        await site.start()
        await log_start(config, runner.app[appkeys.DATABASE], host, port, admin_hint)
        if on_ready is not None:
            on_ready()
        await stop.wait()
        log.info("shutting down")
    finally:
        await runner.cleanup()
