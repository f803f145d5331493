"""Queries on bookmarks: an account's private saves of statuses (never federated)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Bookmark, Status
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import visible_to


async def bookmark_of(session: AsyncSession, account_id: int,
                      status_id: int) -> Bookmark | None:
    result = await session.execute(select(Bookmark).where(
        Bookmark.account_id == account_id, Bookmark.status_id == status_id))
    return result.scalar_one_or_none()


async def add(session: AsyncSession, account_id: int, status_id: int) -> Bookmark:
    row = Bookmark(account_id=account_id, status_id=status_id)
    session.add(row)
    await session.flush()
    return row


async def remove(session: AsyncSession, account_id: int, status_id: int) -> bool:
    """Whether there was one to remove."""
    result = await session.execute(delete(Bookmark).where(
        Bookmark.account_id == account_id, Bookmark.status_id == status_id))
    return bool(getattr(result, "rowcount", 0))


async def page_of(session: AsyncSession, account_id: int,
                  page: Page) -> list[tuple[int, int]]:
    """(bookmark id, status id) of the account's bookmarks, newest bookmark first, paged by
    the bookmark's id as Mastodon pages them. Statuses it may no longer see (deleted, their
    author blocking it or suspended) are left out in SQL, so a page is never cut short."""
    stmt = (select(Bookmark.id, Bookmark.status_id)
            .join(Status, Status.id == Bookmark.status_id)
            .where(Bookmark.account_id == account_id, visible_to(Status, account_id)))
    rows = (await session.execute(apply_page(stmt, Bookmark.id, page))).all()
    return [(bookmark_id, status_id) for bookmark_id, status_id in finish_page(rows, page)]


async def bookmarked_among(session: AsyncSession, account_id: int,
                           status_ids: Sequence[int]) -> set[int]:
    if not status_ids:
        return set()
    result = await session.execute(select(Bookmark.status_id).where(
        Bookmark.account_id == account_id, Bookmark.status_id.in_(list(status_ids))))
    return set(result.scalars().all())


async def bookmarked_pairs(session: AsyncSession, account_ids: Sequence[int],
                           status_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(account, post) for each of these posts each of these accounts has bookmarked."""
    if not account_ids or not status_ids:
        return set()
    result = await session.execute(select(Bookmark.account_id, Bookmark.status_id).where(
        Bookmark.account_id.in_(list(account_ids)), Bookmark.status_id.in_(list(status_ids))))
    return {(a, s) for a, s in result.all()}
