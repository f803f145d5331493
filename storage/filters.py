"""Queries on a user's phrase filters, and the text of posts they are matched against."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Filter, MediaAttachment, RemoteMedia, StatusTag, Tag


async def add(session: AsyncSession, row: Filter) -> Filter:
    session.add(row)
    await session.flush()
    return row


async def filters_of(session: AsyncSession, account_id: int) -> list[Filter]:
    """All of an account's filters, expired ones included, oldest first."""
    result = await session.execute(
        select(Filter).where(Filter.account_id == account_id).order_by(Filter.id))
    return list(result.scalars().all())


async def filter_of(session: AsyncSession, account_id: int, filter_id: int) -> Filter | None:
    """One of the account's filters (None for another account's)."""
    result = await session.execute(
        select(Filter).where(Filter.id == filter_id, Filter.account_id == account_id))
    return result.scalar_one_or_none()


async def active_filters(session: AsyncSession, account_id: int,
                         now: datetime) -> list[Filter]:
    result = await session.execute(
        select(Filter).where(Filter.account_id == account_id,
                             or_(Filter.expires_at.is_(None), Filter.expires_at > now))
        .order_by(Filter.id))
    return list(result.scalars().all())


async def owners_among(session: AsyncSession, account_ids: Sequence[int],
                       now: datetime) -> set[int]:
    """Which of these accounts have an active filter (the others need no screening)."""
    if not account_ids:
        return set()
    result = await session.execute(select(Filter.account_id).distinct().where(
        Filter.account_id.in_(list(account_ids)),
        or_(Filter.expires_at.is_(None), Filter.expires_at > now)))
    return set(result.scalars().all())


async def delete_filter(session: AsyncSession, account_id: int, filter_id: int) -> bool:
    result = await session.execute(
        delete(Filter).where(Filter.id == filter_id, Filter.account_id == account_id)
        .returning(Filter.id))
    return result.first() is not None


async def tags_of(session: AsyncSession,
                  status_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each post's hashtags (lowercase names)."""
    found: dict[int, list[str]] = {}
    if not status_ids:
        return found
    result = await session.execute(
        select(StatusTag.status_id, Tag.name).join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id.in_(list(status_ids))))
    for status_id, name in result.all():
        found.setdefault(status_id, []).append(name)
    return found


async def descriptions_of(session: AsyncSession,
                          status_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each post's image descriptions (alt texts), in order, local and remote."""
    found: dict[int, list[str]] = {}
    if not status_ids:
        return found
    for model in (MediaAttachment, RemoteMedia):
        result = await session.execute(
            select(model.status_id, model.description)
            .where(model.status_id.in_(list(status_ids)), model.description != "")
            .order_by(model.status_id, model.position))
        for status_id, description in result.all():
            if status_id is not None:
                found.setdefault(status_id, []).append(description)
    return found
