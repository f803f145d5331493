"""What every CLI command needs: the database opened with a clear one-line error, and the
one `Services` object (with the image backend for the commands that generate)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.config import Config, sqlite_file
from server.images.embedded import open_image_backend
from server.ratelimit import RateLimiter
from server.services.context import Services, load_instance_key
from server.services.errors import ServiceError
from server.services.federation.instance import prepare_instance
from server.services.media.stores import open_media_store
from server.services.streaming.bus import StreamBus
from storage.database import (
    Database,
    DatabaseUnavailable,
    check_connection,
    make_engine,
    make_sessionmaker,
)
from storage.media_files import MediaStoreUnavailable
from storage.migrate import current_revision, head_revision, upgrade
from storage.pagination import MAX_LIMIT

T = TypeVar("T")


def page_limit(text: str) -> int:
    """argparse type for --limit: a page size clients may ask for."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text!r}") from None
    if not 1 <= value <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_LIMIT}, not {value}")
    return value


def row_id(text: str) -> int:
    """argparse type for --max-id and other ids printed by a command."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be an id, not {text!r}")
    return int(text)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def announce_new_instance(config: Config) -> None:
    """A command about to create a SQLite database says where, and for which domain, on
    stderr: one typed with another configuration than `serve`'s would otherwise act on an
    empty instance of its own without a word."""
    path = sqlite_file(config.database.url)
    if path is not None and not path.exists():
        print(f"dreamfeed: no database at {path} yet: creating a new instance "
              f"{config.instance.domain} there", file=sys.stderr)


@asynccontextmanager
async def open_database(config: Config) -> AsyncIterator[
        tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    announce_new_instance(config)
    engine = make_engine(config.database.url, pool_size=config.database.pool_size)
    try:
        try:
            await check_connection(engine)
        except DatabaseUnavailable as exc:
            raise CommandError(f"database.url: cannot open the database: {exc}") from None
        yield engine, make_sessionmaker(engine)
    finally:
        await engine.dispose()


def run_with_services(args: argparse.Namespace,
                      action: Callable[[Services], Awaitable[None]]) -> int:
    """Open the services, run `action`, and turn refusals (a service's or a remote
    server's) into one line on stderr."""
    from server.services.federation.remote import RemoteError  # imports the HTTP stack: only here

    config: Config = args.config_obj

    async def body() -> None:
        async with open_services(config) as services:
            try:
                await action(services)
            except (ServiceError, RemoteError) as exc:
                raise CommandError(str(exc)) from None

    return run_command(body)


def run_command(main: Callable[[], Awaitable[T]]) -> int:
    """Run an async command body; CommandError becomes one line on stderr and exit code 1."""
    try:
        asyncio.run(_call(main))
    except CommandError as exc:
        print(f"dreamfeed: {exc}", file=sys.stderr)
        return 1
    return 0


async def _call(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


async def require_migrated(engine: AsyncEngine) -> None:
    if await current_revision(engine) != head_revision():
        raise CommandError("the database schema is not up to date; run `dreamfeed db upgrade`")


@asynccontextmanager
async def open_app_database(config: Config, *, migrate: bool = True) -> AsyncIterator[Database]:
    """The database as `serve` opens it (reader pool and single writer), checked, and
    migrated unless migrate=False, in which case the schema must already be current (and a
    SQLite file that is not there is refused, not created empty)."""
    path = sqlite_file(config.database.url)
    if not migrate and path is not None and not path.exists():
        raise CommandError(f"no database at {path}: start the instance first (`dreamfeed "
                           "serve` or `dreamfeed db upgrade`), or set database.url to its "
                           "database")
    announce_new_instance(config)
    database = Database(config.database.url, pool_size=config.database.pool_size)
    try:
        try:
            await check_connection(database.write_engine)
        except DatabaseUnavailable as exc:
            raise CommandError(f"database.url: cannot open the database: {exc}") from None
        if migrate:
            await upgrade(database.write_engine)
        else:
            await require_migrated(database.write_engine)
        yield database
    finally:
        await database.dispose()


@asynccontextmanager
async def open_services(config: Config, *, migrate: bool = True,
                        publish: bool = True) -> AsyncIterator[Services]:
    """Database, HTTP client and instance key, as `serve` has them, for one CLI command.
    With migrate=False the schema must already be current (a standalone worker must not
    race the web processes to migrate). With `publish`, what the command commits is
    published on the bus (without listening), so the running processes follow a domain
    block or a suspension made here at once; publish=False: the caller runs its own bus."""
    from server.app import make_http_client  # the app module wires the same client

    async with open_app_database(config, migrate=migrate) as database:
        try:
            instance_actor_id = await prepare_instance(database.writer, config)
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        async with make_http_client(config) as http, open_media_store(config) as media:
            try:
                await media.check()
            except MediaStoreUnavailable as exc:
                raise CommandError(f"media: {exc}") from None
            # Rate limits shared with the web processes when [ratelimits] storage is redis.
            limiter = RateLimiter(config.ratelimits)
            services = Services(config=config, db=database, http=http,
                                media=media, limiter=limiter)
            bus = StreamBus(services.hub, database, redis_url=config.streaming.redis_url)
            try:
                await load_instance_key(services, instance_actor_id)
                if publish:
                    await bus.start(listen=False)
                    services.stream = bus
                yield services
            finally:
                await bus.stop()  # sends what was committed (a few seconds at most)
                await limiter.close()


@asynccontextmanager
async def image_backend_opened(services: Services) -> AsyncIterator[Services]:
    """`services` with its image backend (starting the in-process generator when configured
    so), for the commands that generate; opened only then, as it may start a service."""
    async with open_image_backend(services.config) as backend:
        services.image_backend = backend
        try:
            yield services
        finally:
            services.image_backend = None
