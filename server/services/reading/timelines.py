"""Timelines: home, local, federated, a profile, a hashtag, a thread and notifications, as
lightweight views, paginated by max_id/since_id/min_id/limit (storage.pagination).

An item's `id` is its timeline entry (the boost row for a boost): pass the last one shown as
`max_id` for the next page. `status_id` and the rest describe the post shown. The rules (who
sees what) are documented on the queries in storage/timelines.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.social import filters
from server.services.social.blocks import thread_hidden_authors
from server.services.social.notifications import EXCERPT_LENGTH, NotificationView
from storage import accounts as account_queries
from storage import lists as list_queries
from storage import notification_lists
from storage import tags as tag_queries
from storage import timelines as queries
from storage.models import Account
from storage.pagination import MAX_LIMIT, Page

TIMELINES = ("home", "local", "federated")


@dataclass(frozen=True)
class TimelineItem:
    id: int  # the timeline entry: page on with max_id=id
    status_id: int  # the post shown (the boosted one for a boost)
    uri: str
    url: str | None
    author_handle: str  # user@host
    text: str  # the post's visible text on one line
    created_at: datetime
    visibility: str
    images: int
    replies_count: int
    favourites_count: int
    reblogs_count: int
    in_reply_to_id: int | None
    boosted_by: str | None  # user@host of the booster, for a boost
    # The phrases of the viewer's "warn" filters this post matches: show it behind them.
    filtered: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThreadView:
    ancestors: list[TimelineItem]  # oldest first
    status: TimelineItem
    descendants: list[TimelineItem]  # breadth-first


def _handle(account: Account, domain: str) -> str:
    return f"{account.username}@{account.domain or domain}"


def _item(entry: queries.Entry, domain: str,
          filtered: tuple[str, ...] = ()) -> TimelineItem:
    status = entry.status
    return TimelineItem(
        id=entry.entry.id, status_id=status.id, uri=status.uri, url=status.url,
        author_handle=_handle(entry.author, domain), text=plain_text(status.content),
        created_at=status.created_at, visibility=status.visibility, images=entry.images,
        replies_count=status.replies_count, favourites_count=status.favourites_count,
        reblogs_count=status.reblogs_count, in_reply_to_id=status.in_reply_to_id,
        boosted_by=_handle(entry.booster, domain) if entry.booster else None,
        filtered=filtered)


def _items(entries: list[queries.Entry], services: Services,
           warnings: dict[int, tuple[str, ...]] | None = None) -> list[TimelineItem]:
    domain = services.config.instance.domain
    return [_item(entry, domain, (warnings or {}).get(entry.status.id, ()))
            for entry in entries]


def _once_each(entries: list[queries.Entry]) -> list[queries.Entry]:
    """Each post shown once per page (a post and its boost, or two boosts of it: the newest
    entry stays)."""
    seen: set[int] = set()
    kept = []
    for entry in entries:
        if entry.status.id not in seen:
            seen.add(entry.status.id)
            kept.append(entry)
    return kept


# A page the viewer's "hide" filters thin out is topped up from older entries (this many
# more reads of MAX_LIMIT at most), so a filtered page does not look like the timeline's end.
REFILL_ROUNDS = 4

Fetch = Callable[[Page], Awaitable[list[queries.Entry]]]


async def screened_entries(session: AsyncSession, viewer_id: int | None, page: Page,
                           context: str, fetch: Fetch
                           ) -> tuple[list[queries.Entry], dict[int, tuple[str, ...]]]:
    """A page of `fetch` through the viewer's filters for `context`: "hide" filters drop
    entries, "warn" filters mark them (server.services.social.filters): the entries, each
    post once, and the matched warn phrases by shown post id."""
    entries = await fetch(page)
    if viewer_id is None:
        return _once_each(entries), {}
    shown, warnings = await filters.screen(session, viewer_id, entries, context)
    read = page.limit
    for _ in range(REFILL_ROUNDS):
        if len(shown) >= page.limit or len(entries) < read \
                or page.min_id is not None or page.since_id is not None:
            break
        read = max(page.limit, MAX_LIMIT)
        entries = await fetch(Page(max_id=entries[-1].entry.id, limit=read))
        more, more_warnings = await filters.screen(session, viewer_id, entries, context)
        shown += more
        warnings.update(more_warnings)
    return _once_each(shown[:page.limit]), warnings


async def _screened(services: Services, session: AsyncSession, viewer_id: int | None,
                    page: Page, context: str, fetch: Fetch) -> list[TimelineItem]:
    entries, warnings = await screened_entries(session, viewer_id, page, context, fetch)
    return _items(entries, services, warnings)


async def _local_account(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local user named %(username)r"), username=username)
    return account


async def _viewer_id(session: AsyncSession, viewer: str | None) -> int | None:
    return None if viewer is None else (await _local_account(session, viewer)).id


async def home(services: Services, username: str, page: Page) -> list[TimelineItem]:
    async with services.db.reader() as session:
        viewer = await _local_account(session, username)
        return await _screened(services, session, viewer.id, page, "home",
                               lambda p: queries.home_page(session, viewer.id, p))


async def list_feed(services: Services, viewer_id: int, list_id: int,
                    page: Page) -> list[TimelineItem]:
    """One of the viewer's lists, under its replies policy (NotFound for anyone else's)."""
    async with services.db.reader() as session:
        found = await list_queries.own_list(session, viewer_id, list_id)
        if found is None:
            raise NotFound(N_("no such list"))
        stmt = queries.list_query(found.id, viewer_id, found.replies_policy)
        return await _screened(services, session, viewer_id, page, "home",
                               lambda p: queries.timeline(session, stmt, p))


async def local(services: Services, page: Page,
                viewer: str | None = None) -> list[TimelineItem]:
    async with services.db.reader() as session:
        viewer_id = await _viewer_id(session, viewer)
        stmt = queries.local_query(viewer_id)
        return await _screened(services, session, viewer_id, page, "public",
                               lambda p: queries.timeline(session, stmt, p))


async def federated(services: Services, page: Page,
                    viewer: str | None = None) -> list[TimelineItem]:
    async with services.db.reader() as session:
        viewer_id = await _viewer_id(session, viewer)
        stmt = queries.federated_query(viewer_id)
        return await _screened(services, session, viewer_id, page, "public",
                               lambda p: queries.timeline(session, stmt, p))


async def timeline(services: Services, name: str, username: str,
                   page: Page) -> list[TimelineItem]:
    """One of TIMELINES by name, as `username` sees it."""
    if name == "home":
        return await home(services, username, page)
    if name == "local":
        return await local(services, page, viewer=username)
    if name == "federated":
        return await federated(services, page, viewer=username)
    raise InvalidInput(N_("unknown timeline %(name)r (choose one of %(timelines)s)"), name=name,
                       timelines=", ".join(TIMELINES))


async def _account_by_handle(session: AsyncSession, handle: str, domain: str) -> Account:
    """`alice` or `alice@here` (local) or `bob@elsewhere` (a remote account we know)."""
    username, _, host = handle.lstrip("@").partition("@")
    if not host or host == domain:
        return await _local_account(session, username)
    account = await account_queries.remote_account_by_handle(session, username, host)
    if account is None or account.deleted_at:
        raise NotFound(N_("no account %(handle)r known here"), handle=handle)
    return account


async def profile(services: Services, handle: str, page: Page,
                  viewer: str | None = None) -> list[TimelineItem]:
    """An account's posts and boosts; nothing when it and the viewer block each other."""
    async with services.db.reader() as session:
        account = await _account_by_handle(session, handle, services.config.instance.domain)
        viewer_id = await _viewer_id(session, viewer)
        stmt = queries.profile_query(account.id, viewer_id)
        return await _screened(services, session, viewer_id, page, "account",
                               lambda p: queries.timeline(session, stmt, p))


