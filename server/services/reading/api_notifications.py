"""The client API's notifications: the v1 list and one notification, the grouped v2 pages
and groups, and the unread counts, as entity parts.

What a list shows is the web app's rule (storage.timelines.notification_shown: no blocked,
muted or suspended senders, no deleted statuses) and the account's "notifications" filters
(server.services.social.filters.screen_notifications: "hide" drops, "warn" marks the
status). Only the types the API serves are read (server.render.to_mastodon.notifications).

Grouping follows Mastodon's /api/v2/notifications: a page holds `limit` groups, walked
newest first (oldest first from min_id) with one representative each; a grouped group then
counts every notification of its key up to the page's newest one, with up to 8 senders.
Group keys: server.services.social.notifications.group_key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_mastodon.notifications import (
    MASTODON_TYPES,
    GroupParts,
    NotificationParts,
)
from server.render.to_mastodon.parts import AccountParts, StatusParts
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading.api_timelines import warn_matches, with_filtered
from server.services.reading.entities import load_accounts, load_statuses
from server.services.social.filters import screen_notifications
from server.services.social.notifications import group_key, group_of, group_spec
from storage import markers as marker_queries
from storage import notification_lists as queries
from storage.notification_lists import NotificationEntry, NotificationFilter
from storage.pagination import MAX_LIMIT, Page

# A filtered page is topped up from older notifications at most this many times.
REFILL_ROUNDS = 4
# Grouped pages and counts read notifications in batches of this many, and stop after
# MAX_SCAN of them (a page of groups then holds fewer than asked for).
BATCH = 80
MAX_SCAN = 4000
SAMPLE_ACCOUNTS = 8  # Mastodon's NotificationGroup::SAMPLE_ACCOUNTS_SIZE
_NEWEST = 2**63 - 1


# What a list asks for: types (ours), the sender, a group.
NotificationQuery = NotificationFilter


@dataclass(frozen=True)
class NotificationPage:
    notifications: list[NotificationParts]
    ids: list[int]  # the Link header's cursors, in page order


@dataclass(frozen=True)
class GroupedPage:
    groups: list[GroupParts]
    accounts: list[AccountParts]
    partial_accounts: list[AccountParts] | None  # with expand_accounts=partial_avatars
    statuses: list[StatusParts]
    ids: list[int]  # the representatives' ids, newest first: the Link header's cursors


async def _parts(services: Services, session: AsyncSession, account_id: int,
                 rows: Sequence[NotificationEntry], warnings: dict[int, tuple[str, ...]]
                 ) -> list[NotificationParts]:
    senders = await load_accounts(services, session,
                                  list({row.notification.from_account_id for row in rows}))
    statuses = await load_statuses(
        services, session, list({row.status.id for row in rows if row.status is not None}),
        viewer_account_id=account_id)
    matches = await warn_matches(session, account_id, "notifications", warnings)
    made = []
    for row in rows:
        note = row.notification
        sender = senders.get(note.from_account_id)
        if sender is None:
            continue
        shown = None
        if row.status is not None:
            shown = statuses.get(row.status.id)
            if shown is None:
                continue  # its status is gone: the notification says nothing any more
            shown = with_filtered(shown, matches.get(note.id, ()))
        made.append(NotificationParts(
            id=note.id, type=note.type, created_at=note.created_at,
            group_key=group_key(note.type, note.status_id, note.id), account=sender,
            status=shown))
    return made


async def notifications(services: Services, account_id: int, page: Page,
                        only: NotificationFilter) -> NotificationPage:
    """A page of the account's notifications, newest first."""
    async with services.db.reader() as session:
        rows = await queries.notifications(session, account_id, page, only)
        shown, warnings = await screen_notifications(session, account_id, rows)
        read = page.limit
        for _ in range(REFILL_ROUNDS):
            if len(shown) >= page.limit or len(rows) < read \
                    or page.min_id is not None or page.since_id is not None:
                break
            read = max(page.limit, MAX_LIMIT)
            rows = await queries.notifications(
                session, account_id, Page(max_id=rows[-1].notification.id, limit=read), only)
            more, more_warnings = await screen_notifications(session, account_id, rows)
            shown += more
            warnings.update(more_warnings)
        made = await _parts(services, session, account_id, shown[:page.limit], warnings)
    return NotificationPage(made, [parts.id for parts in made])


async def notification(services: Services, account_id: int,
                       notification_id: int) -> NotificationParts:
    async with services.db.reader() as session:
        row = await queries.notification(session, account_id, notification_id)
        made = [] if row is None else await _parts(services, session, account_id, [row], {})
    if not made or made[0].type not in MASTODON_TYPES:
        raise NotFound(N_("Record not found"))
    return made[0]


async def unread_count(services: Services, user_id: int, account_id: int, cap: int,
                       only: NotificationFilter) -> int:
    """Notifications newer than the user's notifications marker, at most `cap`."""
    async with services.db.reader() as session:
        return await marker_queries.unread_notifications(
            session, user_id, account_id, cap=cap, types=only.types,
            from_account_id=only.from_account_id)


