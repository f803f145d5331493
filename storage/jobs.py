"""All the SQL of the job queue. Policy (backoff, retry windows) lives in server/jobs.

Every function runs inside the caller's transaction and never commits, so a service can write
its change and its jobs atomically. Updates made by a worker are guarded by `locked_by`: a worker
whose lease expired and was taken over can no longer change the job it lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import Job
from storage.types import utcnow
from storage.upserts import insert_into

QUEUED = "queued"
RUNNING = "running"
DEAD = "dead"
STATES = (QUEUED, RUNNING, DEAD)

_table = cast(Table, Job.__table__)
_c = _table.c


@dataclass(frozen=True)
class JobRecord:
    """A job row as read at one moment; detached from any session."""

    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    run_at: datetime
    locked_by: str | None
    locked_until: datetime | None
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = (_c.id, _c.kind, _c.payload, _c.state, _c.attempts, _c.run_at, _c.locked_by,
            _c.locked_until, _c.last_error, _c.dedupe_key, _c.created_at, _c.updated_at)


def _record(row: Sequence[Any]) -> JobRecord:
    return JobRecord(*row)


async def insert_job(session: AsyncSession, *, kind: str, payload: dict[str, Any],
                     run_at: datetime, dedupe_key: str | None = None) -> int | None:
    """Add a queued job; returns its id, or None when a job with `dedupe_key` already exists.

    ON CONFLICT DO NOTHING (rather than catching IntegrityError) leaves the caller's transaction
    usable on PostgreSQL, where a failed statement aborts the whole transaction.
    """
    stmt = (insert_into(session, _table)
            .values(kind=kind, payload=payload, state=QUEUED, attempts=0, run_at=run_at,
                    dedupe_key=dedupe_key)
            .on_conflict_do_nothing(index_elements=[_c.dedupe_key])
            .returning(_c.id))
    result = await session.execute(stmt)
    job_id: int | None = result.scalar_one_or_none()
    return job_id


async def insert_jobs(session: AsyncSession, *, kind: str, payloads: Sequence[dict[str, Any]],
                      run_at: datetime) -> None:
    """Add many queued jobs of one kind in a single statement (no dedupe keys)."""
    if not payloads:
        return
    now = utcnow()
    # Rows as parameters of one cached statement, not .values(rows): that would be compiled
    # anew for every call (the inbox enqueues a batch per shared commit).
    await session.execute(_table.insert(), [
        {"id": new_id(), "kind": kind, "payload": payload, "state": QUEUED, "attempts": 0,
         "run_at": run_at, "created_at": now, "updated_at": now}
        for payload in payloads])


async def claim_jobs(session: AsyncSession, *, worker: str, limit: int, lease: timedelta,
                     now: datetime | None = None) -> list[JobRecord]:
    """Lease up to `limit` due jobs to `worker`, counting one attempt each: first jobs whose
    lease ran out (their worker died), then queued jobs, oldest run_at first.

    Two statements, each following its own index ((state, locked_until) and (state, run_at)),
    so a claim never sorts the whole queue. PostgreSQL: SKIP LOCKED lets concurrent claimers
    pass over each other's rows. SQLite ignores it; there BEGIN IMMEDIATE already makes the
    select-and-update one writer at a time.
    """
    now = now or utcnow()
    orphaned = (select(_c.id).where(_c.state == RUNNING, _c.locked_until < now)
                .order_by(_c.locked_until).limit(limit))
    claimed = await _lease(session, orphaned, worker, now + lease, now)
    if len(claimed) < limit:
        queued = (select(_c.id).where(_c.state == QUEUED, _c.run_at <= now)
                  .order_by(_c.run_at, _c.id).limit(limit - len(claimed)))
        claimed += await _lease(session, queued, worker, now + lease, now)
    # RETURNING order is unspecified on both databases.
    return sorted(claimed, key=lambda j: (j.run_at, j.id))


async def _lease(session: AsyncSession, ids: Select[Any], worker: str, until: datetime,
                 now: datetime) -> list[JobRecord]:
    stmt = (update(_table)
            .where(_c.id.in_(ids.with_for_update(skip_locked=True).scalar_subquery()))
            .values(state=RUNNING, locked_by=worker, locked_until=until,
                    attempts=_c.attempts + 1, updated_at=now)
            .returning(*_COLUMNS))
    return [_record(r) for r in (await session.execute(stmt)).all()]


def _held(job_id: int, worker: str) -> ColumnElement[bool]:
    return and_(_c.id == job_id, _c.state == RUNNING, _c.locked_by == worker)


async def _changed(session: AsyncSession, stmt: Any) -> int:
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


def _held_many(job_ids: Sequence[int], worker: str) -> ColumnElement[bool]:
    return and_(_c.id.in_(list(job_ids)), _c.state == RUNNING, _c.locked_by == worker)


async def complete_jobs(session: AsyncSession, job_ids: Sequence[int], *,
                        worker: str) -> set[int]:
    """Delete many jobs that succeeded in one statement (a worker records its completions
    together: one commit for a batch instead of one each); returns the ids it still held."""
    if not job_ids:
        return set()
    stmt = delete(_table).where(_held_many(job_ids, worker)).returning(_c.id)
    return set((await session.execute(stmt)).scalars().all())


async def release_jobs(session: AsyncSession, job_ids: Sequence[int], *, worker: str,
                       error: str) -> int:
    """Hand held jobs that never ran (or were interrupted) back to the queue, due now, giving
    back the attempt their claim counted; returns how many were still held."""
    if not job_ids:
        return 0
    now = utcnow()
    stmt = (update(_table).where(_held_many(job_ids, worker))
            .values(state=QUEUED, run_at=now, last_error=error, locked_by=None,
                    locked_until=None, attempts=_c.attempts - 1, updated_at=now))
    return await _changed(session, stmt)


async def extend_leases(session: AsyncSession, job_ids: Sequence[int], *, worker: str,
                        until: datetime) -> set[int]:
    """Heartbeat for every job a pool holds, in one statement; returns the ids still held
    (a job missing was taken over after its lease ran out, or finished)."""
    if not job_ids:
        return set()
    stmt = (update(_table).where(_held_many(job_ids, worker)).values(locked_until=until)
            .returning(_c.id))
    return set((await session.execute(stmt)).scalars().all())


async def reschedule_job(session: AsyncSession, job_id: int, *, worker: str, run_at: datetime,
                         error: str | None, count_attempt: bool = True) -> bool:
    """Put a held job back in the queue to run at `run_at`, recording why it failed.

    count_attempt=False gives back the attempt its claim counted (a run that was postponed or
    interrupted, not failed), so it adds nothing to the backoff.
    """
    attempts = _c.attempts if count_attempt else _c.attempts - 1
    stmt = (update(_table).where(_held(job_id, worker))
            .values(state=QUEUED, run_at=run_at, last_error=error, locked_by=None,
                    locked_until=None, attempts=attempts, updated_at=utcnow()))
    return await _changed(session, stmt) == 1


async def dead_letter_job(session: AsyncSession, job_id: int, *, worker: str,
                          error: str | None) -> bool:
    """Park a held job as dead: kept for inspection and `retry`, never run again by itself."""
    stmt = (update(_table).where(_held(job_id, worker))
            .values(state=DEAD, last_error=error, locked_by=None, locked_until=None,
                    updated_at=utcnow()))
    return await _changed(session, stmt) == 1


async def pending(session: AsyncSession, dedupe_key: str) -> bool:
    """Whether the job enqueued under `dedupe_key` is still to run or running."""
    row = (await session.execute(select(_c.id).where(
        _c.dedupe_key == dedupe_key, _c.state.in_((QUEUED, RUNNING))))).first()
    return row is not None


async def get_job(session: AsyncSession, job_id: int) -> JobRecord | None:
    row = (await session.execute(select(*_COLUMNS).where(_c.id == job_id))).first()
    return _record(row) if row is not None else None


def _listing(state: str | None, kind: str | None) -> Select[Any]:
    stmt = select(*_COLUMNS)
    if state is not None:
        stmt = stmt.where(_c.state == state)
    if kind is not None:
        stmt = stmt.where(_c.kind == kind)
    return stmt


async def list_jobs(session: AsyncSession, *, state: str | None = None, kind: str | None = None,
                    limit: int = 50, after_id: int | None = None) -> list[JobRecord]:
    """Jobs in id (creation) order; pass the last id seen as `after_id` for the next page."""
    stmt = _listing(state, kind)
    if after_id is not None:
        stmt = stmt.where(_c.id > after_id)
    rows = (await session.execute(stmt.order_by(_c.id).limit(limit))).all()
    return [_record(r) for r in rows]


async def retry_dead_jobs(session: AsyncSession, job_ids: Sequence[int] | None = None, *,
                          now: datetime | None = None) -> int:
    """Requeue dead jobs (all of them when `job_ids` is None) to run now; returns how many.

    The attempt count and created_at restart, so the job gets a whole new retry window
    (the original creation time is still readable from the time-sortable id).
    """
    now = now or utcnow()
    stmt = update(_table).where(_c.state == DEAD)
    if job_ids is not None:
        stmt = stmt.where(_c.id.in_(list(job_ids)))
    stmt = stmt.values(state=QUEUED, attempts=0, run_at=now, created_at=now, updated_at=now,
                       locked_by=None, locked_until=None)
    return await _changed(session, stmt)


async def purge_dead_jobs(session: AsyncSession, *, older_than: datetime | None = None) -> int:
    """Delete dead jobs (those dead-lettered before `older_than`, if given); returns how many."""
    stmt = delete(_table).where(_c.state == DEAD)
    if older_than is not None:
        # updated_at is when the job was dead-lettered: nothing touches a dead job after that.
        stmt = stmt.where(_c.updated_at < older_than)
    return await _changed(session, stmt)


async def count_jobs_by_state(session: AsyncSession) -> dict[str, int]:
    """{state: count} with every state present, zero when empty."""
    stmt = select(_c.state, func.count()).group_by(_c.state)
    counts = dict.fromkeys(STATES, 0)
    for state, count in (await session.execute(stmt)).all():
        counts[state] = int(count)
    return counts