async def hashtag(services: Services, tag: str, page: Page,
                  viewer: str | None = None) -> list[TimelineItem]:
    async with services.db.reader() as session:
        viewer_id = await _viewer_id(session, viewer)
        row = await tag_queries.tag_by_name(session, tag.lstrip("#"))
        if row is None:
            return []
        stmt = queries.hashtag_query(row.id, viewer_id)
        return await _screened(services, session, viewer_id, page, "public",
                               lambda p: queries.timeline(session, stmt, p))


async def thread(services: Services, status_id: int,
                 viewer: str | None = None) -> ThreadView:
    """A post with the visible posts above it (up to 20) and replies below it. Around the
    post itself, left out: posts by accounts the thread's first author (a local one) blocks,
    whoever looks, logged out included, so a blocked account's replies never show under the
    one who blocked it; posts by accounts the viewer mutes or on servers it blocks; posts
    its "thread" filters hide."""
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        viewer_id = await _viewer_id(session, viewer)
        if not await queries.visible(session, [status_id], viewer_id):
            raise NotFound(N_("no such post"))
        focus = (await queries.load(session, [status_id]))[0]
        up = await queries.ancestors(session, focus.status)
        shown_up = await queries.visible(session, up, viewer_id)
        down = await queries.descendants(session, status_id, viewer_id)
        loaded = await queries.load(session, [i for i in up if i in shown_up] + down)
        hidden = await thread_hidden_authors(session, up[0] if up else status_id, viewer_id,
                                             {e.author.id for e in loaded})
        around = [e for e in loaded if e.author.id not in hidden]
        warnings: dict[int, tuple[str, ...]] = {}
        if viewer_id is not None:
            around, warnings = await filters.screen(session, viewer_id, [focus, *around],
                                                    "thread", keep=[focus.status.id])
    entries = {e.entry.id: e for e in around}

    def view(entry: queries.Entry) -> TimelineItem:
        return _item(entry, domain, warnings.get(entry.status.id, ()))

    return ThreadView(
        ancestors=[view(entries[i]) for i in up if i in entries],
        status=view(focus),
        descendants=[view(entries[i]) for i in down if i in entries])


async def notifications(services: Services, username: str,
                        page: Page) -> list[NotificationView]:
    """A local account's notifications, newest first, leaving out blocked senders (either
    way), muted ones (mutes that hide notifications), deleted posts and posts its
    "notifications" filters hide."""
    domain = services.config.instance.domain
    async with services.db.reader() as session:
        account = await _local_account(session, username)
        rows, warnings = await filters.screen_notifications(
            session, account.id, await notification_lists.notifications(session, account.id, page))
    return [NotificationView(
        id=row.notification.id, type=row.notification.type,
        created_at=row.notification.created_at,
        from_handle=_handle(row.from_account, domain),
        status_id=row.status.id if row.status else None,
        status_uri=row.status.uri if row.status else None,
        status_excerpt=plain_text(row.status.content, EXCERPT_LENGTH) if row.status else "",
        filtered=warnings.get(row.notification.id, ()),
    ) for row in rows]
