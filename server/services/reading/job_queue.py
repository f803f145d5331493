"""The job queue as an operator reads it (`dreamfeed jobs list`): jobs in id order, and how
many are in each state."""

from __future__ import annotations

from dataclasses import dataclass

from storage import jobs as job_store
from storage.database import Database
from storage.jobs import JobRecord as JobRecord  # the rows callers print

# queued, running, dead: what --state may name.
STATES = job_store.STATES


@dataclass(frozen=True)
class JobListing:
    jobs: list[JobRecord]
    counts: dict[str, int]  # every state, zero when empty


async def list_jobs(db: Database, *, state: str | None = None, kind: str | None = None,
                    limit: int = 50, after_id: int | None = None) -> JobListing:
    """One page of jobs; pass the last id seen as `after_id` for the next."""
    async with db.reader() as session:
        jobs = await job_store.list_jobs(session, state=state, kind=kind, limit=limit,
                                         after_id=after_id)
        counts = await job_store.count_jobs_by_state(session)
    return JobListing(jobs=jobs, counts=counts)
