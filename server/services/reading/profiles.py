"""Profiles as the web app shows them: the account's header (name, bio, fields, counts), the
viewer's relationship to it, its posts as an image grid or as a list with replies (its
pinned posts first), its followers and following, incoming follow requests, and its public
posts as a feed.

Who may see which post is decided by server.services.reading.timelines.profile; this module only
picks what each view shows.

Links in a local account's bio and profile fields carry rel="me" (Mastodon's TextFormatter
with_rel_me), so a site that links back verifies the account; a remote account's bio and
fields are its server's HTML, sanitized, as Mastodon shows them (no rel="me" added).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server import SOFTWARE_NAME, __version__
from server.config import Config
from server.i18n import N_
from server.render import syndication
from server.render.sanitize import plain_text, sanitize_html
from server.render.text import field_html
from server.services.accounts.bio import local_bio_html
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.remote_media import account_media_url
from server.services.reading import timelines
from server.services.reading.post_cards import (
    AccountCard,
    PostCard,
    account_card,
    cards,
    timeline_cards,
)
from server.services.social.blocks import known_account
from server.services.social.relationship_state import load_relationships
from server.services.statuses import media as media_service
from server.services.statuses import pins
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import profiles as queries
from storage import statuses as status_queries
from storage.models import Account, Follow
from storage.pagination import MAX_LIMIT, Page

OK, SUSPENDED, DELETED = "ok", "suspended", "deleted"
GRID_PAGE = 24  # 3 columns x 8 rows
LIST_PAGE = 20
FEED_SIZE = 20
# A grid page is topped up from older posts at most this many times (MAX_LIMIT entries
# each), so an account with mostly replies or boosts still fills its grid, boundedly.
GRID_ROUNDS = 5


@dataclass(frozen=True)
class FieldView:
    name: str
    value_html: str  # safe: built by us from escaped parts, or sanitized remote HTML
    # Its link was found to link back with rel="me" (services.accounts.link_verification).
    verified: bool = False


@dataclass(frozen=True)
class ProfileView:
    id: int
    username: str
    domain: str  # ours for local accounts
    handle: str  # user@host
    display_name: str
    local: bool
    state: str  # OK, SUSPENDED or DELETED
    bio_html: str  # safe, see FieldView
    bio_text: str  # for meta descriptions
    fields: list[FieldView]
    avatar_url: str | None
    header_url: str | None
    actor_uri: str
    path: str  # our page: /@user or /@user@host
    url: str  # its page on its own server (ours for local accounts)
    locked: bool
    bot: bool
    discoverable: bool
    moved_to_uri: str | None
    created_at: datetime
    # Local accounts are counted here; remote ones as their server counts them (its
    # collections' totalItems, None when hidden or not read yet).
    posts_count: int | None
    followers_count: int | None
    following_count: int | None


@dataclass(frozen=True)
class Relationship:
    """The viewer's relationship to an account (all False for visitors)."""

    following: bool = False
    requested: bool = False  # a follow request waits for approval
    followed_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    domain_blocking: bool = False  # the viewer blocks the account's server
    self: bool = False

    def as_json(self) -> dict[str, bool]:
        return {"following": self.following, "requested": self.requested,
                "followed_by": self.followed_by, "blocking": self.blocking,
                "blocked_by": self.blocked_by, "muting": self.muting,
                "muting_notifications": self.muting_notifications,
                "domain_blocking": self.domain_blocking}


@dataclass(frozen=True)
class PostsPage:
    cards: list[PostCard]
    next_max_id: int | None  # "load more": ?max_id=
    # The account's pinned posts the viewer may see, newest pin first: on the first page
    # only, above the rest, which leaves them out (each post shows once).
    pinned: list[PostCard] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class AccountsPage:
    accounts: list[AccountCard]
    next_max_id: int | None


# --- accounts -------------------------------------------------------------------------------


