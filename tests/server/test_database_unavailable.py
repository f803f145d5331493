"""While the database cannot be reached, the inbox and the pages answer 503 with Retry-After
(one warning line, no traceback), not 500: a real instance over real HTTP whose PostgreSQL
database is dropped under it, or whose SQLite file can no longer be opened."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from server import appkeys
from server.middlewares import DATABASE_RETRY_AFTER
from storage.database import Database, unavailable_reason
from tests.conftest import drop_postgres_database
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, free_port


@pytest.fixture
async def masto() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("masto") as fake:
        yield fake


async def _lose_database(a: Instance) -> None:
    """Make the instance's database unreachable, as an outage would."""
    url = make_url(a.config.database.url)
    database: Database = a.app[appkeys.DATABASE]
    if url.get_backend_name() == "postgresql":
        # Terminates every connection (FORCE) and the database is gone: reconnects fail.
        assert url.database
        await drop_postgres_database(url.database)
        return
    # The file moves away and a directory takes its name: SQLite cannot open it. Pooled
    # connections would keep the old inode open, so they are recycled, as after a restart of
    # the pool (pool_recycle, a worker that reconnects).
    path = Path(str(url.database))
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            os.rename(f"{path}{suffix}", f"{path}.lost{suffix}")
    path.mkdir()
    await database.dispose()


async def _outage(start: StartInstance, masto: FakeRemote,
                  caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """An inbox POST and a page GET before and after the database goes: 2xx, then 503 with
    Retry-After. Returns what was logged after it went."""
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    inbox = f"{a.actor('alice')}/inbox"
    page = a.actor("alice")

    def follow() -> bytes:
        return json.dumps(carol.activity("Follow", a.actor("alice"))).encode()

    http = masto.session  # resolves *.test to loopback
    async with http.get(page, headers={"Accept": "text/html"}) as resp:
        assert resp.status == 200
    body = follow()
    assert (await masto.send(inbox, body, masto.sign(carol, inbox, body))).status == 202

    await _lose_database(a)
    caplog.clear()
    caplog.set_level(logging.INFO)

    body = follow()
    async with http.post(inbox, data=body, headers=masto.sign(carol, inbox, body)) as resp:
        assert resp.status == 503, await resp.text()
        assert resp.headers["Retry-After"] == str(DATABASE_RETRY_AFTER)
    async with http.get(page, headers={"Accept": "text/html"}) as resp:
        assert resp.status == 503, await resp.text()
        assert resp.headers["Retry-After"] == str(DATABASE_RETRY_AFTER)
        assert "X-Request-Id" in resp.headers
    return list(caplog.records)


async def test_inbox_and_pages_answer_503_while_the_database_is_gone(
        start: StartInstance, masto: FakeRemote, caplog: pytest.LogCaptureFixture) -> None:
    records = await _outage(start, masto, caplog)
    warnings = [r for r in records if r.getMessage().startswith("database unavailable")]
    assert len(warnings) == 2
    assert all(r.exc_info is None for r in warnings)  # one line each, no traceback
    # The inbox writer's own log line is checked by the next test.
    assert [r.getMessage() for r in records
            if r.exc_info and r.name != "server.services.federation.inbound.inbox_writer"] == []
    statuses = [getattr(r, "status", None) for r in records
                if r.name == "dreamfeed.request" and getattr(r, "ms", None) is not None]
    assert statuses == [503, 503]


async def test_the_inbox_writer_logs_an_outage_without_a_traceback(
        start: StartInstance, masto: FakeRemote, caplog: pytest.LogCaptureFixture) -> None:
    records = await _outage(start, masto, caplog)
    assert [r.getMessage() for r in records if r.exc_info] == []


# --- which errors count as "unreachable" ----------------------------------------------------


@pytest.mark.postgres
async def test_a_closed_postgresql_port_is_unavailable() -> None:
    engine = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x")
    try:
        with pytest.raises(OSError) as caught:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert unavailable_reason(caught.value) is not None


async def test_bugs_are_not_outages(tmp_path: Path) -> None:
    """A missing table, a constraint, a write on a query_only reader: 500s, as before."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with database.writer.begin() as session:
            await session.execute(text("CREATE TABLE t (a INTEGER PRIMARY KEY)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        for statement, maker in (("SELECT * FROM nope", database.reader),
                                 ("INSERT INTO t VALUES (1)", database.writer),
                                 ("INSERT INTO t VALUES (2)", database.reader),
                                 ("SELEC 1", database.reader)):
            with pytest.raises(Exception) as caught:
                async with maker() as session:
                    await session.execute(text(statement))
            assert unavailable_reason(caught.value) is None, statement
    finally:
        await database.dispose()


async def test_remote_connection_errors_are_not_database_outages() -> None:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError) as caught:
            await http.get(f"http://127.0.0.1:{free_port()}/")
    assert unavailable_reason(caught.value) is None


def test_sqlite_result_codes() -> None:
    def error(name: str) -> sqlite3.OperationalError:
        exc = sqlite3.OperationalError("x")
        exc.sqlite_errorname = name
        return exc

    for name in ("SQLITE_CANTOPEN", "SQLITE_BUSY", "SQLITE_IOERR_READ", "SQLITE_FULL",
                 "SQLITE_READONLY_DBMOVED"):
        assert unavailable_reason(error(name)) is not None, name
    for name in ("SQLITE_ERROR", "SQLITE_READONLY", "SQLITE_CONSTRAINT_UNIQUE",
                 "SQLITE_CORRUPT", "SQLITE_NOTADB"):
        assert unavailable_reason(error(name)) is None, name
