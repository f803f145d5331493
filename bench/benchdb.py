"""Databases for the benchmarks: a SQLite file, or a fresh PostgreSQL database dropped after."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        conn = await asyncpg.connect(_dsn(url), timeout=3)
    except Exception as exc:
        return str(exc) or type(exc).__name__
    await conn.close()
    return None


@asynccontextmanager
async def database(url: str | None, tmp: Path) -> AsyncIterator[str]:
    """A URL to an empty database: a SQLite file in `tmp` (for None or "sqlite"), the SQLite
    URL given, or a fresh PostgreSQL database beside the one `url` names, dropped afterwards."""
    if url is None or url == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    if url.startswith("sqlite"):
        yield url
        return
    name = f"dreamfeed_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin = await asyncpg.connect(_dsn(url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
