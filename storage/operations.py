"""Read model for operators (/metrics): the job queue by kind and state, and the delivery
hosts' health, counted in the database so every process reports the same numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryHost, Job
from storage.types import utcnow

# A queued job that has been attempted waits after a failure (or a postponement while its
# host is paused): reported apart from jobs waiting for their first attempt.
FAILED = "failed"


async def job_counts(session: AsyncSession) -> list[tuple[str, str, int]]:
    """(kind, state, count) for every kind and state present: queued, failed (queued again
    after an attempt), running, dead. One grouped scan of the jobs table, which holds only
    pending and dead work (done jobs are deleted)."""
    state = case((Job.state == "queued", case((Job.attempts > 0, FAILED), else_="queued")),
                 else_=Job.state)
    stmt = select(Job.kind, state, func.count()).group_by(Job.kind, state) \
        .order_by(Job.kind, state)
    return [(kind, str(name), int(count)) for kind, name, count
            in (await session.execute(stmt)).all()]


async def delivery_host_counts(session: AsyncSession,
                               now: datetime | None = None) -> tuple[int, int]:
    """(hosts whose last delivery failed, hosts paused now). Healthy hosts have no row or
    zero failures, so this reads only the troubled ones."""
    now = now or utcnow()
    paused = case((DeliveryHost.paused_until > now, 1), else_=0)
    stmt = select(func.count(), func.coalesce(func.sum(paused), 0)) \
        .where(DeliveryHost.consecutive_failures > 0)
    failing, paused_count = (await session.execute(stmt)).one()
    return int(failing), int(paused_count)
