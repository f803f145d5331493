"""What the web app's compose page needs around generation and posting: the choices the
image backend offers, the day's quota, a generation as the page's script polls it, and the
post a reply or remix starts from (checked against what the viewer may see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.config import Config
from server.images.embedded import EmbeddedBackend, engine_styles
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.remote_media import THUMB_FILE as REMOTE_THUMB
from server.services.federation.remote_media import remote_media_url
from server.services.generation.generate import MAX_IMAGES, QUALITIES, GenerationView
from server.services.statuses import posts as post_service
from server.services.statuses import quotes
from server.services.statuses.media import THUMB_FILE, media_url
from server.services.statuses.remix import remix_source
from storage import accounts as account_queries
from storage import generations as gen_queries
from storage import remote_media as remote_media_queries
from storage import statuses as status_queries
from storage import timelines as timeline_queries
from storage.types import utcnow

# Sizes the OpenAI Images API and Dreamfeed's generator both accept.
PRESET_SIZES = (("1024x1024", "Square"), ("1536x1024", "Landscape"),
                ("1024x1536", "Portrait"))
QUALITY_LABELS = {"auto": "Automatic", "low": "Draft (fast)", "medium": "Standard",
                  "high": "Best (slow)"}
PROFILE_SIZES = {"avatar": "1024x1024", "header": "1536x1024"}
EXCERPT = 280


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ComposeOptions:
    sizes: tuple[Choice, ...]
    qualities: tuple[Choice, ...]
    # Empty when the backend takes no `style` (anything but Dreamfeed's own generator).
    styles: tuple[str, ...]
    default_size: str
    default_quality: str
    max_images: int


def options(services: Services) -> ComposeOptions:
    config = services.config.generator
    sizes = [Choice(value, f"{label} ({value})") for value, label in PRESET_SIZES]
    if config.size not in {value for value, _ in PRESET_SIZES}:
        sizes.insert(0, Choice(config.size, f"Default ({config.size})"))
    # Only our own generator is known to take a style: others may refuse the parameter.
    styles = engine_styles(config.engine) if isinstance(services.image_backend, EmbeddedBackend) \
        else ()
    return ComposeOptions(
        sizes=tuple(sizes), qualities=tuple(Choice(q, QUALITY_LABELS[q]) for q in QUALITIES),
        styles=styles, default_size=config.size, default_quality=config.quality,
        max_images=MAX_IMAGES)


@dataclass(frozen=True)
class Quota:
    used: int
    limit: int  # 0: no limit

    @property
    def left(self) -> int | None:
        return None if self.limit == 0 else max(self.limit - self.used, 0)


async def quota(services: Services, account_id: int) -> Quota:
    async with services.db.reader() as session:
        used = await gen_queries.quota_used(session, account_id, utcnow().date())
    return Quota(used=used, limit=services.config.generator.daily_limit)


# What the page shows for each state of the job.
STATE_LABELS = {"queued": "Waiting for the image service", "running": "Generating",
                "done": "Done", "failed": "Failed"}


def generation_json(view: GenerationView) -> dict[str, Any]:
    """A generation for the polling script. Ids are strings: they exceed a JS number."""
    return {
        "id": str(view.id), "state": view.state, "label": STATE_LABELS.get(view.state, ""),
        # A queued generation with a message is being retried after a temporary failure.
        "error": view.error, "error_code": view.error_code, "n": view.n,
        "images": [{"id": str(m.id), "preview_url": m.preview_url, "url": m.webp_url,
                    "width": m.width, "height": m.height, "blurhash": m.blurhash}
                   for m in view.media],
    }


@dataclass(frozen=True)
class ParentPost:
    """The post a reply answers or a remix starts from, as a small card."""

    id: int
    path: str
    handle: str
    display_name: str
    text: str
    spoiler_text: str
    preview_url: str | None  # its first image (None behind a content warning)
    preview_alt: str
    visibility: str


def _handle(username: str, domain: str | None, config: Config) -> str:
    return f"{username}@{domain or config.instance.domain}"


async def parent_post(services: Services, status_id: int, viewer_account_id: int) -> ParentPost:
    """A post the viewer may see; NotFound otherwise (existence does not leak)."""
    config = services.config
    async with services.db.reader() as session:
        if not await timeline_queries.visible(session, [status_id], viewer_account_id):
            raise NotFound("there is no such post, or you may not see it")
        status = await status_queries.by_id(session, status_id)
        author = await account_queries.account_by_id(session, status.account_id) \
            if status is not None else None
        if status is None or author is None or status.reblog_of_id is not None:
            raise NotFound("there is no such post, or you may not see it")
        preview: tuple[str, str] | None = None
        if status.local:
            local = await status_queries.attachments(session, status.id)
            if local:
                preview = (media_url(config, local[0], THUMB_FILE), local[0].description)
        else:
            remote = await remote_media_queries.media_of_status(session, status.id)
            if remote:
                preview = (remote_media_url(config, remote[0], REMOTE_THUMB),
                           remote[0].description or "")
    path = f"/@{author.username}/{status.id}" if author.is_local \
        else f"/@{author.username}@{author.domain}/{status.id}"
    hidden = status.sensitive or bool(status.spoiler_text)
    # Our own posts' content ends with the AI label: their caption says what they say.
    text = " ".join(status.caption.split()) if status.local else plain_text(status.content)
    return ParentPost(
        id=status.id, path=path, handle=_handle(author.username, author.domain, config),
        display_name=author.display_name or author.username,
        text=text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…",
        spoiler_text=status.spoiler_text,
        preview_url=None if hidden or preview is None else preview[0],
        preview_alt=preview[1] if preview else "", visibility=status.visibility)


@dataclass(frozen=True)
class Remix:
    parent: ParentPost
    prompt: str  # the parent's published prompt, or ""
    media_id: int | None  # its first image, when remixing from the image is possible


async def remix(services: Services, status_id: int, viewer_account_id: int) -> Remix:
    """What a remix starts from. NotFound when the viewer may not see the post, Conflict
    when its author does not allow remixes, Forbidden when a remote post's quote policy
    does not let the viewer (its server sees the remix as a quote)."""
    parent = await parent_post(services, status_id, viewer_account_id)
    await quotes.check_remix(services, status_id, viewer_account_id)
    source = await remix_source(services, str(status_id))
    return Remix(parent=parent, prompt=source.prompt or "", media_id=source.media_id)


def default_visibility(parent: ParentPost | None) -> str:
    """A reply is no more public than what it answers (as Mastodon's clients default)."""
    if parent is None or parent.visibility not in post_service.VISIBILITIES:
        return "public"
    return parent.visibility
