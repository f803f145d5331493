"""Queries for threads: linking replies that arrived before their parent."""

from __future__ import annotations

from sqlalchemy import func, select, update
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
