"""Timeline queries: home, local, federated, profile, hashtag and thread.

Every page is one statement: an inner query picks the page's entry ids, shaped so the database
can walk an index newest-first and stop after `limit` rows (`ORDER BY statuses.id DESC LIMIT n`
with the page's id bounds), and the outer one loads those rows with their authors, the boosted
post and its image count (a prebuilt statement: building the aliased select per page cost more
than running it). An entry is a row of `statuses`: a post, or a boost pointing at one.

Home pages (issue 19; bench/timeline.py, 1,000,000 posts, 10,000 accounts, a shared 2-core
machine) are a time window first, and the merge of the followed accounts' own newest entries
where that window does not fill a page on PostgreSQL (home_page, home_merge). Measured against
the alternatives: the merge alone costs a LATERAL index range per followed account, ~270 ms to
1.8 s at 200 follows (PostgreSQL plans each as a bitmap scan plus sort of that account's
posts), against ~1 ms for a one-day window; a window that does not fill (10 quiet follows) and
the unbounded query after it walk PostgreSQL's id index over everyone's posts (96-175 ms),
where the merge reads those few accounts' rows (~1 ms). SQLite walks the followed accounts'
(account_id, id) ranges in any window, so its windows stay. A home_feed table (Mastodon's
fan-out on write) was not needed for these figures and would have had to follow every post,
boost, follow, unfollow, block and mute.

Visibility, blocks and deletions are filtered in SQL, so a page is never short because of
them. Blocks count both ways and reach through boosts (a boost of a blocked author's post is
hidden). Direct posts show only to their author and the accounts they mention. A viewer's
unexpired mutes hide the muted accounts from home (as author, booster, boosted author or the
one replied to), from local, federated and hashtag timelines and, when the mute says so, from
notifications; not from profiles (as in Mastodon). The servers a viewer blocks
(account_domain_blocks) hide their accounts' posts, and boosts of them, from home, lists and
the federated and hashtag timelines, as Mastodon's FeedManager (its domain_blocking check) and
PublicFeed/TagFeed (not_domain_blocked_by_account) do; profiles still show them.
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
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from storage.account_domain_blocks import domain_blocked_ids
from storage.ids import id_floor, id_time
from storage.models import (
    Account,
    AccountList,
    Block,
    Follow,
    ListMember,
    MediaAttachment,
    Mention,
    RemoteMedia,
    Status,
    StatusTag,
)
from storage.models.base import Id
from storage.mutes import muted_ids as _muted_ids
from storage.pagination import Page, apply_page, finish_page
from storage.tag_follows import followed_tag_ids
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


# A viewer's id, or a column of viewer ids (storage/timeline_reach.py asks a timeline's
# rules for many viewers in one statement). The subqueries below correlate to such a column
# however deep they sit (`correlate_except` their own tables); with an id they are uncorrelated.
ViewerRef = int | ColumnElement[int]


def followed_ids(viewer_id: ViewerRef) -> Select[int]:
    return select(Follow.target_account_id).where(
        Follow.account_id == viewer_id, Follow.state == "accepted").correlate_except(Follow)


def blocked_ids(viewer_id: ViewerRef) -> CompoundSelect[int]:
    """Accounts the viewer blocks and accounts that block the viewer (one uncorrelated
    subquery, computed once per query)."""
    return (select(Block.target_account_id).where(Block.account_id == viewer_id)
            .correlate_except(Block).union_all(
                select(Block.account_id).where(Block.target_account_id == viewer_id)
                .correlate_except(Block)))


def muted_ids(viewer_id: ViewerRef, *, notifications: bool = False) -> Select[int]:
    """Accounts the viewer mutes now (expired mutes no longer count); with
    notifications=True only the mutes that also hide notifications."""
    return _muted_ids(viewer_id, utcnow(), notifications=notifications)


def _not_muted(column: Any, viewer_id: ViewerRef | None) -> ColumnElement[bool]:
    """The column (possibly NULL: then nothing to hide) names no account the viewer mutes."""
    if viewer_id is None:
        return true()
    return or_(column.is_(None), column.not_in(muted_ids(viewer_id)))


def _not_domain_blocked(column: Any, viewer_id: ViewerRef | None) -> ColumnElement[bool]:
    """The column (possibly NULL: then nothing to hide) names no account on a server the
    viewer blocks."""
    if viewer_id is None:
        return true()
    return or_(column.is_(None), column.not_in(domain_blocked_ids(viewer_id)))


def _not_suspended(column: Any) -> ColumnElement[bool]:
    """The column names no account suspended by a moderator (hidden from everyone)."""
    hidden: ColumnElement[bool] = column.not_in(
        select(Account.id).where(Account.suspended_at.is_not(None)))
    return hidden


def not_restricted(column: Any, viewer_id: ViewerRef | None) -> ColumnElement[bool]:
    """Not suspended; and not silenced unless the viewer is that account or follows it
    (Mastodon: a silenced account reaches only its followers)."""
    silenced = select(Account.id).where(Account.silenced_at.is_not(None))
    if viewer_id is None:
        return and_(_not_suspended(column), column.not_in(silenced))
    return and_(_not_suspended(column), or_(column.not_in(silenced), column == viewer_id,
                                            column.in_(followed_ids(viewer_id))))


def _mentioned(status: Any, viewer_id: ViewerRef) -> ColumnElement[bool]:
    return (exists().where(Mention.status_id == status.id, Mention.account_id == viewer_id)
            .correlate_except(Mention))


def _approved(viewer_id: ViewerRef | None) -> ColumnElement[bool]:
    """Not a reply or boost waiting for its remote author's approval (interaction
    controls), unless it is the viewer's own."""
    if viewer_id is None:
        return Status.pending_approval.is_(False)
    return or_(Status.pending_approval.is_(False), Status.account_id == viewer_id)


