"""Queries on quotes (which status quotes which, and where its approval stands) and on the
quote policies statuses state."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.quotes import Quote, QuotePolicy


async def add(session: AsyncSession, quote: Quote) -> Quote:
    session.add(quote)
    await session.flush()
    return quote


async def of_status(session: AsyncSession, status_id: int) -> Quote | None:
    result = await session.execute(select(Quote).where(Quote.status_id == status_id))
    return result.scalar_one_or_none()


async def of_statuses(session: AsyncSession, status_ids: Sequence[int]) -> dict[int, Quote]:
    """The quotes of a page of statuses, by quoting status id (one query)."""
    if not status_ids:
        return {}
    result = await session.execute(select(Quote).where(Quote.status_id.in_(list(status_ids))))
    return {row.status_id: row for row in result.scalars().all()}


async def by_id(session: AsyncSession, quote_id: int) -> Quote | None:
    return await session.get(Quote, quote_id)


async def by_activity_uri(session: AsyncSession, uri: str) -> Quote | None:
    result = await session.execute(select(Quote).where(Quote.activity_uri == uri).limit(1))
    return result.scalar_one_or_none()


async def by_approval_uri(session: AsyncSession, uri: str) -> list[Quote]:
    result = await session.execute(select(Quote).where(Quote.approval_uri == uri))
    return list(result.scalars().all())


async def waiting_for(session: AsyncSession, quoted_uri: str) -> list[Quote]:
    """Quotes of a post we did not hold when they arrived (linked once it is stored)."""
    result = await session.execute(select(Quote).where(
        Quote.quoted_uri == quoted_uri, Quote.quoted_status_id.is_(None)))
    return list(result.scalars().all())


async def set_state(session: AsyncSession, quote_id: int, state: str, *,
                    approval_uri: str | None = None) -> None:
    values: dict[str, object] = {"state": state}
    if approval_uri is not None:
        values["approval_uri"] = approval_uri
    await session.execute(update(Quote).where(Quote.id == quote_id).values(**values))


async def policy_of(session: AsyncSession, status_id: int) -> QuotePolicy | None:
    return await session.get(QuotePolicy, status_id)


async def policies_of(session: AsyncSession,
                      status_ids: Sequence[int]) -> dict[int, QuotePolicy]:
    if not status_ids:
        return {}
    result = await session.execute(select(QuotePolicy).where(
        QuotePolicy.status_id.in_(list(status_ids))))
    return {row.status_id: row for row in result.scalars().all()}


async def set_policy(session: AsyncSession, status_id: int, automatic: str,
                     manual: str) -> None:
    row = await session.get(QuotePolicy, status_id)
    if row is None:
        session.add(QuotePolicy(status_id=status_id, automatic=automatic, manual=manual))
    else:
        row.automatic, row.manual = automatic, manual
    await session.flush()


async def stamp_held(session: AsyncSession, uri: str) -> bool:
    """Whether a quote here is approved by this stamp (its Delete concerns us)."""
    result = await session.execute(select(Quote.id).where(Quote.approval_uri == uri).limit(1))
    return result.scalar_one_or_none() is not None
