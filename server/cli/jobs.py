"""`dreamfeed jobs list|retry|purge` and `dreamfeed worker`."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from server.cli.common import (
    CommandError,
    image_backend_opened,
    open_app_database,
    open_services,
    run_command,
)
from server.config import Config
from server.images import decode_slots
from server.jobs.handlers import default_registry
from server.jobs.registry import JobResources
from server.jobs.worker import WorkerPool
from server.logs import setup_logging
from server.processes import Supervisor
from server.services.errors import ServiceError
from server.services.federation.instance import prepare_instance
from server.services.moderation import dead_letters
from server.services.reading import job_queue
from server.services.reading.job_queue import JobRecord
from server.services.streaming.bus import BusUnavailable, StreamBus
from storage.types import utcnow

ERROR_WIDTH = 60
# Seconds `dreamfeed worker` lets running jobs finish after SIGTERM before handing them back.
SHUTDOWN_TIMEOUT = 30.0


def register(subparsers: Any) -> None:
    jobs = subparsers.add_parser("jobs", help="inspect and manage the job queue")
    sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")

    listing = sub.add_parser("list", help="show jobs, oldest first")
    listing.add_argument("--state", choices=job_queue.STATES)
    listing.add_argument("--kind", metavar="KIND")
    listing.add_argument("--limit", type=_positive_int, default=50, metavar="N")
    listing.add_argument("--after", type=int, metavar="ID",
                         help="start after this job id (the last one of the previous page)")
    listing.set_defaults(handler=_list_command)

    retry = sub.add_parser("retry", help="requeue dead jobs to run now")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", nargs="*", type=int, default=[], metavar="ID")
    which.add_argument("--all-dead", action="store_true", help="requeue every dead job")
    retry.set_defaults(handler=_retry_command)

    purge = sub.add_parser("purge", help="delete dead jobs")
    purge.add_argument("--older-than-days", type=float, metavar="N",
                       help="only jobs dead-lettered more than N days ago")
    purge.set_defaults(handler=_purge_command)

    worker = subparsers.add_parser("worker", help="run job workers until SIGTERM or SIGINT")
    worker.add_argument("--concurrency", type=_positive_int, metavar="N",
                        help="jobs run at once (default: jobs.workers, or 2 when that is 0)")
    worker.add_argument("--processes", type=_positive_int, default=1, metavar="N",
                        help="worker processes, each running --concurrency jobs at a time "
                             "(default 1; the number of cores uses them all)")
    worker.set_defaults(handler=_worker_command)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _list_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj

    async def body() -> None:
        async with open_app_database(config, migrate=False) as database:
            listing = await job_queue.list_jobs(database, state=args.state, kind=args.kind,
                                                limit=args.limit, after_id=args.after)
        print(format_table(listing.jobs) if listing.jobs else "no jobs")
        print(", ".join(f"{n} {state}" for state, n in listing.counts.items()))

    return run_command(body)


def format_table(rows: list[JobRecord]) -> str:
    header = ("ID", "KIND", "STATE", "ATTEMPTS", "RUN AT (UTC)", "LAST ERROR")
    lines = [header] + [(str(j.id), j.kind, j.state, str(j.attempts),
                         j.run_at.strftime("%Y-%m-%d %H:%M:%S"), _shorten(j.last_error))
                        for j in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in lines)


def _shorten(error: str | None) -> str:
    if not error:
        return ""
    flat = " ".join(error.split())
    return flat if len(flat) <= ERROR_WIDTH else flat[:ERROR_WIDTH - 1] + "…"


def _retry_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    ids: list[int] | None = None if args.all_dead else args.ids

    async def body() -> None:
        # Through the same service as /admin/deliveries, so both are in the audit log.
        async with open_app_database(config, migrate=False) as database:
            try:
                count = await dead_letters.retry(database, ids, actor_account_id=None)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None
        print(f"requeued {count} dead job{'' if count == 1 else 's'}")
        if ids is not None and count < len(set(ids)):
            raise CommandError(f"{len(set(ids)) - count} of the given ids are not dead jobs")

    return run_command(body)


def _purge_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    older_than: datetime | None = None
    if args.older_than_days is not None:
        older_than = utcnow() - timedelta(days=args.older_than_days)

    async def body() -> None:
        async with open_app_database(config, migrate=False) as database:
            count = await dead_letters.purge(database, older_than=older_than,
                                             actor_account_id=None)
        print(f"purged {count} dead job{'' if count == 1 else 's'}")

    return run_command(body)


def _worker_command(args: argparse.Namespace) -> int:
    config: Config = args.config_obj
    concurrency: int = args.concurrency or config.jobs.workers or 2
    setup_logging(config.logging.level, config.logging.format)
    if args.processes == 1:
        return _run_worker(config, concurrency)

    async def prepare() -> None:
        # Once, before the children: the schema check, and the instance actor and its key
        # (children racing to create them would make two).
        async with open_app_database(config, migrate=False) as database:
            try:
                await prepare_instance(database.writer, config)
            except ServiceError as exc:
                raise CommandError(str(exc)) from None

    if run_command(prepare) != 0:
        return 1
    return Supervisor("worker", _worker_child, (config, concurrency), args.processes).run()


def _worker_child(ready: Callable[[], None], config: Config, concurrency: int) -> int:
    """One worker process under the supervisor (it stops on the SIGTERM the parent sends)."""
    setup_logging(config.logging.level, config.logging.format)
    return _run_worker(config, concurrency, signals=(signal.SIGTERM,), on_ready=ready)


def _run_worker(config: Config, concurrency: int, *,
                signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT),
                on_ready: Callable[[], None] | None = None) -> int:
    decode_slots.configure(config.media.decode_concurrency)

    async def body() -> None:
        async with open_services(config, migrate=False, publish=False) as services, \
                image_backend_opened(services):
            resources = JobResources(config=config, sessionmaker=services.db.writer,
                                     services=services)
            pool = WorkerPool(resources, default_registry(), concurrency=concurrency)
            # What the jobs change (generation progress, remote posts) reaches the web
            # processes' streams over the bus (on SQLite the web process must run the jobs).
            bus = StreamBus(services.hub, services.db, redis_url=config.streaming.redis_url)
            try:
                await bus.start()
            except BusUnavailable as exc:
                raise CommandError(f"streaming: {exc}") from None
            services.stream = bus
            await pool.start()
            print(f"worker {pool.name} running {concurrency} at a time; "
                  "SIGTERM or Ctrl-C stops it", flush=True)
            if on_ready is not None:
                on_ready()
            try:
                await _wait_for_signal(signals)
            finally:
                await pool.stop(SHUTDOWN_TIMEOUT)
                await bus.stop()
        print("worker stopped", flush=True)

    return run_command(body)


async def _wait_for_signal(signals: tuple[signal.Signals, ...]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
