"""The queue's batched bookkeeping against real databases: claims of many jobs at once, batch
handlers, shared completions, and what a crash or a stop in the middle of a batch leaves."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Config
from server.jobs.queue import enqueue_many
from server.jobs.registry import JobContext, JobRegistry, JobResources
from server.jobs.worker import WorkerPool
from storage import jobs as job_store
from storage.database import Database
from tests.server.jobs.conftest import all_jobs, jobs_config, one_job
from tests.server.jobs.test_worker import KILLABLE_WORKER, pool_for, wait_until

LEASE = timedelta(seconds=60)
Batches = list[list[int]]


async def add_jobs(sessionmaker: async_sessionmaker[AsyncSession], kind: str,
                   count: int) -> None:
    async with sessionmaker() as session, session.begin():
        await enqueue_many(session, kind, [{"n": n} for n in range(count)])


def batch_registry(batches: Batches, *, fail: frozenset[int] = frozenset(),
                   max_batch: int = 10) -> JobRegistry:
    """`batch` jobs run together; the payloads numbered in `fail` fail, alone."""
    registry = JobRegistry()

    async def run(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                  ) -> list[Exception | None]:
        batches.append([p["n"] for p in payloads])
        return [ValueError(f"bad {p['n']}") if p["n"] in fail else None for p in payloads]

    registry.register_batch("batch", run, max_batch=max_batch)
    return registry


async def test_concurrent_claims_hand_each_job_to_one_claimer(
        database_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    await add_jobs(sessionmaker, "k", 300)
    # Separate engines, as separate processes would have (on SQLite: separate writers).
    dbs = [Database(database_url) for _ in range(3)]

    async def claimer(db: Database, name: str) -> list[int]:
        taken: list[int] = []
        while True:
            async with db.writer() as session, session.begin():
                jobs = await job_store.claim_jobs(session, worker=name, limit=25, lease=LEASE)
            if not jobs:
                return taken
            taken += [j.id for j in jobs]

    try:
        claims = await asyncio.gather(*(claimer(db, f"w{i}") for i, db in enumerate(dbs)
                                        for _ in range(2)))
    finally:
        for db in dbs:
            await db.dispose()
    everything = [job_id for taken in claims for job_id in taken]
    assert len(everything) == 300
    assert len(set(everything)) == 300  # no job in two claims
    assert sorted(everything) == sorted(j.id for j in await all_jobs(sessionmaker))


async def test_two_pools_batching_run_each_job_exactly_once(
        database_url: str, config: Config, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    runs: Counter[int] = Counter()
    by_pool: Counter[str] = Counter()
    registry = JobRegistry()

    async def run(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                  ) -> list[Exception | None]:
        await asyncio.sleep(0.005)
        for p in payloads:
            runs[p["n"]] += 1
        by_pool[str(id(ctxs[0].resources))] += len(ctxs)
        return [None] * len(ctxs)

    registry.register_batch("batch", run, max_batch=8)
    await add_jobs(sessionmaker, "batch", 400)
    other = Database(database_url)
    pools = [WorkerPool(JobResources(config=config, sessionmaker=maker), registry, concurrency=3)
             for maker in (sessionmaker, other.writer)]
    try:
        for pool in pools:
            await pool.start()
        await wait_until(lambda: sum(runs.values()) >= 400, timeout=60)
        for pool in pools:
            await pool.stop(timeout=5)
    finally:
        for pool in pools:
            await pool.stop(timeout=0)
        await other.dispose()
    assert runs == Counter(range(400))
    assert all(by_pool[str(id(pool.resources))] > 0 for pool in pools)  # both took part
    assert await all_jobs(sessionmaker) == []  # every success recorded


async def test_a_failing_job_does_not_fail_its_batch(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    batches: Batches = []
    await add_jobs(sessionmaker, "batch", 5)
    pool = pool_for(resources, batch_registry(batches, fail=frozenset({2})))
    assert await pool.run_until_empty() == 5
    assert batches == [[0, 1, 2, 3, 4]]  # one batch, in the order they were due
    (left,) = await all_jobs(sessionmaker)
    assert left.payload == {"n": 2}
    assert (left.state, left.attempts, left.last_error) == ("queued", 1, "ValueError: bad 2")
    assert left.locked_by is None


async def test_a_batch_that_breaks_as_a_whole_retries_each_job(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    registry = JobRegistry()

    async def broken(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                     ) -> list[Exception | None]:
        raise ConnectionError("database went away")

    registry.register_batch("batch", broken, max_batch=10)
    await add_jobs(sessionmaker, "batch", 3)
    assert await pool_for(resources, registry).run_until_empty() == 3
    jobs = await all_jobs(sessionmaker)
    assert [(j.state, j.attempts, j.last_error) for j in jobs] == \
        [("queued", 1, "ConnectionError: database went away")] * 3


async def test_batches_stop_at_max_batch_and_at_another_kind(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    batches: Batches = []
    registry = batch_registry(batches, max_batch=3)
    singles: list[int] = []

    @registry.handler("single")
    async def single(ctx: JobContext, payload: dict[str, Any]) -> None:
        singles.append(payload["n"])

    await add_jobs(sessionmaker, "batch", 4)
    await add_jobs(sessionmaker, "single", 2)
    await add_jobs(sessionmaker, "batch", 2)
    assert await pool_for(resources, registry).run_until_empty() == 8
    assert batches == [[0, 1, 2], [3], [0, 1]]
    assert singles == [0, 1]
    assert await all_jobs(sessionmaker) == []


async def test_stop_hands_back_claimed_jobs_that_never_started(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    started: list[int] = []
    registry = JobRegistry()

    @registry.handler("long")
    async def long(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.append(payload["n"])
        await asyncio.sleep(3600)

    await add_jobs(sessionmaker, "long", 6)
    # One task claims up to 8 jobs at once: the first runs, five wait in the buffer.
    pool = pool_for(resources, registry, concurrency=1, name="stopper")
    await pool.start()
    await wait_until(lambda: started == [0])
    await pool.stop(timeout=0.2)
    jobs = await all_jobs(sessionmaker)
    assert len(jobs) == 6
    # Interrupted or never started: none counts as an attempt, all are due again now.
    assert {(j.state, j.attempts, j.locked_by, j.last_error) for j in jobs} == {
        ("queued", 0, None, "interrupted: worker stopper stopped")}


async def test_batch_of_a_killed_worker_is_taken_over_whole(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    await add_jobs(sessionmaker, "batchy", 6)
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(KILLABLE_WORKER), database_url, str(marker)])
    try:
        await wait_until(marker.exists, timeout=20)
        in_batch = {int(i) for i in marker.read_text().split()}
        assert len(in_batch) == 6  # the whole backlog, claimed at once and run as one batch
        os.kill(proc.pid, signal.SIGKILL)  # mid-batch
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    jobs = await all_jobs(sessionmaker)
    assert {j.id for j in jobs} == in_batch  # nothing lost, nothing recorded as done
    assert {(j.state, j.attempts) for j in jobs} == {("running", 1)}

    attempts: list[int] = []
    registry = JobRegistry()

    async def batchy(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                     ) -> list[Exception | None]:
        attempts.extend(ctx.attempt for ctx in ctxs)
        return [None] * len(ctxs)

    registry.register_batch("batchy", batchy, max_batch=50)
    config = jobs_config(database_url, tmp_path, lease_seconds=1)
    pool = pool_for(JobResources(config=config, sessionmaker=sessionmaker), registry)
    deadline = time.monotonic() + 10
    while len(attempts) < 6 and time.monotonic() < deadline:
        await pool.run_until_empty()  # nothing is due until the dead worker's leases run out
        await asyncio.sleep(0.1)
    assert attempts == [2] * 6
    assert await all_jobs(sessionmaker) == []


async def test_the_pool_heartbeat_renews_every_held_lease(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    config = jobs_config(database_url, tmp_path, lease_seconds=1)
    release = asyncio.Event()
    seen: list[int] = []
    registry = JobRegistry()

    async def slow(ctxs: Sequence[JobContext], payloads: Sequence[dict[str, Any]]
                   ) -> list[Exception | None]:
        seen.extend(ctx.job_id for ctx in ctxs)
        await release.wait()
        return [None] * len(ctxs)

    registry.register_batch("slow", slow, max_batch=10)
    await add_jobs(sessionmaker, "slow", 4)
    pool = pool_for(JobResources(config=config, sessionmaker=sessionmaker), registry)
    run = asyncio.create_task(pool.run_until_empty())
    await wait_until(lambda: len(seen) == 4)
    await asyncio.sleep(1.5)  # past the first lease: only the heartbeat keeps them held
    async with sessionmaker() as session, session.begin():
        assert await job_store.claim_jobs(session, worker="thief", limit=10, lease=LEASE) == []
    for job_id in seen:
        assert (await one_job(sessionmaker, job_id)).locked_by == pool.name
    release.set()
    assert await run == 4
    assert await all_jobs(sessionmaker) == []
