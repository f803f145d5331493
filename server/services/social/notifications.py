"""Notifications: what happened to a local account, and the list it reads them from.

`notify` runs inside the caller's transaction, beside the row that caused it (a follow, a
like, a boost, a reply), so the notification exists exactly when its cause does. Those causes
are unique rows of their own (one like per account and post, one status per uri), which is
what keeps a redelivered activity from notifying twice; the duplicate check here is for
callers whose cause repeats, such as a follow request sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import NotFound
from server.services.social.filters import screen_notifications
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import notifications as notification_queries
from storage import timelines as timeline_queries
from storage.pagination import Page

FOLLOW = "follow"
FOLLOW_REQUEST = "follow_request"
FAVOURITE = "favourite"
REBLOG = "reblog"
REPLY = "reply"
MENTION = "mention"
REMIX = "remix"
# To every admin, from the new account, when a sign-up waits for approval (Mastodon's name).
ADMIN_SIGN_UP = "admin.sign_up"
# To every admin, from the reporter, when a report arrives (Mastodon's name).
ADMIN_REPORT = "admin.report"
TYPES = frozenset({FOLLOW, FOLLOW_REQUEST, FAVOURITE, REBLOG, REPLY, MENTION, REMIX,
                   ADMIN_SIGN_UP, ADMIN_REPORT})

EXCERPT_LENGTH = 80


async def notify(session: AsyncSession, account_id: int, from_account_id: int, type: str,
                 status_id: int | None = None) -> bool:
    """Tell local account `account_id` that `from_account_id` did `type` (to `status_id`).
    Returns whether a notification was made: never for yourself, never from an account you
    block, never twice the same."""
    if type not in TYPES:
        raise ValueError(f"unknown notification type {type!r}")
    if account_id == from_account_id:
        return False
    if await block_queries.block_between(session, account_id, from_account_id) is not None:
        return False  # someone you block reaches you no more through notifications
    if await notification_queries.exists_same(session, account_id, from_account_id, type,
                                              status_id):
        return False
    await notification_queries.add(session, account_id, from_account_id, type, status_id)
    return True


async def notify_report(session: AsyncSession, admin_ids: list[int],
                        reporter_id: int) -> int:
    """Tell these admins about a new report. Unlike `notify`: each report is a new cause
    (never a duplicate), and blocks do not hide it (Mastodon's NotifyService does not filter
    admin.* types). Not to the reporter itself. Returns how many were made."""
    made = 0
    for admin_id in admin_ids:
        if admin_id != reporter_id:
            await notification_queries.add(session, admin_id, reporter_id, ADMIN_REPORT, None)
            made += 1
    return made


@dataclass(frozen=True)
class NotificationView:
    id: int
    type: str
    created_at: datetime
    from_uri: str
    from_handle: str  # user@host
    status_id: int | None
    status_uri: str | None
    status_excerpt: str  # the post's text on one line, shortened; "" without a post
    # The phrases of the account's "warn" filters its post matches (server.services.social.filters).
    filtered: tuple[str, ...] = ()


async def list_notifications(services: Services, username: str,
                             page: Page) -> list[NotificationView]:
    """A local account's notifications, newest first, paginated by notification id,
    without blocked or muted senders, deleted posts and posts its filters hide."""
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await account_queries.local_account_by_username(session, username)
        if account is None or account.actor_type == "Application" or account.deleted_at:
            raise NotFound(f"no local account named {username!r}")
        rows, warnings = await screen_notifications(
            session, account.id, await timeline_queries.notifications(session, account.id, page))
    return [NotificationView(
        id=row.notification.id,
        type=row.notification.type,
        created_at=row.notification.created_at,
        from_uri=row.from_account.uri,
        from_handle=f"{row.from_account.username}@{row.from_account.domain or domain}",
        status_id=row.status.id if row.status else None,
        status_uri=row.status.uri if row.status else None,
        status_excerpt=plain_text(row.status.content, EXCERPT_LENGTH) if row.status else "",
        filtered=warnings.get(row.notification.id, ()),
    ) for row in rows]
