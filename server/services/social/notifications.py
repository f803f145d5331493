"""Notifications: what happened to a local account, and the list it reads them from.

`notify` runs inside the caller's transaction, beside the row that caused it (a follow, a
like, a boost, a reply), so the notification exists exactly when its cause does. Those causes
are unique rows of their own (one like per account and post, one status per uri), which is
what keeps a redelivered activity from notifying twice; the duplicate check here is for
callers whose cause repeats, such as a follow request sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import NotFound
from server.services.social import domain_blocks
from server.services.social.filters import screen_notifications
from server.services.streaming.events import StreamEvent
from server.services.streaming.publish import queue_event
from storage import accounts as account_queries
from storage import blocks as block_queries
from storage import notification_lists
from storage import notifications as notification_queries
from storage.ids import id_floor, id_time, parse_id
from storage.models import Account, Status
from storage.notification_lists import GroupSpec
from storage.pagination import Page

FOLLOW = "follow"
FOLLOW_REQUEST = "follow_request"
FAVOURITE = "favourite"
REBLOG = "reblog"
REPLY = "reply"
MENTION = "mention"
REMIX = "remix"
# A post of the account was quoted, the quote approved (Mastodon 4.5's "quote").
QUOTE = "quote"
# A followed account posted, and the follower asked to hear of its posts (follows.notify).
STATUS = "status"
# To every admin, from the new account, when a sign-up waits for approval (Mastodon's name).
ADMIN_SIGN_UP = "admin.sign_up"
# To every admin, from the reporter, when a report arrives (Mastodon's name).
ADMIN_REPORT = "admin.report"
# A remote reply, boost or like of the account's post waits for its approval (its policy
# asks for it): GoToSocial's pending interaction requests.
INTERACTION_REQUEST = "interaction_request"
TYPES = frozenset({FOLLOW, FOLLOW_REQUEST, FAVOURITE, REBLOG, REPLY, MENTION, REMIX, STATUS,
                   ADMIN_SIGN_UP, ADMIN_REPORT, INTERACTION_REQUEST, QUOTE})
# A mention in a status that already told the account it is a reply or a remix adds nothing:
# one notification per account and status, the most specific kind. A remix from another
# Dreamfeed is a quote on the wire too: its remix notification says it. Whichever comes
# first (a QuoteRequest before its Create, a mention seen before the remix is known), the
# more specific replaces the less: one remix is one notification.
_MORE_SPECIFIC = {MENTION: (REPLY, REMIX, QUOTE), QUOTE: (REMIX,)}
_LESS_SPECIFIC = {kind: tuple(less for less, more in _MORE_SPECIFIC.items() if kind in more)
                  for kind in TYPES}

EXCERPT_LENGTH = 80


async def notify(session: AsyncSession, account_id: int, from_account_id: int, type: str,
                 status_id: int | None = None, *, block_checked: bool = False) -> bool:
    """Tell local account `account_id` that `from_account_id` did `type` (to `status_id`).
    Returns whether a notification was made: never for yourself, never from an account you
    block (`block_checked`: the caller found in this transaction that it does not) or on a
    server you block, never twice the same."""
    if type not in TYPES:
        raise ValueError(f"unknown notification type {type!r}")
    if account_id == from_account_id:
        return False
    if not block_checked and \
            await block_queries.block_between(session, account_id, from_account_id) is not None:
        return False  # someone you block reaches you no more through notifications
    if await domain_blocks.is_blocked(session, account_id, from_account_id):
        # nor does a server you block (Mastodon's NotifyService: domain_blocking?); its
        # exception, a sender you follow, cannot arise here: blocking ended those follows
        # and refuses new ones
        return False
    for kind in (type, *_MORE_SPECIFIC.get(type, ())):
        if await notification_queries.exists_same(session, account_id, from_account_id, kind,
                                                  status_id):
            return False
    if status_id is not None:
        for kind in _LESS_SPECIFIC[type]:
            await notification_queries.delete_same(session, account_id, from_account_id,
                                                   kind, status_id)
    row = await notification_queries.add(session, account_id, from_account_id, type, status_id)
    queue_event(session, StreamEvent("notification", account_id=account_id,
                                     notification_id=row.id))
    return True


async def withdraw(session: AsyncSession, from_account_id: int, type: str,
                   status_id: int) -> None:
    """The cause of a notification was taken back (an Undo of a Like or an Announce, an
    unfavourite or unboost here): its notification goes with it, in the same transaction, as
    Mastodon's (a favourite's or reblog's notification is destroyed with its activity) and
    Takahē's (an Undo deletes the timeline event)."""
    await notification_queries.delete_caused_by(session, from_account_id, type, status_id)


async def notify_report(session: AsyncSession, admin_ids: list[int],
                        reporter_id: int) -> int:
    """Tell these admins about a new report. Unlike `notify`: each report is a new cause
    (never a duplicate), and blocks do not hide it (Mastodon's NotifyService does not filter
    admin.* types). Not to the reporter itself. Returns how many were made."""
    made = 0
    for admin_id in admin_ids:
        if admin_id != reporter_id:
            row = await notification_queries.add(session, admin_id, reporter_id,
                                                 ADMIN_REPORT, None)
            queue_event(session, StreamEvent("notification", account_id=admin_id,
                                             notification_id=row.id))
            made += 1
    return made


@dataclass(frozen=True)
class NotificationView:
    id: int
    type: str
    created_at: datetime
    from_handle: str  # user@host
    status_id: int | None
    status_uri: str | None
    status_excerpt: str  # the post's text on one line, shortened; "" without a post
    # The phrases of the account's "warn" filters its post matches (server.services.social.filters).
    filtered: tuple[str, ...] = ()


