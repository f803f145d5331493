"""Queries on favourites (a like, on the wire: a `Like`), local and remote."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Favourite, Status
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import visible_to


async def favourite_by(session: AsyncSession, account_id: int,
                       status_id: int) -> Favourite | None:
    result = await session.execute(select(Favourite).where(
        Favourite.account_id == account_id, Favourite.status_id == status_id))
    return result.scalar_one_or_none()


async def favourite_by_uri(session: AsyncSession, uri: str) -> Favourite | None:
    result = await session.execute(select(Favourite).where(Favourite.uri == uri))
    return result.scalar_one_or_none()


async def delete_favourite(session: AsyncSession, favourite_id: int) -> None:
    await session.execute(delete(Favourite).where(Favourite.id == favourite_id))


async def page_of(session: AsyncSession, account_id: int,
                  page: Page) -> list[tuple[int, int]]:
    """(favourite id, status id) of the account's favourites, newest first, paged by the
    favourite's id as Mastodon pages them; statuses it may no longer see left out in SQL."""
    stmt = (select(Favourite.id, Favourite.status_id)
            .join(Status, Status.id == Favourite.status_id)
            .where(Favourite.account_id == account_id, visible_to(Status, account_id)))
    rows = (await session.execute(apply_page(stmt, Favourite.id, page))).all()
    return [(row_id, status_id) for row_id, status_id in finish_page(rows, page)]
