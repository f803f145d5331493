"""Timeline queries: home, local, federated, profile, hashtag, thread and notifications.

Every page is two queries. The first picks the page's entry ids and is shaped so the database
can walk an index newest-first and stop after `limit` rows (`ORDER BY statuses.id DESC LIMIT n`
with the page's id bounds); the second loads those rows with their authors, the boosted post
and its image count. An entry is a row of `statuses`: a post, or a boost pointing at one.

Visibility, blocks and deletions are filtered in SQL, so a page is never short because of
them. Blocks count both ways and reach through boosts (a boost of a blocked author's post is
hidden). Direct posts show only to their author and the accounts they mention. A viewer's
unexpired mutes hide the muted accounts from home (as author, booster, boosted author or the
one replied to), from local, federated and hashtag timelines and, when the mute says so, from
notifications; not from profiles (as in Mastodon).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from storage.ids import id_floor, id_time
from storage.models import (
    Account,
    AccountList,
    Block,
    Follow,
    ListMember,
    MediaAttachment,
    Mention,
    Notification,
    RemoteMedia,
    Status,
    StatusTag,
    Tag,
)
from storage.mutes import muted_ids as _muted_ids
from storage.pagination import Page, apply_page, finish_page
from storage.types import utcnow

# How far a thread is followed: parents up, and replies down (in all).
MAX_ANCESTORS = 20
MAX_DESCENDANTS = 500

Original = aliased(Status, name="original")


@dataclass(frozen=True)
class Entry:
    """A timeline row: `entry` is what the page is ordered by (a boost row for a boost),
    `status` the post shown (the boosted one, or the entry itself)."""

    entry: Status
    status: Status
    author: Account
    booster: Account | None
    images: int


# --- filters ---------------------------------------------------------------------------------


def followed_ids(viewer_id: int) -> Select[int]:
    return select(Follow.target_account_id).where(Follow.account_id == viewer_id,
                                                  Follow.state == "accepted")


def blocked_ids(viewer_id: int) -> CompoundSelect[int]:
    """Accounts the viewer blocks and accounts that block the viewer (one uncorrelated
    subquery, computed once per query)."""
    return select(Block.target_account_id).where(Block.account_id == viewer_id).union_all(
        select(Block.account_id).where(Block.target_account_id == viewer_id))


def muted_ids(viewer_id: int, *, notifications: bool = False) -> Select[int]:
    """Accounts the viewer mutes now (expired mutes no longer count); with
    notifications=True only the mutes that also hide notifications."""
    return _muted_ids(viewer_id, utcnow(), notifications=notifications)


def _not_muted(column: Any, viewer_id: int | None) -> ColumnElement[bool]:
    """The column (possibly NULL: then nothing to hide) names no account the viewer mutes."""
    if viewer_id is None:
        return true()
    return or_(column.is_(None), column.not_in(muted_ids(viewer_id)))


def _not_suspended(column: Any) -> ColumnElement[bool]:
    """The column names no account suspended by a moderator (hidden from everyone)."""
    hidden: ColumnElement[bool] = column.not_in(
        select(Account.id).where(Account.suspended_at.is_not(None)))
    return hidden


def _not_restricted(column: Any, viewer_id: int | None) -> ColumnElement[bool]:
    """Not suspended; and not silenced unless the viewer is that account or follows it
    (Mastodon: a silenced account reaches only its followers)."""
    silenced = select(Account.id).where(Account.silenced_at.is_not(None))
    if viewer_id is None:
        return and_(_not_suspended(column), column.not_in(silenced))
    return and_(_not_suspended(column), or_(column.not_in(silenced), column == viewer_id,
                                            column.in_(followed_ids(viewer_id))))


def _mentioned(status: Any, viewer_id: int) -> ColumnElement[bool]:
    return exists().where(Mention.status_id == status.id, Mention.account_id == viewer_id)


def _approved(viewer_id: int | None) -> ColumnElement[bool]:
    """Not a reply or boost waiting for its remote author's approval (interaction
    controls), unless it is the viewer's own."""
    if viewer_id is None:
        return Status.pending_approval.is_(False)
    return or_(Status.pending_approval.is_(False), Status.account_id == viewer_id)


