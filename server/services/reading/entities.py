"""The read side of the client API: accounts and statuses with everything Mastodon's
entities carry (counts, media, mentions, tags, what the viewer has done), loaded in a few
queries for a whole page. server.render.to_mastodon turns these parts into JSON.

Visibility is the caller's business: timelines screen already, and a single status goes
through `visible_status` first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Config
from server.render.sanitize import sanitize_html
from server.render.to_mastodon.parts import (
    AccountParts,
    MediaParts,
    MentionParts,
    StatusParts,
)
from server.services.accounts.bio import local_bio_html
from server.services.context import Services
from server.services.federation.remote_media import IMAGE_FILE as REMOTE_IMAGE
from server.services.federation.remote_media import THUMB_FILE as REMOTE_THUMB
from server.services.federation.remote_media import remote_media_url
from server.services.reading import quote_parts
from server.services.reading.profiles import field_value_html, image_url
from server.services.statuses.media import JPEG_FILE, THUMB_FILE, media_url
from storage import bookmarks as bookmark_queries
from storage import entities as queries
from storage import post_cards as card_queries
from storage import profiles as profile_queries
from storage import status_pins as pin_queries
from storage.models import Account, MediaAttachment, RemoteMedia, Status
from storage.types import utcnow


def acct_of(account: Account) -> str:
    return account.username if account.is_local else f"{account.username}@{account.domain}"


def profile_url(services: Services, account: Account) -> str:
    if account.is_local:
        return services.urls.profile(account.username)
    return account.url or account.uri


def _counts(account: Account, posts: int, followers: int, following: int
            ) -> tuple[int, int, int]:
    """Counts seen here; for a remote account, its server's totals when larger (what we
    hold is a floor)."""
    if account.is_local:
        return posts, followers, following
    return (max(account.posts_total or 0, posts), max(account.followers_total or 0, followers),
            max(account.following_total or 0, following))


async def load_accounts(services: Services, session: AsyncSession,
                        ids: Sequence[int]) -> dict[int, AccountParts]:
    accounts = await queries.accounts_by_id(session, ids)
    moved_ids = [a.moved_to_account_id for a in accounts.values()
                 if a.moved_to_account_id is not None and a.moved_to_account_id not in accounts]
    accounts.update(await queries.accounts_by_id(session, moved_ids))
    every = list(accounts)
    posts = await queries.status_counts(session, every)
    followers = await queries.follower_counts(session, every)
    following = await queries.following_counts(session, every)
    config = services.config
    made: dict[int, AccountParts] = {}
    for account_id, account in accounts.items():
        count, newest = posts.get(account_id, (0, None))
        totals = _counts(account, count, followers.get(account_id, 0),
                         following.get(account_id, 0))
        local = account.is_local
        made[account_id] = AccountParts(
            account=account, acct=acct_of(account), url=profile_url(services, account),
            note_html=await local_bio_html(session, account, config) if local
            else sanitize_html(account.note),
            fields=[(str(f.get("name", "")),
                     field_value_html(str(f.get("value", "")), local, services),
                     str(f["verified_at"]) if f.get("verified_at") else None)
                    for f in account.fields or [] if isinstance(f, dict)],
            avatar_url=image_url(account, config, "avatar") or services.urls.default_avatar,
            header_url=image_url(account, config, "header") or services.urls.default_header,
            statuses_count=totals[0], followers_count=totals[1], following_count=totals[2],
            last_status_at=newest)
    for account_id, parts in list(made.items()):
        moved_to = parts.account.moved_to_account_id
        if moved_to is not None and moved_to in made and moved_to != account_id:
            made[account_id] = _with_moved(parts, made[moved_to])
    return {i: made[i] for i in ids if i in made}


def _with_moved(parts: AccountParts, moved: AccountParts) -> AccountParts:
    return replace(parts, moved=moved)


def local_media_parts(config: Config, media: MediaAttachment) -> MediaParts:
    focus = (media.focus_x, media.focus_y) \
        if media.focus_x is not None and media.focus_y is not None else None
    return MediaParts(
        id=media.id, url=media_url(config, media, JPEG_FILE),
        preview_url=media_url(config, media, THUMB_FILE), remote_url=None,
        description=media.description or None, blurhash=media.blurhash or None,
        width=media.display_width, height=media.display_height,
        preview_width=media.thumb_width, preview_height=media.thumb_height, focus=focus,
        generator=media.generator, digital_source_type=media.digital_source_type or None,
        ai_generated=media.generation_id is not None)


def _remote_media(config: Config, media: RemoteMedia) -> MediaParts:
    return MediaParts(
        id=media.id, url=remote_media_url(config, media, REMOTE_IMAGE),
        preview_url=remote_media_url(config, media, REMOTE_THUMB), remote_url=media.url,
        description=media.description or None, blurhash=media.blurhash,
        width=media.width, height=media.height)


def _status_url(services: Services, status: Status, author: Account) -> str:
    if status.local:
        return services.urls.status_page(author.username, status.id)
    return status.url or status.uri


async def load_statuses(services: Services, session: AsyncSession, ids: Sequence[int], *,
                        viewer_account_id: int | None,
                        fresh: bool = False) -> dict[int, StatusParts]:
    """Statuses by id (a boost's id gives the boost, with the boosted status inside);
    deleted ones and boosts of deleted ones are left out. `fresh`: statuses the viewer
    has just made, so not yet liked, boosted, bookmarked, pinned or muted by them (five
    queries fewer for the answer to a post)."""
    made = await _load_statuses(services, session, ids,
                                viewer_account_id=viewer_account_id, fresh=fresh)

    async def load(quoted_ids: Sequence[int]) -> dict[int, StatusParts]:
        return await _load_statuses(services, session, quoted_ids,
                                    viewer_account_id=viewer_account_id)

    return await quote_parts.attach(session, made, viewer_account_id, load)


async def _load_statuses(services: Services, session: AsyncSession, ids: Sequence[int], *,
                         viewer_account_id: int | None,
                         fresh: bool = False) -> dict[int, StatusParts]:
    base = await _load_base(services, session, ids)
    if viewer_account_id is None:
        viewer = _ViewerState()
    elif fresh:
        viewer = _ViewerState(signed_in=True)  # just made by the viewer: nothing done yet
    else:
        viewer = (await _viewer_states(session, [viewer_account_id],
                                       base.originals))[viewer_account_id]
    return base.for_viewer(viewer, viewer_account_id)


async def load_statuses_for_each(services: Services, session: AsyncSession,
                                 ids: Sequence[int], viewer_ids: Sequence[int]
                                 ) -> dict[int, dict[int, StatusParts]]:
    """load_statuses for many viewers at once (a stream event reaching them all): the
    statuses are read once and what each viewer has done with them in five queries. Quotes
    are attached as anyone sees them, once for all (as Mastodon renders a streamed status
    with no current user: quote_approval says nothing about the viewer)."""
    base = await _load_base(services, session, ids)
    states = await _viewer_states(session, viewer_ids, base.originals)

    async def load(quoted_ids: Sequence[int]) -> dict[int, StatusParts]:
        return await _load_statuses(services, session, quoted_ids, viewer_account_id=None)

    anyone = await quote_parts.attach(session, base.for_viewer(_ViewerState(), None), None,
                                      load)
    return {viewer: {status_id: _quotes_from(parts, anyone[status_id])
                     for status_id, parts in base.for_viewer(states[viewer], viewer).items()}
            for viewer in viewer_ids}


def _quotes_from(parts: StatusParts, source: StatusParts) -> StatusParts:
    """`parts` with the quote fields of `source` (the same status), a boost's inner one too."""
    if parts.reblog is not None and source.reblog is not None:
        return replace(parts, reblog=_quotes_from(parts.reblog, source.reblog))
    return replace(parts, quote=source.quote, quote_approval=source.quote_approval)


@dataclass(frozen=True)
class _Base:
    """Statuses as anyone sees them, before the viewer's own state is applied."""

    rows: dict[int, Status]
    originals: list[Status]
    made: dict[int, StatusParts]
    authors: dict[int, AccountParts]
    urls: dict[int, str]

    def for_viewer(self, viewer: _ViewerState,
                   viewer_account_id: int | None) -> dict[int, StatusParts]:
        made = {status_id: viewer.apply(parts, viewer_account_id)
                for status_id, parts in self.made.items()}
        for status in self.rows.values():
            if status.reblog_of_id is None:
                continue
            inner = made.get(status.reblog_of_id)
            author = self.authors.get(status.account_id)
            if inner is None or author is None:
                continue
            made[status.id] = StatusParts(
                status=status, account=author, url=self.urls[status.id],
                content_html="", media=[], mentions=[], tags=[], reblog=inner,
                favourited=inner.favourited, reblogged=inner.reblogged,
                bookmarked=inner.bookmarked, pinned=None if inner.pinned is None else False,
                muted=inner.muted)
        return made


async def _load_base(services: Services, session: AsyncSession, ids: Sequence[int]) -> _Base:
    rows = await queries.statuses_by_id(session, ids)
    boosted_ids = [s.reblog_of_id for s in rows.values()
                   if s.reblog_of_id is not None and s.reblog_of_id not in rows]
    rows.update(await queries.statuses_by_id(session, boosted_ids))
    originals = [s for s in rows.values() if s.reblog_of_id is None]
    original_ids = [s.id for s in originals]
    authors = await load_accounts(services, session, list({s.account_id for s in rows.values()}))
    local_media = await card_queries.local_images(
        session, [s.id for s in originals if s.local])
    remote_media = await card_queries.remote_images(
        session, [s.id for s in originals if not s.local])
    mentions = await queries.mentions_of(session, original_ids)
    tags = await profile_queries.tags_of(session, original_ids)
    config = services.config
    urls = {status.id: _status_url(services, status, authors[status.account_id].account)
            for status in rows.values() if status.account_id in authors}
    made: dict[int, StatusParts] = {}
    for status in originals:
        author = authors.get(status.account_id)
        if author is None:
            continue
        media = [local_media_parts(config, m) for m in local_media.get(status.id, [])] \
            if status.local else [_remote_media(config, m)
                                  for m in remote_media.get(status.id, [])]
        made[status.id] = StatusParts(
            status=status, account=author, url=urls[status.id],
            content_html=status.content if status.local else sanitize_html(status.content),
            media=media,
            mentions=[MentionParts(account_id=a.id, username=a.username, acct=acct_of(a),
                                   url=profile_url(services, a))
                      for a in mentions.get(status.id, [])],
            tags=tags.get(status.id, []))
    return _Base(rows=rows, originals=originals, made=made, authors=authors, urls=urls)


async def _viewer_states(session: AsyncSession, viewer_ids: Sequence[int],
                         originals: Sequence[Status]) -> dict[int, _ViewerState]:
    original_ids = [s.id for s in originals]
    favourited = await card_queries.favourited_pairs(session, viewer_ids, original_ids)
    reblogged = await card_queries.boosted_pairs(session, viewer_ids, original_ids)
    bookmarked = await bookmark_queries.bookmarked_pairs(session, viewer_ids, original_ids)
    pinned = await pin_queries.pinned_pairs(session, viewer_ids, original_ids)
    muted = await queries.muting_pairs(session, viewer_ids,
                                       [s.account_id for s in originals], utcnow())

    states = {viewer: _ViewerState(signed_in=True) for viewer in viewer_ids}
    for pairs, kept in ((favourited, "favourited"), (reblogged, "reblogged"),
                        (bookmarked, "bookmarked"), (pinned, "pinned"), (muted, "muted")):
        for viewer, item in pairs:
            getattr(states[viewer], kept).add(item)
    return states


@dataclass(frozen=True)
class _ViewerState:
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)
    pinned: set[int] = field(default_factory=set)
    muted: set[int] = field(default_factory=set)
    signed_in: bool = False

    def apply(self, parts: StatusParts, viewer_account_id: int | None) -> StatusParts:
        if not self.signed_in:
            return parts
        status = parts.status
        shareable = status.visibility in ("public", "unlisted")
        return replace(
            parts, favourited=status.id in self.favourited,
            reblogged=status.id in self.reblogged, bookmarked=status.id in self.bookmarked,
            pinned=status.id in self.pinned if status.account_id == viewer_account_id
            else None,
            muted=status.account_id in self.muted,
            viewer_may_remix=status.can_remix and shareable)


async def statuses_in_order(services: Services, ids: Sequence[int], *,
                            viewer_account_id: int | None) -> list[StatusParts]:
    """Parts for these ids in the given order, leaving out what no longer exists."""
    async with services.db.reader() as session:
        made = await load_statuses(services, session, ids,
                                   viewer_account_id=viewer_account_id)
    return [made[i] for i in ids if i in made]


async def accounts_in_order(services: Services, ids: Sequence[int]) -> list[AccountParts]:
    async with services.db.reader() as session:
        made = await load_accounts(services, session, ids)
    return [made[i] for i in ids if i in made]
