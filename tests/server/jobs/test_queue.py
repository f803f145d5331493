"""The queue's policy (pure functions) and its SQL (storage.jobs) on both databases."""

from __future__ import annotations

import random
import statistics
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import JobsConfig
from server.jobs.queue import (
    MAX_ERROR_LENGTH,
    PermanentJobError,
    Postpone,
    RetryAfter,
    backoff_delay,
    decide_failure,
    enqueue,
)
from storage import jobs as job_store
from storage.types import utcnow
from tests.server.jobs.conftest import add_job, all_jobs, one_job

POLICY = JobsConfig(backoff_base_seconds=10.0, backoff_max_seconds=1000.0,
                    retry_window_seconds=86_400)
LEASE = timedelta(seconds=60)


# --- backoff_delay ---------------------------------------------------------------------------

def test_backoff_stays_within_the_exponential_ceiling() -> None:
    rng = random.Random(1)
    for attempt in range(1, 40):
        ceiling = min(1000.0, 10.0 * 2 ** (attempt - 1))
        for _ in range(200):
            # Equal jitter: never less than half the ceiling, so no retry comes at once.
            assert ceiling / 2 <= backoff_delay(attempt, POLICY, rng) <= ceiling


def test_backoff_grows_with_attempts_until_the_cap() -> None:
    rng = random.Random(2)
    means = [statistics.fmean(backoff_delay(a, POLICY, rng) for _ in range(2000))
             for a in range(1, 9)]
    # Ceilings 10, 20, ... 640, 1000 (capped): each mean is about 3/4 of its ceiling.
    assert means == sorted(means)
    assert means[0] == pytest.approx(7.5, rel=0.1)
    assert means[-1] == pytest.approx(750, rel=0.1)


def test_backoff_is_capped_even_for_huge_attempt_numbers() -> None:
    rng = random.Random(3)
    delays = [backoff_delay(10**6, POLICY, rng) for _ in range(500)]
    assert max(delays) <= 1000.0
    assert max(delays) > 900.0  # the whole capped range is used, not just its bottom


def test_backoff_is_jittered() -> None:
    rng = random.Random(4)
    assert len({backoff_delay(5, POLICY, rng) for _ in range(50)}) == 50


def test_backoff_without_rng_still_works() -> None:
    assert 0.0 <= backoff_delay(3, POLICY) <= 40.0


def test_decorrelated_backoff_bounds() -> None:
    rng = random.Random(5)
    for previous in (1.0, 10.0, 50.0, 300.0, 5000.0):
        for _ in range(200):
            delay = backoff_delay(2, POLICY, rng, previous=previous)
            assert 10.0 <= delay <= min(1000.0, max(10.0, previous * 3))


# --- decide_failure --------------------------------------------------------------------------

def test_transient_failure_is_retried_after_backoff() -> None:
    now = utcnow()
    decision = decide_failure(ValueError("boom"), attempt=3, created_at=now, now=now,
                              config=POLICY, rng=random.Random(6))
    assert not decision.dead
    assert decision.retry_at is not None
    assert now <= decision.retry_at <= now + timedelta(seconds=40)
    assert decision.error == "ValueError: boom"


def test_permanent_error_is_dead_at_once() -> None:
    decision = decide_failure(PermanentJobError("410 Gone"), attempt=1, created_at=utcnow(),
                              config=POLICY)
    assert decision.dead
    assert decision.error == "PermanentJobError: 410 Gone"


def test_retry_after_sets_the_earliest_retry() -> None:
    now = utcnow()
    decision = decide_failure(RetryAfter(600), attempt=1, created_at=now, now=now,
                              config=POLICY)
    assert decision.retry_at is not None
    assert decision.retry_at >= now + timedelta(seconds=600)
    assert "RetryAfter" in decision.error


def test_postpone_reschedules_exactly_without_counting_an_attempt() -> None:
    now = utcnow()
    until = now + timedelta(hours=2)
    decision = decide_failure(Postpone(until, "a.example is paused"), attempt=7,
                              created_at=now, now=now, config=POLICY)
    assert (decision.retry_at, decision.count_attempt) == (until, False)
    assert decision.error == "Postpone: a.example is paused"
    past = decide_failure(Postpone(now - timedelta(hours=1)), attempt=1, created_at=now,
                          now=now, config=POLICY)
    assert past.retry_at == now
    late = decide_failure(Postpone(now + timedelta(days=2)), attempt=1, created_at=now,
                          now=now, config=POLICY)
    assert late.dead  # postponing does not escape the retry window
    with pytest.raises(ValueError, match="timezone-aware"):
        Postpone(until.replace(tzinfo=None))
    assert decide_failure(ValueError(), attempt=1, created_at=now, config=POLICY).count_attempt


