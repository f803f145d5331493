from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.federation.harness import Instance, start_instance

StartInstance = Callable[..., Coroutine[Any, Any, Instance]]


@pytest.fixture
async def start(database_url: str, tmp_path: Path) -> AsyncIterator[StartInstance]:
    """Start instances on loopback, each with a database of its own of the kind under test."""
    started: list[Instance] = []
    created_dbs: list[str] = []

    async def _start(name: str, **kwargs: Any) -> Instance:
        url = await _database_for(name, database_url, tmp_path, created_dbs)
        instance = await start_instance(name, url, tmp_path, **kwargs)
        started.append(instance)
        return instance

    yield _start
    for instance in reversed(started):
        await instance.runner.cleanup()
    await _drop(database_url, created_dbs)


async def _database_for(name: str, database_url: str, tmp_path: Path,
                        created: list[str]) -> str:
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
    import asyncpg

    url = make_url(database_url)
    db_name = f"{url.database}_{name}"
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        await conn.execute(f'CREATE DATABASE "{db_name}"')
    finally:
        await conn.close()
    created.append(db_name)
    return url.set(database=db_name).render_as_string(hide_password=False)


async def _drop(database_url: str, names: list[str]) -> None:
    if not names:
        return
    import asyncpg

    conn = await asyncpg.connect(_dsn(database_url))
    try:
        for db_name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    finally:
        await conn.close()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
