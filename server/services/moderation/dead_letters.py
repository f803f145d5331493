"""Dead-lettered jobs for admins: list, requeue, purge. The same queue operations as
`dreamfeed jobs list --state dead / retry / purge` (storage.jobs), plus an audit entry for
each change an admin makes (jobs.retry, jobs.purge), like every other moderation action."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.i18n import N_
from server.services.errors import InvalidInput
from storage import audit
from storage import jobs as job_store
from storage.database import Database

MAX_IDS = 200
ERROR_EXCERPT = 500


@dataclass(frozen=True)
class DeadJob:
    id: int
    kind: str
    attempts: int
    target: str  # where it was going (a delivery's inbox), or ""
    last_error: str
    created_at: datetime
    dead_since: datetime  # updated_at: nothing touches a dead job after it dies


@dataclass(frozen=True)
class DeadLetters:
    jobs: list[DeadJob]
    counts: dict[str, int]  # jobs per state: queued, running, dead
    next_after: int | None  # the `after` of the next page, None at the end


def _target(payload: dict[str, Any]) -> str:
    for key in ("inbox", "uri", "url", "domain"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    return ""


async def list_dead(db: Database, *, after_id: int | None = None, limit: int = 50,
                    kind: str | None = None) -> DeadLetters:
    """Dead jobs, oldest first (the order of `dreamfeed jobs list`)."""
    async with db.reader() as session:
        rows = await job_store.list_jobs(session, state=job_store.DEAD, kind=kind or None,
                                         limit=limit + 1, after_id=after_id)
        counts = await job_store.count_jobs_by_state(session)
    more = len(rows) > limit
    rows = rows[:limit]
    jobs = [DeadJob(id=r.id, kind=r.kind, attempts=r.attempts, target=_target(r.payload),
                    last_error=(r.last_error or "")[:ERROR_EXCERPT], created_at=r.created_at,
                    dead_since=r.updated_at) for r in rows]
    return DeadLetters(jobs, counts, rows[-1].id if more and rows else None)


async def retry(db: Database, job_ids: Sequence[int] | None, *,
                actor_account_id: int | None) -> int:
    """Requeue the given dead jobs (all of them when None) to run now; returns how many."""
    if job_ids is not None and not 1 <= len(job_ids) <= MAX_IDS:
        raise InvalidInput(N_("choose between 1 and %(limit)s jobs to retry"), limit=MAX_IDS)
    async with db.writer.begin() as session:
        count = await job_store.retry_dead_jobs(session, job_ids)
        if count:
            await audit.record(session, actor_account_id=actor_account_id,
                               action="jobs.retry", target_type="job",
                               target="all dead" if job_ids is None
                               else ",".join(map(str, sorted(set(job_ids)))),
                               detail={"count": count})
    return count


async def purge(db: Database, *, older_than: datetime | None = None,
                actor_account_id: int | None) -> int:
    """Delete dead jobs (only those dead since before `older_than`, if given)."""
    async with db.writer.begin() as session:
        count = await job_store.purge_dead_jobs(session, older_than=older_than)
        if count:
            detail: dict[str, Any] = {"count": count}
            if older_than is not None:
                detail["older_than"] = older_than.isoformat()
            await audit.record(session, actor_account_id=actor_account_id,
                               action="jobs.purge", target_type="job", target="dead",
                               detail=detail)
    return count