def split_acct(acct: str, local_domain: str) -> tuple[str, str | None]:
    """'alice' or 'alice@ourdomain' -> ('alice', None); 'bob@host' -> ('bob', 'host')."""
    username, _, host = acct.strip().lstrip("@").partition("@")
    if not username or (host and host.lower() == local_domain.lower()):
        return username, None
    return username, host.lower() or None


def profile_path(account: Account) -> str:
    return f"/@{account.username}" if account.is_local else \
        f"/@{account.username}@{account.domain}"


def _handle(account: Account, config: Config) -> str:
    return f"{account.username}@{account.domain or config.instance.domain}"


def image_url(account: Account, config: Config, role: str) -> str | None:
    """Local images are ours; a remote one is served from our cache (or proxy), never
    hot-linked, so visitors' browsers do not reach other servers."""
    original = account.avatar_url if role == "avatar" else account.header_url
    if not original:
        return None
    return original if account.is_local else account_media_url(config, account.id, role)


async def find_account(session: AsyncSession, acct: str, local_domain: str) -> Account | None:
    """A local person by name, or a remote account we know by user@host; None otherwise
    (the instance actor is no profile)."""
    username, host = split_acct(acct, local_domain)
    if host is None:
        account = await account_queries.local_account_by_username(session, username)
    else:
        account = await account_queries.remote_account_by_handle(session, username, host)
    if account is None or account.actor_type == "Application":
        return None
    return account


def field_value_html(value: str, local: bool, services: Services) -> str:
    if not local:
        return sanitize_html(value)
    return field_html(value, tag_url=services.urls.tag,
                      local_domain=services.config.instance.domain)


def _state(account: Account) -> str:
    if account.deleted_at is not None:
        return DELETED
    return SUSPENDED if account.suspended_at is not None else OK


async def _counts(session: AsyncSession,
                  account: Account) -> tuple[int | None, int | None, int | None]:
    """Posts, followers, following. A remote account's server counts it (read now and then,
    server.services.federation.remote.fetch_totals); what reached us since (posts, follows of and by
    our users) is a floor under that, much as Mastodon counts up between refreshes. A
    count its server hides stays hidden."""
    here = (await status_queries.count_public_by_account(session, account.id),
            await follow_queries.count_followers(session, account.id),
            await follow_queries.count_following(session, account.id))
    if account.is_local:
        return here
    posts, followers, following = (
        None if total is None else max(total, seen) for total, seen in
        zip((account.posts_total, account.followers_total, account.following_total), here,
            strict=True))
    return posts, followers, following


async def _view(services: Services, session: AsyncSession, account: Account) -> ProfileView:
    config = services.config
    local = account.is_local
    bio_html = await local_bio_html(session, account, config) if local \
        else sanitize_html(account.note)
    counts = await _counts(session, account)
    return ProfileView(
        id=account.id, username=account.username,
        domain=account.domain or config.instance.domain, handle=_handle(account, config),
        display_name=account.display_name or account.username, local=local,
        state=_state(account), bio_html=bio_html, bio_text=plain_text(bio_html, 300),
        fields=[FieldView(name=field.get("name", ""),
                          value_html=field_value_html(field.get("value", ""), local, services),
                          verified=bool(field.get("verified_at")))
                for field in account.fields or [] if isinstance(field, dict)],
        avatar_url=image_url(account, config, "avatar"),
        header_url=image_url(account, config, "header"),
        actor_uri=account.uri, path=profile_path(account),
        url=(services.urls.profile(account.username) if local
             else account.url or account.uri),
        locked=account.manually_approves_followers, bot=account.actor_type == "Service",
        discoverable=account.discoverable, moved_to_uri=account.moved_to_uri,
        created_at=account.created_at, posts_count=counts[0], followers_count=counts[1],
        following_count=counts[2])