def _not_blocked(column: InstrumentedAttribute[int], viewer_id: int | None) -> ColumnElement[bool]:
    if viewer_id is None:
        return true()
    return column.not_in(blocked_ids(viewer_id))


def visible_to(status: Any, viewer_id: int | None) -> ColumnElement[bool]:
    """public/unlisted to anyone; private to its author, accepted followers and mentioned
    accounts; direct to its author and mentioned accounts. Not deleted, not blocked; a
    reply or boost waiting for approval (interaction controls) to its author alone."""
    live = and_(status.deleted_at.is_(None), _not_suspended(status.account_id))
    if viewer_id is None:
        return and_(live, status.pending_approval.is_(False),
                    status.visibility.in_(("public", "unlisted")))
    follows = status.account_id.in_(followed_ids(viewer_id))
    return and_(live, _not_blocked(status.account_id, viewer_id),
                or_(status.pending_approval.is_(False), status.account_id == viewer_id), or_(
        status.visibility.in_(("public", "unlisted")),
        status.account_id == viewer_id,
        and_(status.visibility == "private", follows),
        _mentioned(status, viewer_id)))


def _with_boosted(stmt: Select[int], viewer_id: int | None, *,
                  own_boosts: bool = True) -> Select[int]:
    """Keep plain posts, and boosts whose boosted post exists, is live, public or unlisted
    (or the viewer's own) and whose author is not blocked either way. A left join on the
    boosted post's primary key, so the page walk stays a nested loop over the id index.
    own_boosts=False also drops boosts of the viewer's own posts (home, as Mastodon does)."""
    boosted_ok = and_(
        Original.id.is_not(None), Original.deleted_at.is_(None),
        or_(Original.visibility.in_(("public", "unlisted")),
            Original.account_id == viewer_id if viewer_id is not None else false()),
        _not_blocked(Original.account_id, viewer_id), _not_suspended(Original.account_id))
    if not own_boosts and viewer_id is not None:
        boosted_ok = and_(boosted_ok, Original.account_id != viewer_id)
    return (stmt.outerjoin(Original, Original.id == Status.reblog_of_id)
            .where(or_(Status.reblog_of_id.is_(None), boosted_ok)))


# --- page queries ----------------------------------------------------------------------------


def hidden_boosters(viewer_id: int) -> Select[int]:
    """Accounts the viewer follows without their boosts (follows.show_reblogs off)."""
    return select(Follow.target_account_id).where(Follow.account_id == viewer_id,
                                                  Follow.show_reblogs.is_(False))


def exclusive_members(viewer_id: int) -> Select[int]:
    """Members of the viewer's exclusive lists: their posts show in those lists only."""
    return (select(ListMember.account_id)
            .join(AccountList, AccountList.id == ListMember.list_id)
            .where(AccountList.account_id == viewer_id, AccountList.exclusive.is_(True)))


