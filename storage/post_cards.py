"""Bulk reads for rendering a page of posts: the posts with their authors, their images and
what one viewer has done to them. One query each, for the whole page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Favourite, MediaAttachment, RemoteMedia, Status


async def statuses_with_authors(session: AsyncSession,
                                status_ids: Sequence[int]) -> dict[int, tuple[Status, Account]]:
    """Live posts (not boosts, not deleted) by id, each with its author."""
    if not status_ids:
        return {}
    result = await session.execute(
        select(Status, Account).join(Account, Account.id == Status.account_id)
        .where(Status.id.in_(list(status_ids)), Status.deleted_at.is_(None),
               Status.reblog_of_id.is_(None)))
    return {status.id: (status, account) for status, account in result.all()}


async def local_images(session: AsyncSession,
                       status_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    """Attachments of local posts, in position order."""
    found: dict[int, list[MediaAttachment]] = defaultdict(list)
    if status_ids:
        result = await session.execute(
            select(MediaAttachment).where(MediaAttachment.status_id.in_(list(status_ids)))
            .order_by(MediaAttachment.position, MediaAttachment.id))
        for media in result.scalars().all():
            if media.status_id is not None:
                found[media.status_id].append(media)
    return found


async def remote_images(session: AsyncSession,
                        status_ids: Sequence[int]) -> dict[int, list[RemoteMedia]]:
    """Attachments of remote posts, in position order."""
    found: dict[int, list[RemoteMedia]] = defaultdict(list)
    if status_ids:
        result = await session.execute(
            select(RemoteMedia).where(RemoteMedia.status_id.in_(list(status_ids)))
            .order_by(RemoteMedia.position, RemoteMedia.id))
        for media in result.scalars().all():
            found[media.status_id].append(media)
    return found


async def favourited_by(session: AsyncSession, account_id: int,
                        status_ids: Sequence[int]) -> set[int]:
    """Which of these posts the account has liked."""
    if not status_ids:
        return set()
    result = await session.execute(select(Favourite.status_id).where(
        Favourite.account_id == account_id, Favourite.status_id.in_(list(status_ids))))
    return set(result.scalars().all())


async def favourited_pairs(session: AsyncSession, account_ids: Sequence[int],
                          status_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(account, post) for each of these posts each of these accounts has liked: one
    query for many viewers (a stream event reaching them all)."""
    if not account_ids or not status_ids:
        return set()
    result = await session.execute(select(Favourite.account_id, Favourite.status_id).where(
        Favourite.account_id.in_(list(account_ids)),
        Favourite.status_id.in_(list(status_ids))))
    return {(a, s) for a, s in result.all()}


async def boosted_by(session: AsyncSession, account_id: int,
                     status_ids: Sequence[int]) -> set[int]:
    """Which of these posts the account has boosted (a live boost row)."""
    if not status_ids:
        return set()
    result = await session.execute(select(Status.reblog_of_id).where(
        Status.account_id == account_id, Status.reblog_of_id.in_(list(status_ids)),
        Status.deleted_at.is_(None)))
    return {i for i in result.scalars().all() if i is not None}


async def boosted_pairs(session: AsyncSession, account_ids: Sequence[int],
                        status_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(account, post) for each of these posts each of these accounts has boosted."""
    if not account_ids or not status_ids:
        return set()
    result = await session.execute(select(Status.account_id, Status.reblog_of_id).where(
        Status.account_id.in_(list(account_ids)), Status.reblog_of_id.in_(list(status_ids)),
        Status.deleted_at.is_(None)))
    return {(a, s) for a, s in result.all() if s is not None}


async def boosters(session: AsyncSession, boost_ids: Sequence[int]) -> dict[int, Account]:
    """The account behind each of these boost rows."""
    if not boost_ids:
        return {}
    result = await session.execute(
        select(Status.id, Account).join(Account, Account.id == Status.account_id)
        .where(Status.id.in_(list(boost_ids)), Status.reblog_of_id.is_not(None)))
    return {boost_id: account for boost_id, account in result.all()}
