"""Queries on status pins: statuses their authors pinned to their profiles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Status, StatusPin
from storage.timelines import visible_to


async def pin_of(session: AsyncSession, account_id: int, status_id: int) -> StatusPin | None:
    result = await session.execute(select(StatusPin).where(
        StatusPin.account_id == account_id, StatusPin.status_id == status_id))
    return result.scalar_one_or_none()


async def count_of(session: AsyncSession, account_id: int) -> int:
    """Pins of live statuses (a deleted status's pin no longer counts against the limit)."""
    result = await session.execute(
        select(func.count()).select_from(StatusPin)
        .join(Status, Status.id == StatusPin.status_id)
        .where(StatusPin.account_id == account_id, Status.deleted_at.is_(None)))
    return int(result.scalar_one())


async def add(session: AsyncSession, account_id: int, status_id: int) -> StatusPin:
    row = StatusPin(account_id=account_id, status_id=status_id)
    session.add(row)
    await session.flush()
    return row


async def remove(session: AsyncSession, account_id: int, status_id: int) -> bool:
    """Whether there was one to remove."""
    result = await session.execute(delete(StatusPin).where(
        StatusPin.account_id == account_id, StatusPin.status_id == status_id))
    return bool(getattr(result, "rowcount", 0))


async def remove_all(session: AsyncSession, account_id: int) -> None:
    """Unpin everything of the account (a remote account's collection, read again, is
    pinned anew)."""
    await session.execute(delete(StatusPin).where(StatusPin.account_id == account_id))


async def pinned_ids(session: AsyncSession, account_id: int,
                     viewer_id: int | None) -> list[int]:
    """The account's pinned statuses the viewer may see, the newest pin first (Mastodon's
    order: status_pins.created_at DESC)."""
    result = await session.execute(
        select(StatusPin.status_id).join(Status, Status.id == StatusPin.status_id)
        .where(StatusPin.account_id == account_id, visible_to(Status, viewer_id))
        .order_by(StatusPin.id.desc()))
    return list(result.scalars().all())


async def pinned_among(session: AsyncSession, account_id: int,
                       status_ids: Sequence[int]) -> set[int]:
    """Which of these statuses the account has pinned (one query for a page)."""
    if not status_ids:
        return set()
    result = await session.execute(select(StatusPin.status_id).where(
        StatusPin.account_id == account_id, StatusPin.status_id.in_(list(status_ids))))
    return set(result.scalars().all())


async def pinned_pairs(session: AsyncSession, account_ids: Sequence[int],
                       status_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(account, post) for each of these statuses each of these accounts has pinned."""
    if not account_ids or not status_ids:
        return set()
    result = await session.execute(select(StatusPin.account_id, StatusPin.status_id).where(
        StatusPin.account_id.in_(list(account_ids)), StatusPin.status_id.in_(list(status_ids))))
    return {(a, s) for a, s in result.all()}