async def profile(services: Services, acct: str) -> ProfileView:
    """A local account by name or a known remote one by user@host, suspended and deleted
    ones included (the caller answers 403/410). Raises NotFound."""
    async with services.db.reader() as session:
        account = await find_account(session, acct, services.config.instance.domain)
        if account is None:
            raise NotFound(N_("no account %(acct)r known here"), acct=acct)
        return await _view(services, session, account)


async def relationship(services: Services, viewer_id: int | None,
                       target_id: int) -> Relationship:
    if viewer_id is None:
        return Relationship()
    if viewer_id == target_id:
        return Relationship(self=True)
    async with services.db.reader() as session:
        found = (await load_relationships(session, viewer_id, [target_id]))[target_id]
    return Relationship(
        following=found.following, requested=found.requested, followed_by=found.followed_by,
        blocking=found.blocking, blocked_by=found.blocked_by, muting=found.muting,
        muting_notifications=found.muting_notifications,
        domain_blocking=found.domain_blocking)


async def relationship_with(services: Services, viewer_id: int,
                            handle: str) -> tuple[Relationship, str | None]:
    """The relationship to an account named by handle or URL, and its page here (None when
    the account is not known here)."""
    async with services.db.reader() as session:
        account = await known_account(services, session, handle)
    if account is None:
        return Relationship(), None
    return await relationship(services, viewer_id, account.id), profile_path(account)


async def followers_count(services: Services, handle: str) -> int | None:
    """The follower count a profile page shows for this account (after a follow button
    changed it); None when the account is not known here or its server hides it."""
    async with services.db.reader() as session:
        account = await known_account(services, session, handle)
        return None if account is None else (await _counts(session, account))[1]


# --- posts ----------------------------------------------------------------------------------


async def _cards(services: Services, status_ids: list[int],
                 viewer_id: int | None) -> dict[int, PostCard]:
    async with services.db.reader() as session:
        found = await cards(services, session, status_ids, viewer_account_id=viewer_id)
    return {card.id: card for card in found}


async def _pinned_ids(services: Services, view: ProfileView,
                      viewer_id: int | None) -> list[int]:
    """Its pins: a local account's own, a remote one's as its `featured` collection said
    (server.services.federation.featured keeps them)."""
    return await pins.pinned_ids_of(services, view.id, viewer_id)


async def grid(services: Services, view: ProfileView, max_id: int | None,
               viewer: str | None, viewer_id: int | None) -> PostsPage:
    """The account's own image posts (no replies, no boosts of others), GRID_PAGE at a time;
    `next_max_id` is the last timeline entry looked at, so nothing is skipped. Its pinned
    posts come first, text replies among them too (pinned by their author on purpose)."""
    pinned_ids = await _pinned_ids(services, view, viewer_id)
    wanted: list[timelines.TimelineItem] = []
    seen: set[int] = set(pinned_ids)
    cursor, exhausted = max_id, False
    for _ in range(GRID_ROUNDS):
        batch = await timelines.profile(services, view.handle,
                                        Page(max_id=cursor, limit=MAX_LIMIT), viewer=viewer)
        if not batch:
            exhausted = True
            break
        for item in batch:
            cursor = item.id
            # A boost of one's own post still shows the post; boosts of others do not.
            if item.images and item.in_reply_to_id is None and item.status_id not in seen \
                    and item.author_handle.lower() == view.handle.lower():
                seen.add(item.status_id)
                wanted.append(item)
            if len(wanted) >= GRID_PAGE:
                break
        if len(wanted) >= GRID_PAGE:
            break
    first = pinned_ids if max_id is None else []
    by_id = await _cards(services, first + [item.status_id for item in wanted], viewer_id)
    shown = [by_id[item.status_id] for item in wanted if item.status_id in by_id]
    return PostsPage(shown, None if exhausted else cursor,
                     [by_id[i] for i in first if i in by_id])