def _not_blocked(column: InstrumentedAttribute[int],
                 viewer_id: ViewerRef | None) -> ColumnElement[bool]:
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


def _with_boosted(stmt: Select[int], viewer_id: ViewerRef | None, *,
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


def hidden_boosters(viewer_id: ViewerRef) -> Select[int]:
    """Accounts the viewer follows without their boosts (follows.show_reblogs off)."""
    return select(Follow.target_account_id).where(
        Follow.account_id == viewer_id, Follow.show_reblogs.is_(False)).correlate_except(Follow)


def exclusive_members(viewer_id: ViewerRef) -> Select[int]:
    """Members of the viewer's exclusive lists: their posts show in those lists only."""
    return (select(ListMember.account_id)
            .join(AccountList, AccountList.id == ListMember.list_id)
            .where(AccountList.account_id == viewer_id, AccountList.exclusive.is_(True))
            .correlate_except(ListMember, AccountList))


def _feed_rules(viewer_id: ViewerRef, replies_to: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """What home and list feeds share: live, visible to a follower, no boosts the viewer
    turned off, nothing from or through blocked, suspended or muted accounts or accounts on
    a server the viewer blocks. A reply shows
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
        _not_domain_blocked(Status.account_id, viewer_id),
        _not_domain_blocked(Original.account_id, viewer_id),
        or_(Status.account_id == viewer_id,
            _not_muted(Status.in_reply_to_account_id, viewer_id))]


def followed_tag_post(viewer_id: ViewerRef) -> ColumnElement[bool]:
    """A public post (not a boost) carrying a hashtag the viewer follows, by an account the
    viewer may see in public timelines (Mastodon's followed tags in home)."""
    tagged = aliased(StatusTag)
    carries = (exists().where(tagged.status_id == Status.id,
                              tagged.tag_id.in_(followed_tag_ids(viewer_id)))
               .correlate_except(tagged))
    return and_(Status.visibility == "public", Status.reblog_of_id.is_(None), carries,
                not_restricted(Status.account_id, viewer_id))


def home_query(viewer_id: ViewerRef, *, tags: bool = True) -> Select[int]:
    """Posts and boosts by the viewer and the accounts it follows (accepted), and public
    posts carrying a hashtag it follows (tags=False leaves them out: a viewer known to
    follow none, whose pages then walk the followed accounts' own index ranges).

    Replies (Mastodon's rule, simplified): a reply shows when it answers the viewer, the
    author itself (a thread), or an account the viewer follows; replies to strangers do not.
    Boosts of the viewer's own posts are left out, as Mastodon does, and so are boosts by
    accounts followed with boosts off. Members of the viewer's exclusive lists show in those
    lists instead.
    """
    followed = followed_ids(viewer_id)
    authors = or_(Status.account_id.in_(followed), Status.account_id == viewer_id)
    return _with_boosted(select(Status.id), viewer_id, own_boosts=False).where(
        or_(authors, followed_tag_post(viewer_id)) if tags else authors,
        or_(Status.account_id == viewer_id,
            Status.account_id.not_in(exclusive_members(viewer_id))),
        *_feed_rules(viewer_id, Status.in_reply_to_account_id.in_(followed)))


def list_query(list_id: int | ColumnElement[int], owner_id: ViewerRef,
               replies_policy: str) -> Select[int]:
    """A list's feed: posts and boosts by its members that the owner follows (accepted) or
    is, under the home feed's rules. Replies to others show by the list's policy
    (Mastodon's FeedManager#filter_from_list?): "followed" those answering an account the
    owner follows, "list" those answering a member, "none" no more."""
    members = (select(ListMember.account_id).where(ListMember.list_id == list_id)
               .correlate_except(ListMember))
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


def local_query(viewer_id: ViewerRef | None) -> Select[int]:
    """Public posts made here (no boosts)."""
    return select(Status.id).where(
        Status.local.is_(True), Status.visibility == "public", Status.reblog_of_id.is_(None),
        Status.deleted_at.is_(None), _approved(viewer_id),
        _not_blocked(Status.account_id, viewer_id),
        _not_muted(Status.account_id, viewer_id), not_restricted(Status.account_id, viewer_id))


def federated_query(viewer_id: ViewerRef | None,
                    options: PublicOptions = PublicOptions()) -> Select[int]:
    """Public posts from here and everywhere we know (no boosts)."""
    return _narrowed(select(Status.id).where(
        Status.visibility == "public", Status.reblog_of_id.is_(None),
        Status.deleted_at.is_(None), _approved(viewer_id),
        _not_blocked(Status.account_id, viewer_id),
        _not_muted(Status.account_id, viewer_id), _not_domain_blocked(Status.account_id, viewer_id),
        not_restricted(Status.account_id, viewer_id)), options)


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


def hashtag_query(tag_id: int, viewer_id: ViewerRef | None,
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
        _not_domain_blocked(Status.account_id, viewer_id),
        not_restricted(Status.account_id, viewer_id)), options)


# Home pages look back this far first (from max_id, or now), widening until a page is full.
# A window that fills the page holds exactly its newest rows. SQLite walks each followed
# account's (account_id, id) range in the window, so a try costs what those accounts posted
# in it, and the last resort (no window) is the same walk over their whole history.
# PostgreSQL walks the id index back and skips the posts of accounts not followed, so a try
# costs what everyone posted in it: it tries the first day only, then merges the followed
# accounts' own newest entries (home_merge).
HOME_WINDOWS = (timedelta(days=1), timedelta(days=8), timedelta(days=64), timedelta(days=512))


async def home_page(session: AsyncSession, viewer_id: int, page: Page) -> list[Entry]:
    tags = (await session.execute(followed_tag_ids(viewer_id).limit(1))).first() is not None
    stmt = home_query(viewer_id, tags=tags)
    merge = session.get_bind().dialect.name == "postgresql"
    if page.min_id is None and page.since_id is None:
        top = id_time(page.max_id) if page.max_id is not None else datetime.now(UTC)
        for window in HOME_WINDOWS[:1] if merge else HOME_WINDOWS:
            entries = await _loaded(session, apply_page(
                stmt.where(Status.id >= id_floor(top - window)), Status.id, page))
            if len(entries) >= page.limit:
                return entries
    if merge:
        return await _loaded(session, home_merge(viewer_id, page, tags=tags))
    return await timeline(session, stmt, page)


def home_merge(viewer_id: int, page: Page, *, tags: bool = False) -> Select[int]:
    """The home page as a merge of each author's own page (PostgreSQL: a LATERAL join over
    the viewer and the accounts it follows): every row a page could hold is among its
    author's newest `limit` rows that pass home_query's rules, so the page is the newest
    `limit` of those. Each author's rows come from its (account_id, id) index range, so a
    home of quiet accounts costs their few posts, not a walk over everyone's. With tags, the
    newest `limit` posts carrying a followed hashtag join the merge (from the tags' own
    (tag_id, status_id) index ranges); UNION drops a post found both ways."""
    authors = (select(Follow.target_account_id.label("author_id"))
               .where(Follow.account_id == viewer_id, Follow.state == "accepted")
               .union_all(select(literal(viewer_id, Id)))).subquery("authors")
    own = apply_page(home_query(viewer_id, tags=False)
                     .where(Status.account_id == authors.c.author_id),
                     Status.id, page).lateral("own")
    merged = select(own.c.id.label("id")).select_from(authors).join(own, true())
    if tags:
        tagged_ids = (select(StatusTag.status_id)
                      .where(StatusTag.tag_id.in_(followed_tag_ids(viewer_id))))
        tagged = apply_page(home_query(viewer_id).where(Status.id.in_(tagged_ids)),
                            Status.id, page).subquery("tagged")
        every = union(merged, select(tagged.c.id)).subquery("entries")
    else:
        every = merged.subquery("entries")
    order = every.c.id.asc() if page.ascending else every.c.id.desc()
    return select(every.c.id).order_by(order).limit(page.limit)


async def page_ids(session: AsyncSession, stmt: Select[int], page: Page) -> list[int]:
    rows = (await session.execute(apply_page(stmt, Status.id, page))).scalars().all()
    return finish_page(list(rows), page)


# --- loading ---------------------------------------------------------------------------------


def _images(shown: Any) -> ColumnElement[int]:
    """How many images the shown post carries (ours and remote ones), counted on their
    status_id indexes inside the page's one loading query."""
    counts = [select(func.count()).where(model.status_id == shown).correlate_except(model)
              .scalar_subquery() for model in (MediaAttachment, RemoteMedia)]
    return (counts[0] + counts[1]).label("images")


_Booster = aliased(Account, name="booster")
_Author = aliased(Account, name="author")
# Built once (building it, with its aliases, cost more than running it): the entries with
# their shown post, its author, the booster and the image count.
_ENTRIES = (select(Status, Original, _Author, _Booster,
                   _images(func.coalesce(Original.id, Status.id)))
            .outerjoin(Original, Original.id == Status.reblog_of_id)
            .join(_Author, _Author.id == func.coalesce(Original.account_id, Status.account_id))
            .outerjoin(_Booster, and_(Status.reblog_of_id.is_not(None),
                                      _Booster.id == Status.account_id)))
# The ids are an expanding parameter, so every load runs the same statement.
_LOAD = _ENTRIES.where(Status.id.in_(bindparam("ids", expanding=True)))


def _entry(row: Any) -> Entry:
    entry, original, who, by, images = row
    return Entry(entry, original if original is not None else entry, who, by, int(images))


async def load(session: AsyncSession, ids: Sequence[int]) -> list[Entry]:
    """The entries with these ids, in the order given: one query (their authors, the boosted
    post and the image counts ride along)."""
    if not ids:
        return []
    rows = {row[0].id: row for row in (await session.execute(_LOAD, {"ids": list(ids)})).all()}
    return [_entry(rows[entry_id]) for entry_id in ids if entry_id in rows]


async def _loaded(session: AsyncSession, page_query: Select[int]) -> list[Entry]:
    """The entries a page's query (ids, ordered and limited) picks, newest first, loaded in
    the same statement: a page is one round trip."""
    picked = page_query.correlate(None)  # its own statuses, not the loading query's
    result = await session.execute(_ENTRIES.where(Status.id.in_(picked)))
    return [_entry(row) for row in sorted(result.all(), key=lambda row: -row[0].id)]


async def timeline(session: AsyncSession, stmt: Select[int], page: Page) -> list[Entry]:
    return await _loaded(session, apply_page(stmt, Status.id, page))


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
