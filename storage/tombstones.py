"""Tombstones: remote objects deleted before we saw them created (a late Create is ignored)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Tombstone
from storage.types import utcnow
from storage.upserts import insert_into


async def add(session: AsyncSession, uri: str, account_uri: str) -> None:
    """Remember that `account_uri` deleted `uri`; a second Delete changes nothing."""
    await session.execute(insert_into(session, Tombstone).values(
        uri=uri, account_uri=account_uri, deleted_at=utcnow())
        .on_conflict_do_nothing(index_elements=["uri"]))


async def deleted_by(session: AsyncSession, uri: str, account_uri: str) -> bool:
    """Whether this object was deleted by this author before it reached us."""
    result = await session.execute(select(Tombstone.uri).where(
        Tombstone.uri == uri, Tombstone.account_uri == account_uri))
    return result.first() is not None
