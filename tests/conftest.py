"""Shared fixtures. Database-backed tests run once on SQLite and once on PostgreSQL.

PostgreSQL comes from $DREAMFEED_TEST_POSTGRES_URL (default: the local server in CI). Each test
gets a database of its own, created from scratch and dropped afterwards. Outside CI the
PostgreSQL half is skipped, with the reason, when no server answers; in CI it must answer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from server.config import Config, build_config
from storage.database import Database, make_engine
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get("DREAMFEED_TEST_POSTGRES_URL",
                              "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

_postgres_state: dict[str, str | None] = {}


async def _postgres_unavailable_reason() -> str | None:
    if "reason" not in _postgres_state:
        try:
            conn = await asyncpg.connect(_dsn(POSTGRES_URL), timeout=3)
            await conn.close()
            _postgres_state["reason"] = None
        except Exception as exc:
            _postgres_state["reason"] = f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}"
    return _postgres_state["reason"]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def create_postgres_database(name: str) -> str:
    """A new, empty database on the test server; returns its URL."""
    admin = await asyncpg.connect(_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(name: str) -> None:
    admin = await asyncpg.connect(_dsn(POSTGRES_URL))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A URL to an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'dreamfeed.db'}"
        return
    reason = await _postgres_unavailable_reason()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    name = f"dreamfeed_test_{uuid.uuid4().hex[:12]}"
    url = await create_postgres_database(name)
    try:
        yield url
    finally:
        await drop_postgres_database(name)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on each kind of database."""
    eng = make_engine(database_url)
    await upgrade(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
async def database(engine: AsyncEngine, database_url: str) -> AsyncIterator[Database]:
    """A migrated database of each kind, as the app opens it."""
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()


def make_test_config(database_url: str, tmp_path: Path, **sections: dict[str, object]) -> Config:
    raw: dict[str, dict[str, object]] = {
        "instance": {"domain": "dreamfeed.test", "scheme": "http"},
        "database": {"url": database_url},
        "media": {"path": str(tmp_path / "media")},
        "federation": {"allow_private_addresses": True},
        "jobs": {"workers": 0, "poll_interval": 0.05},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return build_config(raw)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return make_test_config(database_url, tmp_path)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No DREAMFEED_* variables from the outer environment leak into a test."""
    for var in list(os.environ):
        if var.startswith("DREAMFEED_") and var != "DREAMFEED_TEST_POSTGRES_URL":
            monkeypatch.delenv(var)
    yield
