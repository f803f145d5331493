"""Engines and session factories, tuned per database.

SQLite runs in WAL mode, which lets readers run beside one writer. `Database` therefore keeps
two engines on SQLite: a pool of read-only connections (deferred transactions, `query_only`
so an accidental write fails loudly), and a single writer connection whose transactions open
with BEGIN IMMEDIATE, so writers in this process queue on the pool instead of spinning on
SQLITE_BUSY, and a read that turns into a write can never fail half-way. Other processes (a
standalone worker) wait on busy_timeout. PostgreSQL uses one pooled engine for both, with row
locks (FOR UPDATE SKIP LOCKED) where needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_READERS = 4


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened."""


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """A read-write engine (on SQLite: BEGIN IMMEDIATE transactions)."""
    if is_sqlite(url):
        return _sqlite_engine(url, echo=echo, writer=True, pool_size=pool_size)
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True, echo=echo)


def _sqlite_engine(url: str, *, echo: bool, writer: bool, pool_size: int) -> AsyncEngine:
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30},
                                 pool_size=pool_size, max_overflow=0)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The application's database: `reader()` sessions for queries, `writer` for changes.

    Use `async with db.reader() as session:` to read and
    `async with db.writer.begin() as session:` to change anything (commits on exit).
    """

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        if is_sqlite(url):
            self.write_engine = _sqlite_engine(url, echo=echo, writer=True, pool_size=1)
            # Each aiosqlite connection is a thread; a few readers saturate two cores.
            self.read_engine = _sqlite_engine(url, echo=echo, writer=False,
                                              pool_size=min(pool_size, SQLITE_READERS))
        else:
            self.write_engine = self.read_engine = make_engine(url, pool_size=pool_size,
                                                               echo=echo)
        self.writer = make_sessionmaker(self.write_engine)
        self.reader = make_sessionmaker(self.read_engine)

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def check_connection(engine: AsyncEngine) -> None:
    """Open one connection, or raise DatabaseUnavailable with a one-line reason."""
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # every driver raises its own types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseUnavailable(reason) from exc