async def local_account(services: Services, username: str) -> Account:
    """The local account whose notifications these are; NotFound for no such person."""
    async with services.db.reader() as session:
        account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    return account


def handle_of(services: Services, account: Account) -> str:
    """user@host, for a sender that may be local."""
    return f"{account.username}@{account.domain or services.config.instance.domain}"


async def list_notifications(services: Services, username: str,
                             page: Page) -> list[NotificationView]:
    """A local account's notifications, newest first, paginated by notification id,
    without blocked or muted senders, deleted posts and posts its filters hide."""
    account = await local_account(services, username)
    async with services.db.reader() as session:
        rows, warnings = await screen_notifications(
            session, account.id, await notification_lists.notifications(session, account.id, page))
    return [NotificationView(
        id=row.notification.id,
        type=row.notification.type,
        created_at=row.notification.created_at,
        from_handle=handle_of(services, row.from_account),
        status_id=row.status.id if row.status else None,
        status_uri=row.status.uri if row.status else None,
        status_excerpt=plain_text(row.status.content, EXCERPT_LENGTH) if row.status else "",
        filtered=warnings.get(row.notification.id, ()),
    ) for row in rows]


async def notify_subscribers(session: AsyncSession, status: Status, author: Account) -> int:
    """Tell the local followers who asked for it (follows.notify) that `author` posted
    `status`, inside the transaction that stores it. As Mastodon's FeedInsertWorker: not
    for boosts, replies to others or direct statuses (self-replies, threads, do notify).
    Returns how many were told."""
    if status.reblog_of_id is not None or status.visibility == "direct":
        return 0
    if status.in_reply_to_account_id not in (None, author.id):
        return 0
    told = 0
    for follower_id in await notification_queries.subscribers(session, author.id):
        told += await notify(session, follower_id, author.id, STATUS, status.id)
    return told


# --- groups ----------------------------------------------------------------------------------

# Mastodon groups favourites and boosts of one status, and follows, made close together
# (Notification::Groups). Its window is "12 hours from the group's first hour", kept in
# Redis; ours is a fixed 12-hour window of the notification's id (ids are times), so a key
# is computed from the row alone and a group is an id range: the same grouping a client
# sees from Mastodon, except that a burst straddling a window boundary makes two groups.
GROUPABLE = frozenset({FAVOURITE, REBLOG, FOLLOW})
GROUP_WINDOW_HOURS = 12
_UNGROUPED = "ungrouped-"


def _window_start_hour(notification_id: int) -> int:
    hour = int(id_time(notification_id).timestamp()) // 3600
    return hour - hour % GROUP_WINDOW_HOURS


def group_key(type: str, status_id: int | None, notification_id: int,
              grouped: frozenset[str] = GROUPABLE) -> str:
    """The notification's group: "favourite-<status>-<hour>", "reblog-<status>-<hour>",
    "follow-<hour>" (the hour since the epoch its window starts at), or
    "ungrouped-<id>" for the other types and those not in `grouped`."""
    if type not in GROUPABLE or type not in grouped:
        return f"{_UNGROUPED}{notification_id}"
    hour = _window_start_hour(notification_id)
    return f"{type}-{hour}" if type == FOLLOW else f"{type}-{status_id}-{hour}"


def group_spec(key: str) -> GroupSpec | int:
    """The notifications a group key names: a GroupSpec, or the id of an ungrouped one.
    NotFound for anything else."""
    if key.startswith(_UNGROUPED):
        found = parse_id(key.removeprefix(_UNGROUPED))
        if found is None:
            raise NotFound(N_("no such notification group"))
        return found
    type, _, rest = key.partition("-")
    parts = rest.split("-")
    if type not in GROUPABLE or len(parts) != (1 if type == FOLLOW else 2) \
            or not all(p.isdigit() and len(p) < 19 for p in parts):
        raise NotFound(N_("no such notification group"))
    hour = int(parts[-1])
    if hour % GROUP_WINDOW_HOURS:
        raise NotFound(N_("no such notification group"))
    return _window(type, None if type == FOLLOW else int(parts[0]), hour)


def group_of(type: str, status_id: int | None, notification_id: int) -> GroupSpec:
    """The notifications grouped with this one (of a GROUPABLE type)."""
    return _window(type, None if type == FOLLOW else status_id,
                   _window_start_hour(notification_id))


def _window(type: str, status_id: int | None, hour: int) -> GroupSpec:
    start = datetime.fromtimestamp(hour * 3600, tz=UTC)
    return GroupSpec(type=type, status_id=status_id, first_id=id_floor(start),
                     end_id=id_floor(start + timedelta(hours=GROUP_WINDOW_HOURS)))


# --- dismissing ------------------------------------------------------------------------------


async def dismiss(services: Services, account_id: int, notification_id: int) -> None:
    """Delete one of the account's notifications (NotFound when it has none by that id)."""
    async with services.db.writer.begin() as session:
        if not await notification_queries.delete_one(session, account_id, notification_id):
            raise NotFound(N_("no such notification"))


async def dismiss_group(services: Services, account_id: int, key: str) -> None:
    """Delete the notifications of a group (nothing when it holds none, as Mastodon)."""
    spec = group_spec(key)
    async with services.db.writer.begin() as session:
        if isinstance(spec, int):
            await notification_queries.delete_one(session, account_id, spec)
        else:
            await notification_queries.delete_matching(session, account_id, spec.type,
                                                       spec.status_id, spec.first_id,
                                                       spec.end_id)


async def clear(services: Services, account_id: int) -> None:
    """Delete every notification of the account."""
    async with services.db.writer.begin() as session:
        await notification_queries.delete_all(session, account_id)