# --- grouped ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Walked:
    """The representatives of a page's groups in walk order, by key."""

    by_key: dict[str, NotificationEntry]
    warnings: dict[int, tuple[str, ...]]


async def _walk(session: AsyncSession, account_id: int, page: Page, only: NotificationFilter,
                grouped: frozenset[str], *, screen: bool) -> _Walked:
    """One representative per group, `page.limit` groups at most: newest first, or from
    min_id oldest first (Mastodon's paginate_groups_by_max_id / _by_min_id)."""
    by_key: dict[str, NotificationEntry] = {}
    warnings: dict[int, tuple[str, ...]] = {}
    ascending = page.min_id is not None
    batch = Page(max_id=page.max_id, since_id=page.since_id, min_id=page.min_id, limit=BATCH)
    scanned = 0
    while scanned < MAX_SCAN:
        rows = await queries.notifications(session, account_id, batch, only)
        scanned += len(rows)
        shown = rows
        if screen:
            shown, found = await screen_notifications(session, account_id, rows)
            warnings.update(found)
        for row in reversed(shown) if ascending else shown:
            note = row.notification
            key = group_key(note.type, note.status_id, note.id, grouped)
            if key not in by_key:
                by_key[key] = row
                if len(by_key) >= page.limit:
                    return _Walked(by_key, warnings)
        if len(rows) < BATCH:
            break
        if ascending:  # rows come newest first: continue after the newest
            batch = Page(min_id=rows[0].notification.id, max_id=page.max_id, limit=BATCH)
        else:
            batch = Page(max_id=rows[-1].notification.id, since_id=page.since_id, limit=BATCH)
    return _Walked(by_key, warnings)


@dataclass(frozen=True)
class Grouping:
    """A page of groups before they are shown: each group's parts (its senders as ids),
    newest first, the representatives they were walked from, and the "warn" filters each
    representative matched. The client API and the web app's notifications page both
    start from this."""

    groups: list[GroupParts]
    reps: list[tuple[str, NotificationEntry]]
    warnings: dict[int, tuple[str, ...]]


def _bounds(reps: list[tuple[str, NotificationEntry]], page: Page) -> tuple[int, int | None]:
    """How far up and down a page's groups count: up to its newest representative and down
    to its oldest, or to the end of what was asked on the last page."""
    ids = [row.notification.id for _, row in reps]
    upto: int = max(ids)
    page_floor: int | None = min(ids)
    if len(reps) < page.limit:  # the last page: it reaches the end of what was asked
        if page.min_id is not None:
            upto = page.max_id - 1 if page.max_id is not None else _NEWEST
        else:
            page_floor = page.since_id + 1 if page.since_id is not None else None
    return upto, page_floor


async def group_page(session: AsyncSession, account_id: int, page: Page,
                     only: NotificationFilter, grouped_types: frozenset[str]) -> Grouping:
    """A page of notification groups, newest first (oldest first from min_id): favourites
    and boosts of one status, and follows, of one 12-hour window are one group each."""
    walked = await _walk(session, account_id, page, only, grouped_types, screen=True)
    reps = list(walked.by_key.items())
    if page.min_id is not None:
        reps.reverse()
    if not reps:
        return Grouping([], [], walked.warnings)
    upto, page_floor = _bounds(reps, page)
    groups = await _group_parts(session, account_id, reps, upto=upto, page_floor=page_floor,
                                paginated=True)
    return Grouping(groups, reps, walked.warnings)


async def _group_parts(session: AsyncSession, account_id: int,
                       reps: list[tuple[str, NotificationEntry]], *, upto: int,
                       page_floor: int | None, paginated: bool) -> list[GroupParts]:
    specs = {key: group_of(row.notification.type, row.notification.status_id,
                           row.notification.id)
             for key, row in reps if not key.startswith("ungrouped-")}
    stats = await queries.group_stats(session, account_id, specs, upto=upto,
                                      page_floor=page_floor, samples=SAMPLE_ACCOUNTS)
    groups: list[GroupParts] = []
    for key, row in reps:
        note = row.notification
        found = stats.get(key)
        if found is None:
            groups.append(GroupParts(
                group_key=key, type=note.type, notifications_count=1,
                most_recent_notification_id=note.id,
                sample_account_ids=[note.from_account_id], status_id=note.status_id,
                page_min_id=note.id if paginated else None,
                page_max_id=note.id if paginated else None,
                latest_page_notification_at=note.created_at if paginated else None))
            continue
        groups.append(GroupParts(
            group_key=key, type=note.type, notifications_count=found.count,
            most_recent_notification_id=found.newest_id,
            sample_account_ids=found.sample_account_ids or [note.from_account_id],
            status_id=note.status_id,
            page_min_id=(found.oldest_in_page or note.id) if paginated else None,
            page_max_id=found.newest_id if paginated else None,
            latest_page_notification_at=found.newest_at if paginated else None))
    return groups


