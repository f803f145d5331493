"""Queries on favourites (a like, on the wire: a `Like`), local and remote."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import Favourite, Status
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import visible_to
from storage.types import utcnow
from storage.upserts import insert_into


async def favourite_by(session: AsyncSession, account_id: int,
                       status_id: int) -> Favourite | None:
    result = await session.execute(select(Favourite).where(
        Favourite.account_id == account_id, Favourite.status_id == status_id))
    return result.scalar_one_or_none()


async def favourite_by_uri(session: AsyncSession, uri: str) -> Favourite | None:
    result = await session.execute(select(Favourite).where(Favourite.uri == uri))
    return result.scalar_one_or_none()


async def liked(session: AsyncSession, account_id: int, status_id: int, uri: str) -> bool:
    """Whether the account likes the status already, or a like with this id is stored (the
    two checks an incoming Like makes, in one query)."""
    result = await session.execute(select(Favourite.id).where(or_(
        (Favourite.account_id == account_id) & (Favourite.status_id == status_id),
        Favourite.uri == uri)).limit(1))
    return result.first() is not None


async def stored_likes(session: AsyncSession, uris: Collection[str], account_ids: Collection[int],
                       status_ids: Collection[int]) -> tuple[set[str], set[tuple[int, int]]]:
    """Of a batch of incoming Likes: the ids already stored, and the (account, status) pairs
    liked already among these accounts and statuses."""
    if not uris and not (account_ids and status_ids):
        return set(), set()
    result = await session.execute(
        select(Favourite.uri, Favourite.account_id, Favourite.status_id).where(or_(
            Favourite.uri.in_(list(uris)),
            Favourite.account_id.in_(list(account_ids))
            & Favourite.status_id.in_(list(status_ids)))))
    rows = result.all()
    return ({uri for uri, _, _ in rows if uri is not None and uri in uris},
            {(account_id, status_id) for _, account_id, status_id in rows})


async def insert(session: AsyncSession, account_id: int, status_id: int,
                 uri: str | None) -> bool:
    """Store a like; False when the account likes the status already or a like with this id
    is stored (two workers applying two Likes of one post at once: the second one's insert
    does nothing instead of failing the transaction)."""
    result = await session.execute(
        insert_into(session, Favourite)
        .values(id=new_id(), account_id=account_id, status_id=status_id, uri=uri,
                created_at=utcnow())
        .on_conflict_do_nothing().returning(Favourite.id))
    return result.first() is not None


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
