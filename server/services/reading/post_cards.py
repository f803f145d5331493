"""Posts as the web app shows them: one `PostCard` per post, with its author, images
(blurhash placeholders, alt text), content warning, counts and what the viewer has done to
it. Built in a few queries for a whole page of posts, never one query per post."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Config
from server.images.pipeline import DISPLAY_MAX, THUMB_MAX
from server.render.sanitize import sanitize_html
from server.services.context import Services
from server.services.federation.remote_media import IMAGE_FILE as REMOTE_IMAGE
from server.services.federation.remote_media import THUMB_FILE as REMOTE_THUMB
from server.services.federation.remote_media import account_media_url, remote_media_url
from server.services.media.credentials import ABSENT, credentials_path
from server.services.reading import interaction_states
from server.services.reading.interaction_states import InteractionStates
from server.services.reading.timelines import TimelineItem
from server.services.statuses.media import JPEG_FILE, THUMB_FILE, WEBP_FILE, media_url
from storage import bookmarks as bookmark_queries
from storage import post_cards as queries
from storage import status_pins as pin_queries
from storage.models import Account, MediaAttachment, RemoteMedia, Status

if TYPE_CHECKING:  # quote_cards builds its cards with this module's helpers
    from server.services.reading.quote_cards import QuoteCard, QuoteOffer


@dataclass(frozen=True)
class AccountCard:
    id: int
    handle: str  # user@host, also for local accounts
    display_name: str  # falls back to the username
    profile_path: str  # /@user for local accounts, /@user@host for remote ones
    avatar_url: str | None  # local, cached or proxied URL; None: draw a placeholder
    local: bool


@dataclass(frozen=True)
class ImageCard:
    url: str  # full-size image to show
    preview_url: str  # a smaller one for grids
    width: int
    height: int
    blurhash: str | None
    alt: str
    webp_url: str | None = None  # a smaller encoding of `url`, when we made one
    # The sizes of `url` and `preview_url` as served (0: unknown), for srcset's w descriptors.
    display_width: int = 0
    preview_width: int = 0
    # Its content credentials (C2PA): verified, invalid or absent; None: not checked (a
    # remote image not cached yet). The page saying what they claim, for ours.
    credentials: str | None = None
    credentials_url: str | None = None

    @property
    def srcset(self) -> str:
        """`preview_url` and `url` with their widths: a browser picks the thumbnail for a
        grid cell or a phone at 1x, the full image for a wide slot or a dense screen."""
        return self._srcset(self.url)

    @property
    def webp_srcset(self) -> str:
        return self._srcset(self.webp_url) if self.webp_url else ""

    def _srcset(self, full: str) -> str:
        if not self.display_width or not self.preview_width \
                or self.preview_width >= self.display_width:
            return ""
        return f"{self.preview_url} {self.preview_width}w, {full} {self.display_width}w"


@dataclass(frozen=True)
class PostCard:
    id: int  # the status id (the boosted one for a boost)
    path: str  # the post page: /@user/ID (local) or /@user@host/ID (remote)
    uri: str
    url: str | None  # the post's own page on its server
    author: AccountCard
    content_html: str  # sanitized HTML (remote HTML goes through server.render.sanitize)
    spoiler_text: str
    sensitive: bool  # hide images until clicked
    visibility: str
    images: list[ImageCard]
    created_at: datetime
    edited_at: datetime | None
    replies_count: int
    favourites_count: int
    reblogs_count: int
    remixes_count: int
    prompt: str | None  # the published prompt, if any
    can_remix: bool
    in_reply_to_id: int | None
    remix_of_id: int | None
    # The viewer's own state (False when signed out).
    liked: bool = False
    boosted: bool = False
    own: bool = False  # the viewer wrote it: may edit and delete
    bookmarked: bool = False  # saved to the viewer's bookmarks (private, never federated)
    pinned: bool = False  # the viewer pinned it to their own profile
    boosted_by: AccountCard | None = None  # set when shown as a boost in a timeline
    timeline_id: int | None = None  # the timeline entry: page on with max_id
    filtered: tuple[str, ...] = field(default_factory=tuple)  # "warn" filters matched
    why: str | None = None  # Discover's "why you see this" line
    # FEP-044f (reading/quote_cards.py): the post it quotes, as a card, and the viewer's
    # "Quote" action on it (None: signed out).
    quote: QuoteCard | None = None
    # The post it remixes, as the same small card (None: not a remix, or its quote is the
    # remixed post, shown once as the quote).
    remix_parent: QuoteCard | None = None
    # How its images were made, as its author's software stated (None: not stated).
    generator: str | None = None
    model: str | None = None
    quote_offer: QuoteOffer | None = None
    # Interaction controls (reading/interaction_states.py): what the post's policy offers
    # the viewer, and the viewer's like or boost pending approval (None: all offered).
    interaction: InteractionStates | None = None

    @property
    def viewer_data(self) -> dict[str, object]:
        """What static/viewer.js shows of the post's images full screen (a JSON attribute):
        each image at its size with its alt text, the published prompt, how it was made."""
        made = self.generator or ""
        if self.model and self.model not in made:  # "Ourgen 1" made with model "ourgen"
            made = f"{made} · {self.model}" if made else self.model
        return {"path": self.path, "author": self.author.display_name,
                "prompt": self.prompt or "", "made": made,
                "images": [{"url": image.webp_url or image.url,
                            "srcset": image.webp_srcset or image.srcset,
                            "width": image.width, "height": image.height, "alt": image.alt}
                           for image in self.images]}


def account_card(config: Config, account: Account) -> AccountCard:
    domain = account.domain or config.instance.domain
    if account.is_local:
        profile_path = f"/@{account.username}"
        avatar = account.avatar_url
    else:
        profile_path = f"/@{account.username}@{account.domain}"
        # Remote avatars are served from here (cached or proxied), never from their host.
        avatar = account_media_url(config, account.id, "avatar") if account.avatar_url else None
    return AccountCard(id=account.id, handle=f"{account.username}@{domain}",
                       display_name=account.display_name or account.username,
                       profile_path=profile_path,
                       avatar_url=None if account.suspended_at else avatar,
                       local=account.is_local)


def _bounded_width(width: int, height: int, longest: int) -> int:
    """The width of a (width x height) image scaled to fit `longest` px, as the media
    pipeline scales its renditions (server/images/pipeline.py)."""
    if not width or not height:
        return 0
    return width if max(width, height) <= longest \
        else max(1, round(width * longest / max(width, height)))


def _local_image(config: Config, media: MediaAttachment) -> ImageCard:
    width, height = media.display_width, media.display_height
    return ImageCard(url=media_url(config, media, JPEG_FILE),
                     preview_url=media_url(config, media, THUMB_FILE),
                     width=width, height=height,
                     blurhash=media.blurhash or None, alt=media.description,
                     webp_url=media_url(config, media, WEBP_FILE), display_width=width,
                     preview_width=_bounded_width(width, height, THUMB_MAX),
                     credentials=media.credentials or ABSENT,
                     credentials_url=credentials_path(media))


def _remote_image(config: Config, media: RemoteMedia) -> ImageCard:
    # Our cached copy and its thumbnail are bounded renditions of the stated size.
    width, height = media.width or 0, media.height or 0
    cached = bool(media.cached_key and media.thumb_key)
    return ImageCard(url=remote_media_url(config, media, REMOTE_IMAGE),
                     preview_url=remote_media_url(config, media, REMOTE_THUMB),
                     width=width, height=height,
                     blurhash=media.blurhash, alt=media.description or "",
                     display_width=_bounded_width(width, height, DISPLAY_MAX) if cached else 0,
                     preview_width=_bounded_width(width, height, THUMB_MAX) if cached else 0,
                     credentials=media.credentials)


def _content_html(status: Status) -> str:
    # Local content is built by our own code from escaped parts; remote content was
    # sanitized when stored and is sanitized again here, so a row written by an older
    # version (or by hand) can never carry markup the allow-list refuses.
    return status.content if status.local else sanitize_html(status.content)


async def cards(services: Services, session: AsyncSession, status_ids: list[int], *,
                viewer_account_id: int | None) -> list[PostCard]:
    """Cards for the given posts, in the given order; missing or deleted ones are left out.
    Visibility is the caller's business (timelines and threads already screen)."""
    config = services.config
    posts = await queries.statuses_with_authors(session, status_ids)
    local_ids = [i for i, (status, _) in posts.items() if status.local]
    remote_ids = [i for i, (status, _) in posts.items() if not status.local]
    local_media = await queries.local_images(session, local_ids)
    remote_media = await queries.remote_images(session, remote_ids)
    liked: set[int] = set()
    boosted: set[int] = set()
    bookmarked: set[int] = set()
    pinned: set[int] = set()
    if viewer_account_id is not None and posts:
        liked = await queries.favourited_by(session, viewer_account_id, list(posts))
        boosted = await queries.boosted_by(session, viewer_account_id, list(posts))
        bookmarked = await bookmark_queries.bookmarked_among(session, viewer_account_id,
                                                             list(posts))
        own = [i for i, (_, author) in posts.items() if author.id == viewer_account_id]
        pinned = await pin_queries.pinned_among(session, viewer_account_id, own)
    result: list[PostCard] = []
    for status_id in status_ids:
        if status_id not in posts:
            continue
        status, author = posts[status_id]
        author_card = account_card(config, author)
        if status.local:
            images = [_local_image(config, m) for m in local_media.get(status.id, [])]
        else:
            images = [_remote_image(config, m) for m in remote_media.get(status.id, [])]
        result.append(PostCard(
            id=status.id, path=_post_path(author_card, status.id), uri=status.uri,
            url=status.url, author=author_card, content_html=_content_html(status),
            spoiler_text=status.spoiler_text, sensitive=status.sensitive,
            visibility=status.visibility, images=images, created_at=status.created_at,
            edited_at=status.edited_at, replies_count=status.replies_count,
            favourites_count=status.favourites_count, reblogs_count=status.reblogs_count,
            remixes_count=status.remixes_count, prompt=status.prompt,
            can_remix=status.can_remix and status.visibility in ("public", "unlisted"),
            in_reply_to_id=status.in_reply_to_id, remix_of_id=status.remix_of_id,
            generator=status.generator_name if images else None,
            model=status.model if images else None,
            liked=status.id in liked, boosted=status.id in boosted,
            bookmarked=status.id in bookmarked, pinned=status.id in pinned,
            own=viewer_account_id is not None and author.id == viewer_account_id))
    policies = await interaction_states.states(session, [s for s, _ in posts.values()],
                                               viewer_account_id)
    result = [dataclasses.replace(card, interaction=policies[card.id])
              if card.id in policies else card for card in result]
    return await _with_quotes(services, session, result, [s for s, _ in posts.values()],
                              viewer_account_id)