async def _groups(services: Services, session: AsyncSession, account_id: int,
                  grouping: Grouping, *, partial: bool) -> GroupedPage:
    """The groups with their accounts and statuses, as entity parts."""
    groups, reps, warnings = grouping.groups, grouping.reps, grouping.warnings
    full_ids = list(dict.fromkeys(
        i for g in groups for i in (g.sample_account_ids[:1] if partial
                                     else g.sample_account_ids)))
    partial_ids = [i for i in dict.fromkeys(i for g in groups for i in g.sample_account_ids[1:])
                   if i not in full_ids] if partial else []
    accounts = await load_accounts(services, session, full_ids + partial_ids)
    status_ids = list(dict.fromkeys(g.status_id for g in groups if g.status_id is not None))
    made = await load_statuses(services, session, status_ids, viewer_account_id=account_id)
    matches = await warn_matches(session, account_id, "notifications", warnings)
    statuses: dict[int, StatusParts] = {}
    for _, row in reps:
        status_id = row.notification.status_id
        if status_id is not None and status_id in made and status_id not in statuses:
            statuses[status_id] = with_filtered(made[status_id],
                                                matches.get(row.notification.id, ()))
    # A group whose status or senders are gone says nothing any more.
    kept = [g for g in groups if (g.status_id is None or g.status_id in statuses)
            and g.sample_account_ids[0] in accounts]
    kept = [replace(g, sample_account_ids=[i for i in g.sample_account_ids if i in accounts])
            for g in kept]
    return GroupedPage(
        groups=kept, accounts=[accounts[i] for i in full_ids if i in accounts],
        partial_accounts=[accounts[i] for i in partial_ids if i in accounts]
        if partial else None,
        statuses=list(statuses.values()),
        ids=[row.notification.id for _, row in reps])


async def grouped(services: Services, account_id: int, page: Page, only: NotificationFilter,
                  grouped_types: frozenset[str], *, partial: bool = False) -> GroupedPage:
    """A page of notification groups, newest first (GET /api/v2/notifications)."""
    async with services.db.reader() as session:
        grouping = await group_page(session, account_id, page, only, grouped_types)
        if not grouping.reps:
            return GroupedPage([], [], [] if partial else None, [], [])
        return await _groups(services, session, account_id, grouping, partial=partial)


async def group(services: Services, account_id: int, key: str) -> GroupedPage:
    """One group by its key (GET /api/v2/notifications/:group_key), counted whole."""
    spec = group_spec(key)
    async with services.db.reader() as session:
        if isinstance(spec, int):
            row = await queries.notification(session, account_id, spec)
        else:
            stats = await queries.group_stats(session, account_id, {key: spec}, upto=_NEWEST,
                                              page_floor=None, samples=1)
            row = await queries.notification(session, account_id, stats[key].newest_id) \
                if key in stats else None
        if row is None or row.notification.type not in MASTODON_TYPES:
            raise NotFound(N_("Record not found"))
        note = row.notification
        reps = [(group_key(note.type, note.status_id, note.id), row)]
        parts = await _group_parts(session, account_id, reps, upto=_NEWEST, page_floor=None,
                                   paginated=False)
        found = await _groups(services, session, account_id, Grouping(parts, reps, {}),
                              partial=False)
    if not found.groups:
        raise NotFound(N_("Record not found"))
    return found


async def group_accounts(services: Services, account_id: int, key: str,
                         page: Page) -> tuple[list[AccountParts], list[int]]:
    """The senders of a group's notifications, a page of them newest first, and the
    notifications' ids (the Link header's cursors)."""
    spec = group_spec(key)
    only = NotificationFilter(types=frozenset(MASTODON_TYPES),
                              group=None if isinstance(spec, int) else spec)
    async with services.db.reader() as session:
        if isinstance(spec, int):
            row = await queries.notification(session, account_id, spec)
            rows = [] if row is None or page.max_id is not None else [row]
        else:
            rows = await queries.notifications(session, account_id, page, only)
        senders = await load_accounts(services, session,
                                      [row.notification.from_account_id for row in rows])
    kept = [row for row in rows if row.notification.from_account_id in senders]
    return ([senders[row.notification.from_account_id] for row in kept],
            [row.notification.id for row in kept])


async def unread_group_count(services: Services, user_id: int, account_id: int, cap: int,
                             only: NotificationFilter, grouped_types: frozenset[str]) -> int:
    """Groups of notifications newer than the user's notifications marker, at most `cap`
    (GET /api/v2/notifications/unread_count)."""
    async with services.db.reader() as session:
        marker = await marker_queries.get(session, user_id, marker_queries.NOTIFICATIONS)
        page = Page(min_id=marker.last_read_id if marker is not None else 0, limit=cap)
        walked = await _walk(session, account_id, page, only, grouped_types, screen=False)
    return len(walked.by_key)

