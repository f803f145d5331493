"""Durable storage of received activities, idempotent on the activity id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import InboxActivity
from storage.types import utcnow


@dataclass(frozen=True)
class NewActivity:
    activity_id: str
    activity_type: str
    actor_uri: str
    signer_key_id: str | None
    signer_uri: str | None
    inbox_account_id: int | None
    body: dict[str, Any]


async def insert_new(session: AsyncSession, items: Sequence[NewActivity]) -> list[int | None]:
    """Insert each activity unless its id is already stored, in one statement; returns the
    new row id per item, None for a duplicate (of a stored row or of an earlier item)."""
    if not items:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = [{"id": new_id(), "activity_id": item.activity_id,
             "activity_type": item.activity_type[:64], "actor_uri": item.actor_uri,
             "signer_key_id": item.signer_key_id, "signer_uri": item.signer_uri,
             "inbox_account_id": item.inbox_account_id, "body": item.body,
             "state": "received", "received_at": now} for item in items]
    stmt = (insert(InboxActivity).values(rows)
            .on_conflict_do_nothing(index_elements=["activity_id"])
            .returning(InboxActivity.id, InboxActivity.activity_id))
    created = {activity_id: row_id for row_id, activity_id in await session.execute(stmt)}
    # The first item with a new activity id gets the row; repeats within the batch do not.
    return [created.pop(item.activity_id, None) for item in items]


async def get(session: AsyncSession, row_id: int) -> InboxActivity | None:
    return await session.get(InboxActivity, row_id)


async def by_activity_id(session: AsyncSession, activity_id: str) -> InboxActivity | None:
    result = await session.execute(
        select(InboxActivity).where(InboxActivity.activity_id == activity_id))
    return result.scalar_one_or_none()


async def mark(session: AsyncSession, row_id: int, state: str, note: str | None = None) -> None:
    await session.execute(update(InboxActivity).where(InboxActivity.id == row_id).values(
        state=state, error=note, processed_at=utcnow()))
