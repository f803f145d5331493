"""WorkerPool against real databases: running, retrying, dead-lettering, leases and takeover."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Config, build_config
from server.jobs.queue import PermanentJobError, Postpone, RetryAfter, enqueue
from server.jobs.registry import JobContext, JobRegistry, JobResources
from server.jobs.worker import WorkerPool
from storage import jobs as job_store
from storage.database import Database
from storage.types import utcnow
from tests.server.jobs.conftest import add_job, all_jobs, jobs_config, one_job

KILLABLE_WORKER = Path(__file__).with_name("killable_worker.py")
Calls = list[tuple[int, str, int, dict[str, Any]]]


def recording_registry(calls: Calls, kind: str = "record") -> JobRegistry:
    registry = JobRegistry()

    @registry.handler(kind)
    async def record(ctx: JobContext, payload: dict[str, Any]) -> None:
        calls.append((ctx.job_id, ctx.kind, ctx.attempt, payload))

    return registry


def failing_registry(**errors: Exception) -> JobRegistry:
    """A handler per keyword (the job kind) that raises the given exception."""
    registry = JobRegistry()
    for kind, error in errors.items():
        registry.register(kind, _raiser(error))
    return registry


def _raiser(error: Exception) -> Callable[[JobContext, dict[str, Any]], Awaitable[None]]:
    async def fail(ctx: JobContext, payload: dict[str, Any]) -> None:
        raise error
    return fail


def pool_for(resources: JobResources, registry: JobRegistry, concurrency: int = 1,
             **kwargs: Any) -> WorkerPool:
    # A seeded rng makes the jittered retry times repeatable.
    return WorkerPool(resources, registry, concurrency=concurrency, rng=random.Random(7),
                      **kwargs)


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


# --- running ---------------------------------------------------------------------------------

async def test_run_until_empty_runs_handlers_and_removes_their_jobs(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    calls: Calls = []
    registry = recording_registry(calls)

    @registry.handler("first")
    async def first(ctx: JobContext, payload: dict[str, Any]) -> None:
        # A job enqueued by a handler runs within the same run_until_empty() call.
        async with ctx.resources.sessionmaker() as session, session.begin():
            await enqueue(session, "record", {"from": "first"})

    @registry.handler("again")
    async def again(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.resources.sessionmaker() as session, session.begin():
            await enqueue(session, "again", {})

    job_id = await add_job(sessionmaker, "record", {"x": 1})
    await add_job(sessionmaker, "first")
    pool = pool_for(resources, registry)
    assert await pool.run_until_empty() == 3
    assert calls[0] == (job_id, "record", 1, {"x": 1})
    assert [c[3] for c in calls] == [{"x": 1}, {"from": "first"}]
    assert await all_jobs(sessionmaker) == []

    # A job that always enqueues another is reported, not run for ever.
    await add_job(sessionmaker, "again")
    with pytest.raises(RuntimeError, match="still due after 3 rounds"):
        await pool.run_until_empty(max_rounds=3)


# --- failures --------------------------------------------------------------------------------

async def test_transient_failure_and_unknown_kind_are_retried_later(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession],
        caplog: pytest.LogCaptureFixture) -> None:
    job_id = await add_job(sessionmaker, "fail")
    unknown_id = await add_job(sessionmaker, "mystery")
    assert job_id is not None and unknown_id is not None
    before = utcnow()
    pool = pool_for(resources, failing_registry(fail=ValueError("boom")))
    assert await pool.run_until_empty() == 2
    job = await one_job(sessionmaker, job_id)
    assert (job.state, job.attempts, job.last_error) == ("queued", 1, "ValueError: boom")
    assert job.locked_by is None
    # First retry: full jitter below backoff_base_seconds (100 s).
    assert before < job.run_at <= utcnow() + timedelta(seconds=100)
    # A kind this worker does not know may be known to a newer one: retried, not dropped.
    unknown = await one_job(sessionmaker, unknown_id)
    assert (unknown.state, unknown.attempts) == ("queued", 1)
    assert unknown.last_error == "UnknownJobKind: no handler registered for job kind 'mystery'"
    assert await pool.run_until_empty() == 0  # not due yet

    failure = next(r for r in caplog.records if getattr(r, "job_id", None) == job_id)
    fields = vars(failure)  # structured fields ride on the record (server.logs prints them)
    assert failure.getMessage() == "job failed; will retry"
    assert (fields["job_kind"], fields["attempt"]) == ("fail", 1)
    assert fields["error"] == "ValueError: boom"
    assert fields["retry_at"] == job.run_at.isoformat(timespec="seconds")
    assert failure.exc_info is not None  # unexpected errors keep their traceback


async def test_retried_until_success_or_the_end_of_the_retry_window(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    # No backoff (retries are due at once) and a 5 s window, shorter than RetryAfter(60).
    config = jobs_config(database_url, tmp_path, backoff_base_seconds=0.0,
                         retry_window_seconds=5)
    attempts: list[int] = []
    registry = failing_registry(fail=RetryAfter(60))

    @registry.handler("flaky")
    async def flaky(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise ConnectionError("remote hung up")

    await add_job(sessionmaker, "flaky")
    doomed_id = await add_job(sessionmaker, "fail")
    assert doomed_id is not None
    resources = JobResources(config=config, sessionmaker=sessionmaker)
    assert await pool_for(resources, registry).run_until_empty() == 4
    assert attempts == [1, 2, 3]
    doomed = await one_job(sessionmaker, doomed_id)
    assert [j.id for j in await all_jobs(sessionmaker)] == [doomed_id]  # flaky succeeded
    assert doomed.state == "dead"
    assert doomed.last_error is not None
    assert doomed.last_error.startswith("retry window of 5s exhausted; last error: RetryAfter")


async def test_retry_after_postpone_and_permanent_errors(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession],
        caplog: pytest.LogCaptureFixture) -> None:
    later_id = await add_job(sessionmaker, "later")
    never_id = await add_job(sessionmaker, "never")
    paused_id = await add_job(sessionmaker, "paused")
    assert later_id is not None and never_id is not None and paused_id is not None
    before = utcnow()
    until = before + timedelta(hours=1)
    registry = failing_registry(later=RetryAfter(3000), never=PermanentJobError("410 Gone"),
                                paused=Postpone(until, "host paused"))
    assert await pool_for(resources, registry).run_until_empty() == 3

    paused = await one_job(sessionmaker, paused_id)
    assert (paused.state, paused.attempts, paused.run_at) == ("queued", 0, until)
    assert paused.last_error == "Postpone: host paused"

    later = await one_job(sessionmaker, later_id)
    assert later.state == "queued"
    assert later.run_at >= before + timedelta(seconds=3000)
    assert later.last_error == "RetryAfter: retry after 3000 seconds"

    never = await one_job(sessionmaker, never_id)
    assert (never.state, never.attempts, never.last_error) == (
        "dead", 1, "PermanentJobError: 410 Gone")
    assert never.locked_by is None
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert record.getMessage() == "job failed; dead-lettered"
    fields = vars(record)
    assert (fields["job_id"], fields["job_kind"], fields["attempt"]) == (never_id, "never", 1)
    assert record.exc_info is None  # expected failures log one line


# --- pools: start, notify, stop, leases ------------------------------------------------------

async def test_an_idle_pool_wakes_on_commit_and_on_notify(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    config = jobs_config(database_url, tmp_path, poll_interval=60.0)  # polling alone: too late
    calls: Calls = []
    pool = pool_for(JobResources(config=config, sessionmaker=sessionmaker),
                    recording_registry(calls), concurrency=2)
    await pool.start()
    try:
        await asyncio.sleep(0.2)  # both tasks found nothing and are idle
        # enqueue() wakes the pools of this process once its transaction commits.
        async with sessionmaker() as session, session.begin():
            await enqueue(session, "record", {"n": 1})
            await asyncio.sleep(0.2)
            assert calls == []  # not before the commit: the job is not visible yet
        await wait_until(lambda: len(calls) == 1, timeout=5)
        # A job written some other way needs an explicit notify().
        async with sessionmaker() as session, session.begin():
            await job_store.insert_job(session, kind="record", payload={"n": 2}, run_at=utcnow())
        pool.notify()
        await wait_until(lambda: len(calls) == 2, timeout=5)
    finally:
        await pool.stop(timeout=5)
    assert not pool.running
    assert await all_jobs(sessionmaker) == []


async def test_stop_lets_short_jobs_finish_and_hands_long_ones_back(
        resources: JobResources, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    started: list[str] = []
    registry = JobRegistry()

    @registry.handler("short")
    async def short(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.append("short")
        await asyncio.sleep(0.1)

    @registry.handler("long")
    async def long(ctx: JobContext, payload: dict[str, Any]) -> None:
        started.append("long")
        await asyncio.sleep(3600)

    await add_job(sessionmaker, "short")
    long_id = await add_job(sessionmaker, "long")
    assert long_id is not None
    pool = pool_for(resources, registry, concurrency=2, name="stopper")
    await pool.start()
    with pytest.raises(RuntimeError, match="already running"):
        await pool.start()
    await wait_until(lambda: len(started) == 2)
    await pool.stop(timeout=0.5)
    jobs = await all_jobs(sessionmaker)
    assert [j.id for j in jobs] == [long_id]  # the short one finished and was removed
    job = jobs[0]
    # Interrupted, not failed: the run does not count as an attempt.
    assert (job.state, job.attempts, job.locked_by) == ("queued", 0, None)
    assert job.run_at <= utcnow()
    assert job.last_error == "interrupted: worker stopper stopped"


async def test_heartbeat_keeps_a_long_job_from_being_taken_over(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    config = jobs_config(database_url, tmp_path, lease_seconds=1)
    release = asyncio.Event()
    attempts: list[int] = []
    registry = JobRegistry()

    @registry.handler("slow")
    async def slow(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)
        await release.wait()

    job_id = await add_job(sessionmaker, "slow")
    assert job_id is not None
    pool = pool_for(JobResources(config=config, sessionmaker=sessionmaker), registry)
    run = asyncio.create_task(pool.run_until_empty())
    await wait_until(lambda: attempts == [1])
    await asyncio.sleep(1.2)  # past the first lease: only the heartbeat keeps the job held
    async with sessionmaker() as session, session.begin():
        stolen = await job_store.claim_jobs(session, worker="thief", limit=1,
                                            lease=timedelta(seconds=60))
    assert stolen == []
    job = await one_job(sessionmaker, job_id)
    assert job.locked_by == pool.name
    release.set()
    assert await run == 1
    assert attempts == [1]
    assert await all_jobs(sessionmaker) == []


async def test_two_pools_never_run_the_same_job_twice(
        database_url: str, config: Config, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    runs: Counter[int] = Counter()
    by_pool: Counter[int] = Counter()
    running: set[int] = set()
    overlaps: list[int] = []
    registry = JobRegistry()

    @registry.handler("count")
    async def count(ctx: JobContext, payload: dict[str, Any]) -> None:
        if ctx.job_id in running:
            overlaps.append(ctx.job_id)
        running.add(ctx.job_id)
        await asyncio.sleep(0.01)
        running.discard(ctx.job_id)
        runs[payload["n"]] += 1
        by_pool[id(ctx.resources)] += 1

    async with sessionmaker() as session, session.begin():
        for n in range(50):
            await enqueue(session, "count", {"n": n})
    # A second set of connections, as a second process would have; and the one the app uses
    # (Database.writer: on SQLite a single connection that all three tasks share).
    other = Database(database_url)
    pools = [WorkerPool(JobResources(config=config, sessionmaker=maker), registry, concurrency=3)
             for maker in (sessionmaker, other.writer)]
    try:
        for pool in pools:
            await pool.start()
        await wait_until(lambda: sum(runs.values()) >= 50, timeout=20)
        for pool in pools:
            await pool.stop(timeout=5)
    finally:
        for pool in pools:
            await pool.stop(timeout=0)
        await other.dispose()
    assert overlaps == []
    assert runs == Counter(range(50))
    assert all(by_pool[id(pool.resources)] > 0 for pool in pools)  # both took part
    assert await all_jobs(sessionmaker) == []


async def test_job_of_a_killed_worker_is_taken_over_after_its_lease(
        database_url: str, tmp_path: Path, sessionmaker: async_sessionmaker[AsyncSession]
        ) -> None:
    job_id = await add_job(sessionmaker, "sleepy")
    assert job_id is not None
    marker = tmp_path / "marker"
    proc = subprocess.Popen([sys.executable, str(KILLABLE_WORKER), database_url, str(marker)])
    try:
        await wait_until(marker.exists, timeout=20)
        held = await one_job(sessionmaker, job_id)
        assert held.locked_by is not None and f":{proc.pid}:" in held.locked_by
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert marker.read_text() == "1"

    attempts: list[int] = []
    registry = JobRegistry()

    @registry.handler("sleepy")
    async def sleepy(ctx: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(ctx.attempt)

    config = jobs_config(database_url, tmp_path, lease_seconds=1)
    pool = pool_for(JobResources(config=config, sessionmaker=sessionmaker), registry)
    deadline = time.monotonic() + 10
    while not attempts and time.monotonic() < deadline:
        await pool.run_until_empty()  # nothing is due until the dead worker's lease runs out
        await asyncio.sleep(0.1)
    assert attempts == [2]
    assert await all_jobs(sessionmaker) == []


def test_default_names_are_unique_and_say_where_the_worker_runs() -> None:
    resources = JobResources(config=build_config({}), sessionmaker=async_sessionmaker())
    names = {WorkerPool(resources, JobRegistry(), concurrency=1).name for _ in range(20)}
    assert len(names) == 20
    assert all(n.startswith(f"{socket.gethostname()}:{os.getpid()}:") for n in names)
    with pytest.raises(ValueError, match="at least 1"):
        WorkerPool(resources, JobRegistry(), concurrency=0)