def _feed_rules(viewer_id: int, replies_to: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """What home and list feeds share: live, visible to a follower, no boosts the viewer
    turned off, nothing from or through blocked, suspended or muted accounts. A reply shows
    when it answers the viewer or its own author (a thread), or when `replies_to` allows."""
    return [
        Status.deleted_at.is_(None), _approved(viewer_id),
        or_(Status.visibility.in_(("public", "unlisted", "private")),
            Status.account_id == viewer_id, _mentioned(Status, viewer_id)),
        or_(Status.in_reply_to_account_id.is_(None),
            Status.in_reply_to_account_id == viewer_id,
            Status.in_reply_to_account_id == Status.account_id, replies_to),
        or_(Status.reblog_of_id.is_(None), Status.account_id.not_in(hidden_boosters(viewer_id))),
        _not_blocked(Status.account_id, viewer_id), _not_suspended(Status.account_id),
        _not_muted(Status.account_id, viewer_id), _not_muted(Original.account_id, viewer_id),
        or_(Status.account_id == viewer_id,
            _not_muted(Status.in_reply_to_account_id, viewer_id))]


def home_query(viewer_id: int) -> Select[int]:
    """Posts and boosts by the viewer and the accounts it follows (accepted).

    Replies (Mastodon's rule, simplified): a reply shows when it answers the viewer, the
    author itself (a thread), or an account the viewer follows; replies to strangers do not.
    Boosts of the viewer's own posts are left out, as Mastodon does, and so are boosts by
    accounts followed with boosts off. Members of the viewer's exclusive lists show in those
    lists instead.
    """
    followed = followed_ids(viewer_id)
    return _with_boosted(select(Status.id), viewer_id, own_boosts=False).where(
        or_(Status.account_id.in_(followed), Status.account_id == viewer_id),
        or_(Status.account_id == viewer_id,
            Status.account_id.not_in(exclusive_members(viewer_id))),
        *_feed_rules(viewer_id, Status.in_reply_to_account_id.in_(followed)))


def list_query(list_id: int, owner_id: int, replies_policy: str) -> Select[int]:
    """A list's feed: posts and boosts by its members that the owner follows (accepted) or
    is, under the home feed's rules. Replies to others show by the list's policy
    (Mastodon's FeedManager#filter_from_list?): "followed" those answering an account the
    owner follows, "list" those answering a member, "none" no more."""
    members = select(ListMember.account_id).where(ListMember.list_id == list_id)
    followed = followed_ids(owner_id)
    replies_to: ColumnElement[bool] = false()
    if replies_policy == "followed":
        replies_to = Status.in_reply_to_account_id.in_(followed)
    elif replies_policy == "list":
        replies_to = Status.in_reply_to_account_id.in_(members)
    return _with_boosted(select(Status.id), owner_id, own_boosts=False).where(
        Status.account_id.in_(members),
        or_(Status.account_id.in_(followed), Status.account_id == owner_id),
        *_feed_rules(owner_id, replies_to))


@dataclass(frozen=True)
class PublicOptions:
    """The public and hashtag timelines' narrowing (Mastodon's PublicFeed and TagFeed)."""

    local: bool = False  # only posts made here
    remote: bool = False  # only posts from elsewhere
    only_media: bool = False  # only posts with images


def _narrowed(stmt: Select[int], options: PublicOptions) -> Select[int]:
    if options.local:
        stmt = stmt.where(Status.local.is_(True))
    if options.remote:
        stmt = stmt.where(Status.local.is_(False))
    if options.only_media:
        stmt = stmt.where(or_(
            exists().where(MediaAttachment.status_id == Status.id),
            exists().where(RemoteMedia.status_id == Status.id)))
    return stmt


def local_query(viewer_id: int | None) -> Select[int]:
    """Public posts made here (no boosts)."""
    return select(Status.id).where(
        Status.local.is_(True), Status.visibility == "public", Status.reblog_of_id.is_(None),
        Status.deleted_at.is_(None), _approved(viewer_id),
        _not_blocked(Status.account_id, viewer_id),
        _not_muted(Status.account_id, viewer_id), _not_restricted(Status.account_id, viewer_id))


def federated_query(viewer_id: int | None,
                    options: PublicOptions = PublicOptions()) -> Select[int]:
    """Public posts from here and everywhere we know (no boosts)."""
    return _narrowed(select(Status.id).where(
        Status.visibility == "public", Status.reblog_of_id.is_(None),
        Status.deleted_at.is_(None), _approved(viewer_id),
        _not_blocked(Status.account_id, viewer_id),
        _not_muted(Status.account_id, viewer_id), _not_restricted(Status.account_id, viewer_id)),
        options)


def profile_query(account_id: int, viewer_id: int | None) -> Select[int]:
    """An account's posts and boosts as the viewer may see them."""
    return _with_boosted(select(Status.id), viewer_id).where(
        Status.account_id == account_id, visible_to(Status, viewer_id))


@dataclass(frozen=True)
class TagOptions:
    """More tags a hashtag timeline asks for (Mastodon's any[], all[], none[]), as tag ids."""

    any: tuple[int, ...] = ()  # also posts carrying one of these
    all: tuple[int, ...] = ()  # only posts carrying each of these too
    none: tuple[int, ...] = ()  # no posts carrying any of these


def _tagged(tag_ids: Sequence[int]) -> ColumnElement[bool]:
    # An alias: the outer query may join StatusTag itself, which must not correlate.
    tagged = aliased(StatusTag)
    return exists().where(tagged.status_id == Status.id, tagged.tag_id.in_(list(tag_ids)))


def hashtag_query(tag_id: int, viewer_id: int | None,
                  options: PublicOptions = PublicOptions(),
                  tags: TagOptions = TagOptions()) -> Select[int]:
    """Public posts carrying the tag (or, with tags.any, one of those)."""
    stmt = select(Status.id)
    if tags.any:
        stmt = stmt.where(_tagged([tag_id, *tags.any]))
    else:
        stmt = stmt.join(StatusTag, StatusTag.status_id == Status.id).where(
            StatusTag.tag_id == tag_id)
    for other in tags.all:
        stmt = stmt.where(_tagged([other]))
    if tags.none:
        stmt = stmt.where(~_tagged(tags.none))
    return _narrowed(stmt.where(
        Status.visibility == "public",
        Status.reblog_of_id.is_(None), Status.deleted_at.is_(None), _approved(viewer_id),
        _not_blocked(Status.account_id, viewer_id), _not_muted(Status.account_id, viewer_id),
        _not_restricted(Status.account_id, viewer_id)), options)


# Home pages look back this far first (from max_id, or now), widening until a page is full:
# each try is bounded on (account_id, id), so the rows sorted stay few however many posts the
# followed accounts made. A window that fills the page holds exactly its newest rows.
HOME_WINDOWS = (timedelta(days=1), timedelta(days=8), timedelta(days=64), timedelta(days=512))


async def home_page(session: AsyncSession, viewer_id: int, page: Page) -> list[Entry]:
    stmt = home_query(viewer_id)
    if page.min_id is None and page.since_id is None:
        top = id_time(page.max_id) if page.max_id is not None else datetime.now(UTC)
        for window in HOME_WINDOWS:
            ids = await page_ids(session, stmt.where(Status.id >= id_floor(top - window)), page)
            if len(ids) >= page.limit:
                return await load(session, ids)
    return await timeline(session, stmt, page)


async def page_ids(session: AsyncSession, stmt: Select[int], page: Page) -> list[int]:
    rows = (await session.execute(apply_page(stmt, Status.id, page))).scalars().all()
    return finish_page(list(rows), page)


# --- loading ---------------------------------------------------------------------------------


async def load(session: AsyncSession, ids: Sequence[int]) -> list[Entry]:
    """The entries with these ids, in the order given."""
    if not ids:
        return []
    booster = aliased(Account, name="booster")
    author = aliased(Account, name="author")
    result = await session.execute(
        select(Status, Original, author, booster)
        .outerjoin(Original, Original.id == Status.reblog_of_id)
        .join(author, author.id == func.coalesce(Original.account_id, Status.account_id))
        .outerjoin(booster, and_(Status.reblog_of_id.is_not(None),
                                 booster.id == Status.account_id))
        .where(Status.id.in_(list(ids))))
    rows = {entry.id: (entry, original, who, by) for entry, original, who, by in result.all()}
    shown = [original.id if original is not None else entry.id
             for entry, original, _, _ in rows.values()]
    images = await _image_counts(session, shown)
    entries = []
    for entry_id in ids:
        if entry_id not in rows:
            continue
        entry, original, who, by = rows[entry_id]
        status = original if original is not None else entry
        entries.append(Entry(entry, status, who, by, images.get(status.id, 0)))
    return entries


async def _image_counts(session: AsyncSession, status_ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for model in (MediaAttachment, RemoteMedia):
        result = await session.execute(
            select(model.status_id, func.count()).where(model.status_id.in_(status_ids))
            .group_by(model.status_id))
        for status_id, count in result.all():
            if status_id is not None:
                counts[status_id] = counts.get(status_id, 0) + int(count)
    return counts


async def timeline(session: AsyncSession, stmt: Select[int], page: Page) -> list[Entry]:
    return await load(session, await page_ids(session, stmt, page))


async def includes(session: AsyncSession, stmt: Select[int], status_id: int) -> bool:
    """Whether a timeline's query (home_query, local_query...) holds this entry: the live
    web app asks it of each new post instead of re-reading the page."""
    found = await session.execute(stmt.where(Status.id == status_id).limit(1))
    return found.first() is not None


# How many timeline queries go to the database in one statement (SQLite's compound SELECT
# limit is 500 terms).
_INCLUDES_BATCH = 200


async def includes_each(session: AsyncSession, stmts: Sequence[Select[int]],
                        status_id: int) -> list[bool]:
    """includes() for many timelines at once (a stream event meeting many viewers), each
    query asked in its own EXISTS, a few hundred to a statement."""
    held: set[int] = set()
    for start in range(0, len(stmts), _INCLUDES_BATCH):
        parts = [select(literal(n).label("n")).where(stmt.where(Status.id == status_id).exists())
                 for n, stmt in enumerate(stmts[start:start + _INCLUDES_BATCH], start)]
        compound = parts[0] if len(parts) == 1 else union_all(*parts)
        held.update((await session.execute(compound)).scalars().all())
    return [n in held for n in range(len(stmts))]


# --- thread ----------------------------------------------------------------------------------


async def visible(session: AsyncSession, status_ids: Sequence[int],
                  viewer_id: int | None) -> set[int]:
    """Which of these posts the viewer may see."""
    if not status_ids:
        return set()
    result = await session.execute(select(Status.id).where(
        Status.id.in_(list(status_ids)), Status.reblog_of_id.is_(None),
        visible_to(Status, viewer_id)))
    return set(result.scalars().all())


async def chain_up(session: AsyncSession, status: Status,
                   link: InstrumentedAttribute[int | None], depth: int) -> list[int]:
    """Ids up a chain of posts linked by `link` (Status.in_reply_to_id, Status.remix_of_id),
    nearest first, `depth` at most; a loop stops it."""
    chain: list[int] = []
    parent_id: int | None = getattr(status, link.key)
    seen = {status.id}
    while parent_id is not None and parent_id not in seen and len(chain) < depth:
        seen.add(parent_id)
        row = (await session.execute(select(Status.id, link)
                                     .where(Status.id == parent_id))).first()
        if row is None:
            break
        chain.append(row[0])
        parent_id = row[1]
    return chain


async def ancestors(session: AsyncSession, status: Status) -> list[int]:
    """Ids up the reply chain, oldest first (at most MAX_ANCESTORS; a loop stops it)."""
    return list(reversed(await chain_up(session, status, Status.in_reply_to_id,
                                        MAX_ANCESTORS)))


async def descendants(session: AsyncSession, status_id: int,
                      viewer_id: int | None) -> list[int]:
    """Visible replies, breadth-first (each level oldest first). Replies under a post the
    viewer may not see are not followed."""
    found: list[int] = []
    frontier = [status_id]
    seen = {status_id}
    while frontier and len(found) < MAX_DESCENDANTS:
        result = await session.execute(
            select(Status.id).where(Status.in_reply_to_id.in_(frontier),
                                    Status.reblog_of_id.is_(None),
                                    visible_to(Status, viewer_id))
            .order_by(Status.id).limit(MAX_DESCENDANTS - len(found)))
        level = [i for i in result.scalars().all() if i not in seen]
        seen.update(level)
        found.extend(level)
        frontier = level
    return found


# --- notifications ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationEntry:
    notification: Notification
    from_account: Account
    status: Status | None


def notification_shown(account_id: int) -> ColumnElement[bool]:
    """The notifications `account_id`'s list shows: not from blocked (either way) or muted
    accounts, not about deleted posts. The query must outer-join Status on
    Notification.status_id (storage.markers counts unread ones with the same condition)."""
    return and_(
        # admin.* notifications (sign-ups, reports) are never filtered (Mastodon)
        or_(Notification.type.startswith("admin."), and_(
            Notification.from_account_id.not_in(blocked_ids(account_id)),
            Notification.from_account_id.not_in(muted_ids(account_id, notifications=True)))),
        or_(Notification.status_id.is_(None), Status.deleted_at.is_(None)),
        # silenced senders only when followed (Mastodon: NotifyService#hellbanned?)
        _not_restricted(Notification.from_account_id, account_id))


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


async def tag_by_name(session: AsyncSession, name: str) -> Tag | None:
    result = await session.execute(select(Tag).where(Tag.name == name.lower()))
    return result.scalar_one_or_none()


async def tag_ids(session: AsyncSession, names: Sequence[str]) -> dict[str, int]:
    """Tag ids by (lowercase) name, for the names that exist."""
    wanted = list({name.lower() for name in names})
    if not wanted:
        return {}
    result = await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted)))
    return {name: tag_id for name, tag_id in result.all()}
