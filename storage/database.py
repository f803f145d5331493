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

import traceback
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.post_search import register_sqlite_functions

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
        # The search index's triggers call it on every write of a post (storage/post_search).
        register_sqlite_functions(dbapi_connection)

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


# PostgreSQL SQLSTATEs that describe the server, not the statement: connection exceptions
# (08), out of resources (53: too many connections, disk full), operator intervention
# (57P: shutdown, crash, starting up, database dropped), system errors (58: I/O), the
# database gone (3D000) or our credentials refused (28). A retry later can succeed.
_POSTGRES_UNAVAILABLE = ("08", "53", "57P", "58", "3D000", "28")
# SQLite result codes of the same kind: the file cannot be opened, stays locked past
# busy_timeout, fails to read or write, or the disk is full. Plain SQLITE_READONLY is left
# out: a write on a query_only reader is a bug; only its extended codes (file moved, directory
# read-only, cannot lock) are the environment's.
_SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR",
                       "SQLITE_FULL", "SQLITE_READONLY_")


def unavailable_reason(exc: BaseException) -> str | None:
    """A one-line reason when `exc` says the database cannot be used right now (unreachable,
    gone, refusing connections, locked, out of disk); None for anything else, which is a bug
    and stays one (bad SQL, a missing table, a constraint)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _says_unavailable(current):
            text = str(current).strip()
            first = text.splitlines()[0] if text else ""
            return f"{type(current).__name__}: {first}" if first else type(current).__name__
        current = current.__cause__ or current.__context__
    return None


def _says_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True  # the dialect recognised a dropped connection
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # no pooled connection came free in time / the pool gave up on one
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_POSTGRES_UNAVAILABLE):
        return True
    errorname = getattr(exc, "sqlite_errorname", None)
    if isinstance(errorname, str) and errorname.startswith(_SQLITE_UNAVAILABLE):
        return True
    # asyncpg lets socket errors through as they are (refused, unreachable, timed out): only
    # one raised inside the driver is about the database, not a remote server we fetched.
    return isinstance(exc, OSError) and any(
        str(frame.f_globals.get("__name__", "")).startswith("asyncpg.")
        for frame, _ in traceback.walk_tb(exc.__traceback__))
