"""Fixtures for the job queue tests: a migrated database of each kind and the pieces a
WorkerPool needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.config import Config
from server.jobs.queue import enqueue
from server.jobs.registry import JobResources
from storage import jobs as job_store
from storage.database import make_sessionmaker
from storage.jobs import JobRecord
from tests.conftest import make_test_config

# Large enough that a jittered retry never falls due again within one test.
JOBS_SETTINGS: dict[str, object] = {
    "lease_seconds": 2,
    "backoff_base_seconds": 100.0,
    "backoff_max_seconds": 3600.0,
    "retry_window_seconds": 86_400,
    "poll_interval": 0.05,
}


def jobs_config(database_url: str, tmp_path: Path, **jobs: object) -> Config:
    return make_test_config(database_url, tmp_path, jobs={**JOBS_SETTINGS, **jobs})


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return jobs_config(database_url, tmp_path)


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
def resources(config: Config, sessionmaker: async_sessionmaker[AsyncSession]) -> JobResources:
    return JobResources(config=config, sessionmaker=sessionmaker)


async def add_job(sessionmaker: async_sessionmaker[AsyncSession], kind: str,
                  payload: dict[str, Any] | None = None, **options: Any) -> int | None:
    """Enqueue one job in a transaction of its own."""
    async with sessionmaker() as session, session.begin():
        return await enqueue(session, kind, payload or {}, **options)


async def all_jobs(sessionmaker: async_sessionmaker[AsyncSession]) -> list[JobRecord]:
    async with sessionmaker() as session:
        return await job_store.list_jobs(session, limit=1000)


async def one_job(sessionmaker: async_sessionmaker[AsyncSession], job_id: int) -> JobRecord:
    async with sessionmaker() as session:
        job = await job_store.get_job(session, job_id)
    assert job is not None, f"job {job_id} is gone"
    return job