async def with_replies(services: Services, view: ProfileView, max_id: int | None,
                       viewer: str | None, viewer_id: int | None) -> PostsPage:
    """Posts, replies and boosts, newest first, as cards; the pinned posts first."""
    pinned_ids = await _pinned_ids(services, view, viewer_id)
    items = await timelines.profile(services, view.handle, Page(max_id=max_id, limit=LIST_PAGE),
                                    viewer=viewer)
    async with services.db.reader() as session:
        shown = await timeline_cards(
            services, session, [i for i in items if i.status_id not in pinned_ids],
            viewer_account_id=viewer_id)
        pinned = await cards(services, session, pinned_ids, viewer_account_id=viewer_id) \
            if max_id is None else []
    return PostsPage(shown, items[-1].id if items else None, pinned)


# --- followers, following, requests ---------------------------------------------------------


async def follow_list(services: Services, account_id: int, kind: str,
                      page: Page) -> AccountsPage:
    """Accepted followers or followed accounts ("followers" / "following"), newest first."""
    async with services.db.reader() as session:
        if kind == "followers":
            rows = await follow_queries.followers_page(session, account_id, page)
        else:
            rows = await follow_queries.following_page(session, account_id, page)
    return _accounts_page(rows, page, services.config)


async def follow_requests(services: Services, account_id: int, page: Page) -> AccountsPage:
    """Pending requests to follow a local account, newest first."""
    async with services.db.reader() as session:
        rows = await follow_queries.followers_page(session, account_id, page, state="pending")
    return _accounts_page(rows, page, services.config)


def _accounts_page(rows: list[tuple[Follow, Account]], page: Page,
                   config: Config) -> AccountsPage:
    accounts = [account_card(config, account) for _, account in rows
                if account.deleted_at is None]
    last = rows[-1][0].id if len(rows) >= page.limit else None
    return AccountsPage(accounts, last)


# --- feeds ----------------------------------------------------------------------------------


def _entry_title(caption: str, spoiler_text: str, content_html: str) -> str:
    if spoiler_text:
        return f"Content warning: {spoiler_text}"
    text = " ".join((caption or plain_text(content_html)).split())
    if len(text) > 80:
        text = text[:79].rstrip() + "…"
    return text or "Image post"


async def feed(services: Services, username: str, self_url: str) -> tuple[
        syndication.Feed, list[syndication.FeedEntry]]:
    """A local account's newest public posts, for RSS/Atom. Raises NotFound, also for
    suspended and deleted accounts."""
    config = services.config
    async with services.db.reader() as session:
        account = await find_account(session, username, config.instance.domain)
        if account is None or not account.is_local or _state(account) != OK:
            raise NotFound(N_("no feed for %(username)r"), username=username)
        posts = await queries.feed_statuses(session, account.id, FEED_SIZE)
        ids = [post.id for post in posts]
        attachments = await queries.attachments_of(session, ids)
        tags = await queries.tags_of(session, ids)
    entries = []
    for post in posts:
        images = [syndication.FeedImage(
            url=media_service.media_url(config, media, media_service.JPEG_FILE),
            media_type="image/jpeg", size=media.jpeg_size, alt=media.description,
            thumbnail_url=media_service.media_url(config, media, media_service.THUMB_FILE),
            width=media.display_width, height=media.display_height)
            for media in attachments.get(post.id, [])]
        entries.append(syndication.FeedEntry(
            title=_entry_title(post.caption, post.spoiler_text, post.content),
            url=post.url or services.urls.status_page(account.username, post.id),
            uri=post.uri, published=post.created_at, updated=post.edited_at,
            content_html=post.content, spoiler_text=post.spoiler_text,
            sensitive=post.sensitive or bool(post.spoiler_text), images=images,
            tags=tags.get(post.id, [])))
    name = account.display_name or account.username
    return syndication.Feed(
        title=name, description=f"Public posts from @{_handle(account, config)}",
        page_url=services.urls.profile(account.username), self_url=self_url,
        author_name=name, icon_url=account.avatar_url,
        generator=f"{SOFTWARE_NAME.capitalize()} {__version__}"), entries
