"""Queries on favourites (a like, on the wire: a `Like`), local and remote."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Favourite


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
