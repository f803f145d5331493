"""Read markers: what a signed-in user has read of their notifications, and the unread count
the web app's navigation shows (Mastodon's markers and notifications/unread_count)."""

from __future__ import annotations

from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
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
