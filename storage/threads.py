"""Queries for threads: linking replies that arrived before their parent, and stamping a
remote status's thread as fetched from its origin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Status


async def adopt_orphans(session: AsyncSession, parent: Status) -> int:
    """Link the replies stored before their parent (by in_reply_to_uri) to it; returns how
    many live replies were linked, for the parent's replies_count."""
    orphans = (Status.in_reply_to_uri == parent.uri, Status.in_reply_to_id.is_(None),
               Status.id != parent.id, Status.reblog_of_id.is_(None))
    live = await session.execute(select(func.count()).select_from(Status).where(
        *orphans, Status.deleted_at.is_(None)))
    count = int(live.scalar_one())
    await session.execute(update(Status).where(*orphans).values(
        in_reply_to_id=parent.id, in_reply_to_account_id=parent.account_id))
    return count


async def claim_context_fetch(session: AsyncSession, status_id: int, now: datetime,
                              cutoff: datetime) -> bool:
    """Stamp a remote status's thread as fetched `now`, unless it was stamped after `cutoff`;
    True when this call stamped it. One statement, so two people opening the post at once
    make one fetch."""
    result = await session.execute(
        update(Status)
        .where(Status.id == status_id, Status.local.is_(False),
               or_(Status.context_fetched_at.is_(None), Status.context_fetched_at <= cutoff))
        # A fetch is no edit of the post: its updated_at stays.
        .values(context_fetched_at=now, updated_at=Status.updated_at))
    return int(result.rowcount) == 1  # type: ignore[attr-defined]
