"""Read markers (Mastodon's `markers`): the newest id a user has read in a timeline, and how
many notifications are newer than it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import Marker, Notification, Status
from storage.notification_lists import notification_shown
from storage.types import utcnow
from storage.upserts import insert_into

NOTIFICATIONS = "notifications"
HOME = "home"

_markers = cast(Table, Marker.__table__)


async def get(session: AsyncSession, user_id: int, timeline: str) -> Marker | None:
    result = await session.execute(select(Marker).where(Marker.user_id == user_id,
                                                        Marker.timeline == timeline))
    return result.scalar_one_or_none()


async def markers_of(session: AsyncSession, user_id: int,
                     timelines: Sequence[str]) -> list[Marker]:
    if not timelines:
        return []
    result = await session.execute(select(Marker).where(Marker.user_id == user_id,
                                                        Marker.timeline.in_(list(timelines))))
    return list(result.scalars().all())


async def upsert(session: AsyncSession, user_id: int, timeline: str, last_read_id: int, *,
                 now: datetime | None = None) -> bool:
    """Set the marker to `last_read_id` unless it is already there or further: an old tab
    reloaded after a newer one must not mark read notifications unread again. One statement
    (INSERT ... ON CONFLICT DO UPDATE ... WHERE), so two requests at once cannot move it
    back either. Returns whether it moved."""
    stmt = insert_into(session, _markers).values(id=new_id(), user_id=user_id, timeline=timeline,
                                   last_read_id=last_read_id, updated_at=now or utcnow())
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "timeline"],
        set_={"last_read_id": stmt.excluded.last_read_id,
              "updated_at": stmt.excluded.updated_at},
        where=_markers.c.last_read_id < stmt.excluded.last_read_id,
    ).returning(_markers.c.id)
    result = await session.execute(stmt)
    return result.first() is not None


async def put(session: AsyncSession, user_id: int, timeline: str, last_read_id: int, *,
              now: datetime | None = None) -> None:
    """Set the marker to `last_read_id`, older or newer (what a client asks for: the client
    API's markers move both ways, as Mastodon's do)."""
    stmt = insert_into(session, _markers).values(id=new_id(), user_id=user_id, timeline=timeline,
                                   last_read_id=last_read_id, updated_at=now or utcnow())
    await session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "timeline"],
        set_={"last_read_id": stmt.excluded.last_read_id,
              "updated_at": stmt.excluded.updated_at}))


async def unread_notifications(session: AsyncSession, user_id: int, account_id: int, *,
                               cap: int, types: frozenset[str] | None = None,
                               from_account_id: int | None = None) -> int:
    """How many notifications of `account_id` newer than `user_id`'s notifications marker
    (all of them without one) its list would show, counting at most `cap`.

    One query: the marker is a scalar subquery, and the count walks the
    (account_id, id) index from the marker up and stops after `cap` rows. The block, mute,
    deletion and silencing conditions are the list's own (storage.timelines); they are
    uncorrelated subqueries that the database evaluates only when some row is unread.
    Word filters are not applied (they run in Python, server.services.social.filters): a
    notification one of them hides still counts until the list is read past it."""
    last_read = (select(Marker.last_read_id)
                 .where(Marker.user_id == user_id, Marker.timeline == NOTIFICATIONS)
                 .scalar_subquery())
    unread = (select(Notification.id)
              .outerjoin(Status, Status.id == Notification.status_id)
              .where(Notification.account_id == account_id,
                     Notification.id > func.coalesce(last_read, 0),
                     notification_shown(account_id)))
    if types is not None:
        unread = unread.where(Notification.type.in_(sorted(types)))
    if from_account_id is not None:
        unread = unread.where(Notification.from_account_id == from_account_id)
    limited = unread.limit(cap).subquery()
    count = (await session.execute(select(func.count()).select_from(limited))).scalar_one()
    return int(count)


async def newest_notification_id(session: AsyncSession, account_id: int) -> int | None:
    """The id of the account's newest notification, shown or not (the end of the index)."""
    result = await session.execute(select(func.max(Notification.id))
                                   .where(Notification.account_id == account_id))
    newest: int | None = result.scalar_one()
    return newest
