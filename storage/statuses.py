"""Queries on posts."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    Favourite,
    MediaAttachment,
    Mention,
    RemoteMedia,
    Status,
    StatusTag,
    Tag,
)
from storage.pagination import Page, apply_page, finish_page

PUBLIC_VISIBILITIES = ("public", "unlisted")


async def is_deleted(session: AsyncSession, status_id: int) -> bool:
    """Whether the post was deleted (soft: a tombstone row) or is gone altogether."""
    result = await session.execute(select(Status.deleted_at).where(Status.id == status_id))
    row = result.first()
    return row is None or row.deleted_at is not None


async def count_public_by_account(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(select(func.count()).select_from(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None),
        Status.reblog_of_id.is_(None), Status.visibility.in_(PUBLIC_VISIBILITIES)))
    return int(result.scalar_one())


async def public_page_by_account(session: AsyncSession, account_id: int,
                                 page: Page) -> list[Status]:
    stmt = select(Status).where(Status.account_id == account_id, Status.deleted_at.is_(None),
                                Status.reblog_of_id.is_(None),
                                Status.visibility.in_(PUBLIC_VISIBILITIES))
    rows = (await session.execute(apply_page(stmt, Status.id, page))).scalars().all()
    return finish_page(list(rows), page)


async def by_id(session: AsyncSession, status_id: int) -> Status | None:
    return await session.get(Status, status_id)


async def by_uri(session: AsyncSession, uri: str) -> Status | None:
    result = await session.execute(select(Status).where(Status.uri == uri))
    return result.scalar_one_or_none()


async def by_idempotency_key(session: AsyncSession, account_id: int,
                             key: str) -> Status | None:
    result = await session.execute(select(Status).where(
        Status.account_id == account_id, Status.idempotency_key == key))
    return result.scalar_one_or_none()


async def boost_of(session: AsyncSession, account_id: int, status_id: int) -> Status | None:
    result = await session.execute(select(Status).where(
        Status.account_id == account_id, Status.reblog_of_id == status_id,
        Status.deleted_at.is_(None)))
    return result.scalar_one_or_none()


async def attachments(session: AsyncSession, status_id: int) -> list[MediaAttachment]:
    result = await session.execute(select(MediaAttachment).where(
        MediaAttachment.status_id == status_id).order_by(MediaAttachment.position))
    return list(result.scalars().all())


async def remote_media(session: AsyncSession, status_id: int) -> list[RemoteMedia]:
    result = await session.execute(select(RemoteMedia).where(
        RemoteMedia.status_id == status_id).order_by(RemoteMedia.position))
    return list(result.scalars().all())


async def tag_names(session: AsyncSession, status_id: int) -> list[str]:
    result = await session.execute(
        select(Tag.name).join(StatusTag, StatusTag.tag_id == Tag.id)
        .where(StatusTag.status_id == status_id).order_by(Tag.name))
    return list(result.scalars().all())


async def mentioned_accounts(session: AsyncSession, status_id: int) -> list[Account]:
    result = await session.execute(
        select(Account).join(Mention, Mention.account_id == Account.id)
        .where(Mention.status_id == status_id).order_by(Account.id))
    return list(result.scalars().all())


async def tag_for(session: AsyncSession, name: str) -> Tag:
    """The tag row for a lowercase name, created if new (the caller's transaction)."""
    result = await session.execute(select(Tag).where(Tag.name == name))
    tag = result.scalar_one_or_none()
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        await session.flush()
    return tag


Counter = Literal["replies_count", "favourites_count", "reblogs_count", "remixes_count"]


async def increment(session: AsyncSession, status_id: int, counter: Counter,
                    by: int = 1) -> None:
    """Add `by` (may be negative) to a counter in SQL, never below zero: never read, add and
    write back, so likes applied at once by different workers all count."""
    column = getattr(Status, counter)
    await session.execute(update(Status).where(Status.id == status_id)
                          .values({column: case((column + by < 0, 0), else_=column + by)}))


async def favourite_by(session: AsyncSession, account_id: int,
                       status_id: int) -> Favourite | None:
    result = await session.execute(select(Favourite).where(
        Favourite.account_id == account_id, Favourite.status_id == status_id))
    return result.scalar_one_or_none()


async def replace_tags_and_mentions(session: AsyncSession, status_id: int) -> None:
    """Drop a post's tags and mentions before they are written again (after an edit)."""
    await session.execute(delete(StatusTag).where(StatusTag.status_id == status_id))
    await session.execute(delete(Mention).where(Mention.status_id == status_id))
