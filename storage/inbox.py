"""Durable storage of received activities, idempotent on (activity id, signing origin).

Rows are kept for a bounded time (the dedup window) and their bodies only until applied or
ignored: see purge_older_than and mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import InboxActivity
from storage.types import utcnow
from storage.upserts import insert_into

_table = cast(Table, InboxActivity.__table__)

# What an applied or ignored activity keeps of its outcome: enough to debug, not a copy of
# whatever a remote server put in an error message.
MAX_NOTE = 500
# Rows deleted per statement by the purge, so a large backlog never holds a long lock.
PURGE_CHUNK = 2000


@dataclass(frozen=True)
class NewActivity:
    activity_id: str
    activity_type: str
    actor_uri: str
    # scheme://host[:port] of the signer's keyId: one server cannot claim another's ids.
    origin: str
    signer_key_id: str | None
    signer_uri: str | None
    inbox_account_id: int | None
    body: dict[str, Any]


async def insert_new(session: AsyncSession, items: Sequence[NewActivity]) -> list[int | None]:
    """Insert each activity unless (its id, its origin) is already stored, in one statement;
    returns the new row id per item, None for a duplicate (of a stored row or of an earlier
    item)."""
    if not items:
        return []
    now = utcnow()
    rows = [{"id": new_id(), "activity_id": item.activity_id, "origin": item.origin,
             "activity_type": item.activity_type[:64], "actor_uri": item.actor_uri,
             "signer_key_id": item.signer_key_id, "signer_uri": item.signer_uri,
             "inbox_account_id": item.inbox_account_id, "body": item.body,
             "state": "received", "received_at": now} for item in items]
    # One statement compiled once and cached, run with the rows as parameters (SQLAlchemy
    # sends them as multi-row INSERTs): a .values(rows) statement is compiled anew for every
    # batch, which cost more CPU than the rows' inserts themselves.
    stmt = (insert_into(session, _table)
            .on_conflict_do_nothing(index_elements=["activity_id", "origin"])
            .returning(_table.c.id, _table.c.activity_id, _table.c.origin))
    created = {(activity_id, origin): row_id
               for row_id, activity_id, origin in await session.execute(stmt, rows)}
    # The first item with a new key gets the row; repeats within the batch do not.
    return [created.pop((item.activity_id, item.origin), None) for item in items]


async def get(session: AsyncSession, row_id: int) -> InboxActivity | None:
    return await session.get(InboxActivity, row_id)


async def by_activity_id(session: AsyncSession, activity_id: str,
                         origin: str | None = None) -> InboxActivity | None:
    """The first row received with this id (from `origin`, when given)."""
    stmt = select(InboxActivity).where(InboxActivity.activity_id == activity_id)
    if origin is not None:
        stmt = stmt.where(InboxActivity.origin == origin)
    result = await session.execute(stmt.order_by(InboxActivity.received_at,
                                                 InboxActivity.id).limit(1))
    return result.scalar_one_or_none()


async def get_many(session: AsyncSession, row_ids: Sequence[int]) -> dict[int, InboxActivity]:
    """The rows with these ids (one query for a batch of apply jobs), by id; missing ids are
    absent."""
    if not row_ids:
        return {}
    result = await session.execute(select(InboxActivity).where(
        InboxActivity.id.in_(list(row_ids))))
    return {row.id: row for row in result.scalars()}


@dataclass(frozen=True)
class Outcome:
    """What became of one received activity: its new state and a note saying why."""

    row_id: int
    state: str
    note: str | None = None


async def mark_many(session: AsyncSession, outcomes: Sequence[Outcome]) -> None:
    """Record each outcome and drop the body, for many rows in one executemany inside the
    caller's transaction: a row stays only to recognise redeliveries (and to say what
    happened), and a body may be up to a megabyte of anything."""
    if not outcomes:
        return
    now = utcnow()
    # On the table, not the mapped class: the ORM would read a list of parameters as its
    # "bulk update by primary key", which takes no WHERE clause of ours.
    stmt = (update(_table).where(_table.c.id == bindparam("row_id"))
            .values(state=bindparam("new_state"), error=bindparam("note"), processed_at=now,
                    body=None))
    await session.execute(stmt, [
        {"row_id": o.row_id, "new_state": o.state, "note": _short(o.note)} for o in outcomes])


def _short(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        return note[:MAX_NOTE - 1] + "…"
    return note


async def purge_older_than(session: AsyncSession, cutoff: datetime) -> int:
    """Delete up to PURGE_CHUNK rows received before `cutoff`; returns how many went."""
    ids = (await session.execute(
        select(InboxActivity.id).where(InboxActivity.received_at < cutoff)
        .order_by(InboxActivity.received_at).limit(PURGE_CHUNK))).scalars().all()
    if ids:
        await session.execute(delete(InboxActivity).where(InboxActivity.id.in_(ids)))
    return len(ids)
