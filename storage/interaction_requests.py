"""Queries on interaction requests: remote replies, boosts and likes of local posts waiting
for their author's approval, and the decided ones (whose authorizations we serve)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InteractionRequest, Status


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
