"""A post's page in the web app: the post, its thread, its remix chain, who liked and boosted
it, and its AI provenance; plus what the page's action buttons need (the viewer's reaction
state, an own post's editable fields).

Who may see a post is decided by the same rules as everywhere else: a local post goes through
visibility.status_for_viewer (the rules ActivityPub fetches follow, with the signed-in user as the
viewer) and then timelines.thread, which adds blocks, mutes and filters for the viewer; a
remote post (known here by its local id) through timelines.thread alone. A post the viewer may
not see is NotFound, exactly like a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.sanitize import plain_text
from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
from server.services.errors import Forbidden, Gone, NotFound
from server.services.reading import timelines
from server.services.reading.post_cards import (
    AccountCard,
    ImageCard,
    PostCard,
    account_card,
    cards,
    timeline_cards,
)
from server.services.statuses import visibility
from storage import accounts as account_queries
from storage import post_page as queries
from storage import statuses as status_queries
from storage.models import Account, Status

DESCRIPTION_LENGTH = 300


@dataclass(frozen=True)
class PostPage:
    post: PostCard
    local: bool
    original_url: str | None  # a remote post's page on its own server
    ancestors: list[PostCard]  # oldest first
    replies: list[PostCard]  # breadth-first
    remix_chain: list[PostCard]  # what it remixes first, then that one's source, ...
    remixes: list[PostCard]  # newest first
    liked_by: list[AccountCard]
    boosted_by: list[AccountCard]
    generator: str | None
    model: str | None
    seed: int | None
    description: str  # OpenGraph description, Mastodon's way (see _description)
    og_image: ImageCard | None  # None for sensitive posts (Mastodon: no sensitive previews)


def split_handle(handle: str, domain: str) -> tuple[str, str | None]:
    """`alice` or `alice@here` -> (alice, None); `bob@there` -> (bob, there)."""
    username, _, host = handle.lstrip("@").partition("@")
    if not host or host.lower() == domain.lower():
        return username, None
    return username, host.lower()


async def _remote_status(session: AsyncSession, username: str, host: str,
                         status_id: int) -> Status:
    status = await status_queries.by_id(session, status_id)
    author = await account_queries.account_by_id(session, status.account_id) \
        if status is not None else None
    if status is None or author is None or author.is_local or status.deleted_at is not None \
            or status.reblog_of_id is not None or (author.domain or "").lower() != host \
            or author.username.lower() != username.lower():
        raise NotFound(N_("no such post"))
    return status


def _web_link(url: str | None) -> str | None:
    """A remote address fit for an href: http(s) only (never javascript: or data:)."""
    return url if url and url.startswith(("https://", "http://")) else None


def _description(status: Status, images: int) -> str:
    """As Mastodon's StatusesHelper#status_description: "Attached: N images", the content
    warning if any, and the text only when there is no content warning."""
    summary = [f"Attached: {images} image{'s' if images != 1 else ''}"] if images else []
    if status.spoiler_text:
        summary.append(f"Content warning: {status.spoiler_text}")
    parts = [" · ".join(summary)]
    if not status.spoiler_text:
        parts.append(status.caption if status.local else plain_text(status.content))
    return "\n\n".join(p for p in parts if p)[:DESCRIPTION_LENGTH]


async def post_page(services: Services, handle: str, status_id: int,
                    viewer: SignedIn | None) -> PostPage:
    domain = services.config.instance.domain
    username, host = split_handle(handle, domain)
    if host is None:
        served = await visibility.status_for_viewer(
            services, username, status_id,
            services.urls.actor(viewer.username) if viewer else None)
        if served.gone:
            raise Gone(N_("this post was deleted"))
    else:
        async with services.db.reader() as session:
            await _remote_status(session, username, host, status_id)
    # Blocks, mutes and "thread" filters for the viewer; NotFound when it may not see it.
    thread = await timelines.thread(services, status_id, viewer.username if viewer else None)
    viewer_id = viewer.account_id if viewer else None
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, status_id)
        if status is None:
            raise NotFound(N_("no such post"))
        shown = {c.id: c for c in await timeline_cards(
            services, session, [thread.status, *thread.ancestors, *thread.descendants],
            viewer_account_id=viewer_id)}
        if status_id not in shown:
            raise NotFound(N_("no such post"))
        post = shown[status_id]
        ancestors = [shown[i.status_id] for i in thread.ancestors if i.status_id in shown]
        replies = [shown[i.status_id] for i in thread.descendants if i.status_id in shown]
        up = await queries.remix_parents(session, status)
        visible_up = await queries.shown(session, up, viewer_id)
        # The chain stops at the first post the viewer may not see.
        chain_ids: list[int] = []
        for parent_id in up:
            if parent_id not in visible_up:
                break
            chain_ids.append(parent_id)
        remix_ids = await queries.remixes(session, status.id, viewer_id)
        made = {c.id: c for c in await cards(services, session, chain_ids + remix_ids,
                                             viewer_account_id=viewer_id)}
        liked_by = [account_card(services.config, a)
                    for a in await queries.favouriters(session, status.id, viewer_id)]
        boosted_by = [account_card(services.config, a)
                      for a in await queries.boosters(session, status.id, viewer_id)]
    remix_chain = [made[i] for i in chain_ids if i in made]
    return PostPage(
        post=post, local=status.local,
        original_url=None if status.local else _web_link(status.url or status.uri),
        ancestors=ancestors, replies=replies, remix_chain=remix_chain,
        remixes=[made[i] for i in remix_ids if i in made],
        liked_by=liked_by, boosted_by=boosted_by,
        generator=status.generator_name, model=status.model, seed=status.seed,
        description=_description(status, len(post.images)),
        og_image=post.images[0] if post.images and not post.sensitive else None)


# --- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionState:
    liked: bool
    boosted: bool
    favourites_count: int
    reblogs_count: int
    author_id: int
    path: str  # the post's page
    handle: str  # its author as the page's address names them: alice, or bob@host


async def _viewer_account(session: AsyncSession, viewer: SignedIn) -> Account:
    account = await account_queries.account_by_id(session, viewer.account_id)
    if account is None:
        raise NotFound(N_("no such account"))
    return account


async def action_state(services: Services, status_id: int,
                       viewer: SignedIn) -> ActionState:
    """The post's counts and what the viewer did to it; NotFound when the viewer may not see
    it (so nobody can like what they cannot see)."""
    async with services.db.reader() as session:
        await _viewer_account(session, viewer)
        status = await status_queries.by_id(session, status_id)
        if status is None or not await queries.shown(session, [status_id], viewer.account_id):
            raise NotFound(N_("no such post"))
        author = await account_queries.account_by_id(session, status.account_id)
        if author is None:
            raise NotFound(N_("no such post"))
        liked, boosted = await queries.viewer_actions(session, status_id, viewer.account_id)
        profile_path = account_card(services.config, author).profile_path
        return ActionState(liked, boosted, status.favourites_count, status.reblogs_count,
                           status.account_id, f"{profile_path}/{status.id}",
                           profile_path.removeprefix("/@"))


@dataclass(frozen=True)
class EditableImage:
    preview_url: str
    alt: str


@dataclass(frozen=True)
class EditablePost:
    id: int
    path: str
    caption: str
    spoiler_text: str
    sensitive: bool
    images: list[EditableImage]


async def editable(services: Services, status_id: int, viewer: SignedIn) -> EditablePost:
    """An own post's editable fields; Forbidden for someone else's post the viewer sees."""
    async with services.db.reader() as session:
        status = await status_queries.by_id(session, status_id)
        if status is None or status.deleted_at is not None or status.reblog_of_id is not None \
                or not await queries.shown(session, [status_id], viewer.account_id):
            raise NotFound(N_("no such post"))
        if status.account_id != viewer.account_id or not status.local:
            raise Forbidden(N_("you can only edit your own posts"))
        [card] = await cards(services, session, [status_id], viewer_account_id=viewer.account_id)
    return EditablePost(id=status.id, path=card.path, caption=status.caption,
                        spoiler_text=status.spoiler_text, sensitive=status.sensitive,
                        images=[EditableImage(i.preview_url, i.alt) for i in card.images])


async def ensure_own(services: Services, status_id: int, viewer: SignedIn) -> None:
    """NotFound unless the viewer sees the post; Forbidden unless it wrote it."""
    state = await action_state(services, status_id, viewer)
    if state.author_id != viewer.account_id:
        raise Forbidden(N_("you can only change your own posts"))
