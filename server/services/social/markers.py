"""Read markers: what a signed-in user has read of their notifications, and the unread count
the web app's navigation shows (Mastodon's markers and notifications/unread_count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from server.i18n import N_
from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
from server.services.errors import InvalidInput
from storage import markers as marker_queries

# Counted at most this many: past 99 the badge says "99+", so one more row is enough.
UNREAD_CAP = 100


async def unread_notifications(services: Services, user: SignedIn) -> int:
    """How many notifications the user's list shows that are newer than their marker,
    at most UNREAD_CAP. One indexed query."""
    async with services.db.reader() as session:
        return await marker_queries.unread_notifications(
            session, user.user_id, user.account_id, cap=UNREAD_CAP)


async def newest_notification_id(services: Services, user: SignedIn) -> int | None:
    """The user's newest notification id now, including those the list hides (a word
    filter's): read before listing, everything up to it has been seen once the first page
    is shown."""
    async with services.db.reader() as session:
        return await marker_queries.newest_notification_id(session, user.account_id)


async def mark_notifications_read(services: Services, user: SignedIn, last_id: int) -> bool:
    """Notifications up to `last_id` are read. The marker only moves forward (an older page
    or tab never marks newer ones unread again). Returns whether it moved."""
    if last_id <= 0:
        return False
    async with services.db.writer.begin() as session:
        return await marker_queries.upsert(session, user.user_id, marker_queries.NOTIFICATIONS,
                                           last_id)


# --- the client API's markers ----------------------------------------------------------------

TIMELINES = (marker_queries.HOME, marker_queries.NOTIFICATIONS)


@dataclass(frozen=True)
class MarkerView:
    timeline: str
    last_read_id: int
    updated_at: datetime

    @property
    def version(self) -> int:
        """Mastodon's lock_version counts updates; we keep no counter, so the version is the
        last update's time in milliseconds: it changes exactly when the marker does, and
        only grows."""
        return int(self.updated_at.timestamp() * 1000)


async def get_markers(services: Services, user_id: int,
                      timelines: Sequence[str]) -> list[MarkerView]:
    """The user's markers of these timelines (of TIMELINES; others are ignored)."""
    wanted = [t for t in TIMELINES if t in timelines]
    async with services.db.reader() as session:
        rows = await marker_queries.markers_of(session, user_id, wanted)
    return [MarkerView(row.timeline, row.last_read_id, row.updated_at) for row in rows]


async def set_markers(services: Services, user_id: int,
                      positions: dict[str, int]) -> list[MarkerView]:
    """Set the user's markers (timeline -> last read id, timelines of TIMELINES) where the
    client says, older or newer: unlike the web app's, which only moves forward, a client's
    marker is its reader's position (as Mastodon's markers are)."""
    unknown = [t for t in positions if t not in TIMELINES]
    if unknown:
        raise InvalidInput(N_("markers are kept for %(timelines)s only"),
                           timelines=" and ".join(TIMELINES))
    async with services.db.writer.begin() as session:
        for timeline, last_read_id in positions.items():
            await marker_queries.put(session, user_id, timeline, last_read_id)
        rows = await marker_queries.markers_of(session, user_id, list(positions))
    return [MarkerView(row.timeline, row.last_read_id, row.updated_at) for row in rows]