async def _with_quotes(services: Services, session: AsyncSession, made: list[PostCard],
                       statuses: list[Status], viewer_account_id: int | None
                       ) -> list[PostCard]:
    from server.services.reading import quote_cards

    quotes = await quote_cards.quote_cards(services, session, [c.id for c in made],
                                           viewer_account_id)
    offers = await quote_cards.offers(session, statuses, viewer_account_id)
    # A remix that quotes what it remixes shows that post once, as its quote.
    parents = {s.id: (s.remix_of_id, s.remix_of_uri) for s in statuses
               if (s.remix_of_id or s.remix_of_uri) and not (s.id in quotes and (
                   quotes[s.id].quoted_status_id in (s.remix_of_id, -1)
                   or quotes[s.id].quoted_url == s.remix_of_uri))}
    remixed = await quote_cards.remix_cards(services, session, parents, viewer_account_id) \
        if parents else {}
    return [dataclasses.replace(card, quote=quotes.get(card.id),
                                quote_offer=offers.get(card.id),
                                remix_parent=remixed.get(card.id),
                                content_html=_without_remix_line(card.content_html)
                                if card.id in remixed else card.content_html)
            if card.id in quotes or card.id in offers or card.id in remixed else card
            for card in made]


# The visible "Remix of <link>" line of a remix's content (server/services/statuses/
# content.py; other Dreamfeed servers write the same): the card shows the remixed post.
# (Mastodon-style links split the URL into spans: those may be inside the link.)
_REMIX_LINE = re.compile(r"<p>Remix of <a [^>]*>(?:[^<]|<span[^>]*>[^<]*</span>)*</a></p>")


def _without_remix_line(html: str) -> str:
    return _REMIX_LINE.sub("", html, count=1)


def _post_path(author: AccountCard, status_id: int) -> str:
    return f"{author.profile_path}/{status_id}"


async def timeline_cards(services: Services, session: AsyncSession,
                         items: Sequence[TimelineItem], *,
                         viewer_account_id: int | None) -> list[PostCard]:
    """Cards for timeline items, keeping what the timeline adds: who boosted it, the entry
    id to page on, and the viewer's "warn" filters it matched."""
    made = {card.id: card for card in await cards(
        services, session, [item.status_id for item in items],
        viewer_account_id=viewer_account_id)}
    boost_entries = [item.id for item in items if item.boosted_by is not None]
    boosters = await queries.boosters(session, boost_entries)
    result: list[PostCard] = []
    for item in items:
        card = made.get(item.status_id)
        if card is None:
            continue
        booster = boosters.get(item.id)
        result.append(dataclasses.replace(
            card, timeline_id=item.id, filtered=tuple(item.filtered),
            boosted_by=account_card(services.config, booster) if booster else None))
    return result
