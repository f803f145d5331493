from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import create_postgres_database, drop_postgres_database
from tests.federation.fake_remote import FakeRemote
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
    await _drop(created_dbs)


@pytest.fixture
async def a(start: StartInstance) -> Instance:
    """Instance "a" with a local user alice: where most federation tests start."""
    instance = await start("a")
    await instance.add_user("alice")
    return instance


@pytest.fixture
async def masto() -> AsyncIterator[FakeRemote]:
    """A fake Mastodon-like server ("masto") on loopback."""
    async with FakeRemote("masto") as fake:
        yield fake


async def _database_for(name: str, database_url: str, tmp_path: Path,
                        created: list[str]) -> str:
    """Each instance gets a database of its own, of the kind under test."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}"
    db_name = f"{make_url(database_url).database}_{name}"
    created.append(db_name)
    return await create_postgres_database(db_name)


async def _drop(names: list[str]) -> None:
    for db_name in names:
        await drop_postgres_database(db_name)