def test_failure_past_the_retry_window_is_dead() -> None:
    now = utcnow()
    created = now - timedelta(seconds=86_400 - 5)  # 5 s left; the smallest backoff is 0..10 s
    decision = decide_failure(RetryAfter(30), attempt=1, created_at=created, now=now,
                              config=POLICY)
    assert decision.dead
    assert decision.error.startswith("retry window of 86400s exhausted; last error: RetryAfter")


def test_error_text_is_shortened() -> None:
    decision = decide_failure(RuntimeError("x" * 10_000), attempt=1, created_at=utcnow(),
                              config=POLICY)
    assert len(decision.error) == MAX_ERROR_LENGTH
    assert decision.error.startswith("RuntimeError: xxx")
    assert decide_failure(KeyError(), attempt=1, created_at=utcnow(),
                          config=POLICY).error == "KeyError"


# --- enqueue and storage.jobs, on SQLite and PostgreSQL --------------------------------------

# Fewer, fuller tests here: each database test pays for a fresh PostgreSQL database.

async def test_enqueue_schedules_and_joins_the_callers_transaction(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    job_id = await add_job(sessionmaker, "deliver", {"inbox": "https://a.example/inbox"})
    delayed = await add_job(sessionmaker, "k", delay=120)
    scheduled = await add_job(sessionmaker, "k", run_at=now + timedelta(hours=1))
    assert job_id is not None and delayed is not None and scheduled is not None
    job = await one_job(sessionmaker, job_id)
    assert (job.kind, job.state, job.attempts) == ("deliver", "queued", 0)
    assert job.payload == {"inbox": "https://a.example/inbox"}
    assert now <= job.run_at <= utcnow()
    assert job.locked_by is None and job.last_error is None
    assert (await one_job(sessionmaker, delayed)).run_at >= now + timedelta(seconds=120)
    assert (await one_job(sessionmaker, scheduled)).run_at == now + timedelta(hours=1)

    async with sessionmaker() as session:
        with pytest.raises(ValueError, match="not both"):
            await enqueue(session, "k", {}, run_at=now, delay=1)
        with pytest.raises(ValueError, match="timezone-aware"):
            await enqueue(session, "k", {}, run_at=now.replace(tzinfo=None))
        async with session.begin():
            await enqueue(session, "rolled-back", {})
            await session.rollback()
    assert len(await all_jobs(sessionmaker)) == 3


async def test_dedupe_key_makes_one_job_and_keeps_the_transaction_usable(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session, session.begin():
        first = await enqueue(session, "fetch", {"n": 1}, dedupe_key="fetch:x")
        second = await enqueue(session, "fetch", {"n": 2}, dedupe_key="fetch:x")
        # On PostgreSQL a failed INSERT would abort the transaction; this must still work.
        other = await enqueue(session, "fetch", {"n": 3}, dedupe_key="fetch:y")
    third = await add_job(sessionmaker, "fetch", {"n": 4}, dedupe_key="fetch:x")
    # Without a key, jobs never collide.
    plain = [await add_job(sessionmaker, "fetch", {"n": 5}) for _ in range(2)]
    assert first is not None and other is not None and None not in plain
    assert second is None and third is None
    jobs = await all_jobs(sessionmaker)
    assert sorted(j.payload["n"] for j in jobs) == [1, 3, 5, 5]


async def test_claim_takes_due_jobs_oldest_run_at_first_up_to_the_limit(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    now = utcnow()
    late = await add_job(sessionmaker, "k", run_at=now - timedelta(seconds=1))
    early = await add_job(sessionmaker, "k", run_at=now - timedelta(seconds=10))
    latest = await add_job(sessionmaker, "k")
    await add_job(sessionmaker, "k", run_at=now + timedelta(hours=1))  # not due
    async with sessionmaker() as session, session.begin():
        claimed = await job_store.claim_jobs(session, worker="w1", limit=2, lease=LEASE)
    assert [j.id for j in claimed] == [early, late]
    for job in claimed:
        assert (job.state, job.attempts, job.locked_by) == ("running", 1, "w1")
        assert job.locked_until is not None and job.locked_until > now + timedelta(seconds=59)
    assert await _counts(sessionmaker) == {"queued": 2, "running": 2, "dead": 0}
    async with sessionmaker() as session, session.begin():
        rest = await job_store.claim_jobs(session, worker="w2", limit=10, lease=LEASE)
    assert [j.id for j in rest] == [latest]


async def test_expired_lease_is_taken_over_and_the_old_holder_locked_out(
        sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    job_id = await add_job(sessionmaker, "k")
    assert job_id is not None
    start = utcnow()
    async with sessionmaker() as session, session.begin():
        await job_store.claim_jobs(session, worker="dead", limit=1, lease=LEASE, now=start)
    later = start + LEASE + timedelta(seconds=1)
    async with sessionmaker() as session, session.begin():
        taken = await job_store.claim_jobs(session, worker="alive", limit=1, lease=LEASE,
                                           now=later)
    assert [(j.id, j.attempts, j.locked_by) for j in taken] == [(job_id, 2, "alive")]
    async with sessionmaker() as session, session.begin():
        assert not await job_store.complete_jobs(session, [job_id], worker="dead")
        assert not await job_store.extend_leases(session, [job_id], worker="dead", until=later)
        assert not await job_store.dead_letter_job(session, job_id, worker="dead", error="x")
        assert not await job_store.reschedule_job(session, job_id, worker="dead", run_at=later,
                                                  error="x")
        assert await job_store.extend_leases(session, [job_id], worker="alive",
                                             until=later + LEASE) == {job_id}
    assert (await one_job(sessionmaker, job_id)).locked_until == later + LEASE

    retry_at = utcnow() + timedelta(minutes=5)
    async with sessionmaker() as session, session.begin():
        assert await job_store.reschedule_job(session, job_id, worker="alive", run_at=retry_at,
                                              error="E: x")
    job = await one_job(sessionmaker, job_id)
    assert (job.state, job.run_at, job.last_error, job.attempts) == ("queued", retry_at,
                                                                    "E: x", 2)
    assert job.locked_by is None and job.locked_until is None
    async with sessionmaker() as session, session.begin():
        assert not await job_store.complete_jobs(session, [job_id], worker="alive")  # not held


async def test_list_retry_purge_and_counts(sessionmaker: async_sessionmaker[AsyncSession]
                                           ) -> None:
    dead_ids = [await _dead_job(sessionmaker, "a") for _ in range(3)]
    queued = await add_job(sessionmaker, "b", delay=3600)
    assert queued is not None
    assert await _counts(sessionmaker) == {"queued": 1, "running": 0, "dead": 3}
    async with sessionmaker() as session:
        first = await job_store.list_jobs(session, limit=2)
        rest = await job_store.list_jobs(session, limit=10, after_id=first[-1].id)
        only_b = await job_store.list_jobs(session, kind="b")
        dead = await job_store.list_jobs(session, state="dead")
    assert [j.id for j in first + rest] == [*dead_ids, queued]
    assert [j.id for j in only_b] == [queued]
    assert [j.id for j in dead] == dead_ids

    async with sessionmaker() as session, session.begin():
        assert await job_store.retry_dead_jobs(session, [dead_ids[0], queued]) == 1
    job = await one_job(sessionmaker, dead_ids[0])
    assert (job.state, job.attempts, job.locked_by) == ("queued", 0, None)
    assert job.run_at <= utcnow()

    async with sessionmaker() as session, session.begin():
        # Dead-lettered just now, so not older than an hour ago.
        assert await job_store.purge_dead_jobs(
            session, older_than=utcnow() - timedelta(hours=1)) == 0
        assert await job_store.purge_dead_jobs(session, older_than=utcnow()) == 2
        assert await job_store.retry_dead_jobs(session) == 0
    assert await _counts(sessionmaker) == {"queued": 2, "running": 0, "dead": 0}


async def _dead_job(sessionmaker: async_sessionmaker[AsyncSession], kind: str) -> int:
    job_id = await add_job(sessionmaker, kind)
    assert job_id is not None
    async with sessionmaker() as session, session.begin():
        assert len(await job_store.claim_jobs(session, worker="w", limit=1, lease=LEASE)) == 1
        assert await job_store.dead_letter_job(session, job_id, worker="w", error="gone")
    return job_id


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessionmaker() as session:
        return await job_store.count_jobs_by_state(session)
