"""What every CLI command needs: the database opened with a clear one-line error."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.config import Config
from storage.database import DatabaseUnavailable, check_connection, make_engine, make_sessionmaker

T = TypeVar("T")


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


@asynccontextmanager
async def open_database(config: Config) -> AsyncIterator[
        tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    engine = make_engine(config.database.url, pool_size=config.database.pool_size)
    try:
        try:
            await check_connection(engine)
        except DatabaseUnavailable as exc:
            raise CommandError(f"database.url: cannot open the database: {exc}") from None
        yield engine, make_sessionmaker(engine)
    finally:
        await engine.dispose()


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
