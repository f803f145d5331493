"""Queries on interaction requests: remote replies, boosts and likes of local posts waiting
for their author's approval, and the decided ones (whose authorizations we serve)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Favourite, InteractionRequest, Status


async def by_id(session: AsyncSession, request_id: int) -> InteractionRequest | None:
    return await session.get(InteractionRequest, request_id)


async def by_interaction(session: AsyncSession, uri: str) -> InteractionRequest | None:
    result = await session.execute(select(InteractionRequest).where(
        InteractionRequest.interaction_uri == uri))
    return result.scalar_one_or_none()


async def pending_for(session: AsyncSession, author_id: int,
                      limit: int = 100) -> list[InteractionRequest]:
    """The author's pending requests, oldest first (the order they are answered in)."""
    result = await session.execute(
        select(InteractionRequest)
        .join(Status, Status.id == InteractionRequest.status_id)
        .where(Status.account_id == author_id, InteractionRequest.state == "pending")
        .order_by(InteractionRequest.id).limit(limit))
    return list(result.scalars().all())


async def pending_of(session: AsyncSession, account_id: int,
                     status_ids: list[int]) -> tuple[set[int], set[int]]:
    """Which of these statuses the account liked, and which it boosted, pending their
    author's approval."""
    if not status_ids:
        return set(), set()
    liked = await session.execute(select(Favourite.status_id).where(
        Favourite.account_id == account_id, Favourite.pending_approval.is_(True),
        Favourite.status_id.in_(status_ids)))
    boosted = await session.execute(select(Status.reblog_of_id).where(
        Status.account_id == account_id, Status.pending_approval.is_(True),
        Status.deleted_at.is_(None), Status.reblog_of_id.in_(status_ids)))
    return set(liked.scalars().all()), {i for i in boosted.scalars().all() if i is not None}
