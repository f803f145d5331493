"""Notification lists: an account's notifications as its list shows them, one by id, and
the totals of notification groups (issue 11's grouped notifications). Runs inside the
caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.account_domain_blocks import domain_blocked_ids
from storage.models import Account, Notification, Status
from storage.pagination import Page, apply_page, finish_page
from storage.timelines import blocked_ids, muted_ids, not_restricted


@dataclass(frozen=True)
class NotificationEntry:
    notification: Notification
    from_account: Account
    status: Status | None


def notification_shown(account_id: int) -> ColumnElement[bool]:
    """The notifications `account_id`'s list shows: not from blocked (either way) or muted
    accounts nor accounts on a server it blocks, not about deleted posts. The query must
    outer-join Status on Notification.status_id (storage.markers counts unread ones with the
    same condition)."""
    return and_(
        # admin.* notifications (sign-ups, reports) are never filtered (Mastodon)
        or_(Notification.type.startswith("admin."), and_(
            Notification.from_account_id.not_in(blocked_ids(account_id)),
            Notification.from_account_id.not_in(muted_ids(account_id, notifications=True)),
            Notification.from_account_id.not_in(domain_blocked_ids(account_id)))),
        or_(Notification.status_id.is_(None), Status.deleted_at.is_(None)),
        # silenced senders only when followed (Mastodon: NotifyService#hellbanned?)
        not_restricted(Notification.from_account_id, account_id))


@dataclass(frozen=True)
class GroupSpec:
    """The notifications of one group: of `type`, about `status_id` (None: any), with ids in
    [first_id, end_id)."""

    type: str
    status_id: int | None
    first_id: int
    end_id: int

    def condition(self) -> ColumnElement[bool]:
        about = true() if self.status_id is None else Notification.status_id == self.status_id
        return and_(Notification.type == self.type, about, Notification.id >= self.first_id,
                    Notification.id < self.end_id)


@dataclass(frozen=True)
class NotificationFilter:
    """Which notifications a list asks for (the client API's types[], exclude_types[] and
    account_id): `types` the stored types to keep (None: every one), `from_account_id` only
    those this account caused, `group` only those of one group."""

    types: frozenset[str] | None = None
    from_account_id: int | None = None
    group: GroupSpec | None = None


def _notification_rows(account_id: int,
                       only: NotificationFilter) -> Select[Notification, Account, Status]:
    sender = aliased(Account)
    stmt = (select(Notification, sender, Status)
            .join(sender, sender.id == Notification.from_account_id)
            .outerjoin(Status, Status.id == Notification.status_id)
            .where(Notification.account_id == account_id, notification_shown(account_id)))
    if only.types is not None:
        stmt = stmt.where(Notification.type.in_(sorted(only.types)))
    if only.from_account_id is not None:
        stmt = stmt.where(Notification.from_account_id == only.from_account_id)
    if only.group is not None:
        stmt = stmt.where(only.group.condition())
    return stmt


async def notifications(session: AsyncSession, account_id: int, page: Page,
                        only: NotificationFilter = NotificationFilter()
                        ) -> list[NotificationEntry]:
    """An account's notifications, newest first, without those from blocked accounts (either
    way) or about deleted posts."""
    stmt = _notification_rows(account_id, only)
    rows = (await session.execute(apply_page(stmt, Notification.id, page))).all()
    return finish_page([NotificationEntry(n, a, s) for n, a, s in rows], page)


async def notification(session: AsyncSession, account_id: int,
                       notification_id: int) -> NotificationEntry | None:
    """One of the account's notifications, if its list would show it."""
    stmt = _notification_rows(account_id, NotificationFilter()).where(
        Notification.id == notification_id)
    row = (await session.execute(stmt)).first()
    return None if row is None else NotificationEntry(row[0], row[1], row[2])


@dataclass(frozen=True)
class GroupStats:
    """What a page's notification group holds up to the page's newest notification."""

    count: int
    newest_id: int
    newest_at: datetime
    oldest_in_page: int | None  # the group's oldest notification within the page's range
    sample_account_ids: list[int]  # newest first


async def group_stats(session: AsyncSession, account_id: int,
                      groups: dict[str, GroupSpec], *, upto: int,
                      page_floor: int | None, samples: int) -> dict[str, GroupStats]:
    """For each group (a key and which notifications it holds), the count, newest
    notification and up to `samples` newest senders among the notifications the list would
    show with ids up to `upto` (Mastodon's NotificationGroup.load_groups_data). Two queries
    for all the groups: the aggregates, then the senders ranked by a window function."""
    if not groups:
        return {}
    conditions = {name: spec.condition() for name, spec in groups.items()}
    key = case(*[(condition, literal(name)) for name, condition in conditions.items()],
               else_=None).label("group_key")
    base = (select(Notification.id, Notification.from_account_id, Notification.created_at,
                   key)
            .outerjoin(Status, Status.id == Notification.status_id)
            .where(Notification.account_id == account_id, Notification.id <= upto,
                   notification_shown(account_id), or_(*conditions.values()))
            .subquery())
    floor_id = base.c.id if page_floor is None else case((base.c.id >= page_floor, base.c.id))
    result = await session.execute(
        select(base.c.group_key, func.count(), func.max(base.c.id),
               func.max(base.c.created_at), func.min(floor_id))
        .group_by(base.c.group_key))
    totals = {name: (int(count), newest, at, oldest)
              for name, count, newest, at, oldest in result.all() if name is not None}
    rank = func.row_number().over(partition_by=base.c.group_key,
                                  order_by=base.c.id.desc()).label("rank")
    ranked = select(base.c.group_key, base.c.from_account_id, base.c.id, rank).subquery()
    senders: dict[str, list[int]] = {}
    result = await session.execute(
        select(ranked.c.group_key, ranked.c.from_account_id)
        .where(ranked.c.rank <= samples).order_by(ranked.c.group_key, ranked.c.id.desc()))
    for name, sender in result.all():
        senders.setdefault(name, []).append(sender)
    return {name: GroupStats(count, newest, at, oldest, senders.get(name, []))
            for name, (count, newest, at, oldest) in totals.items()}
