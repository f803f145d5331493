"""What the web app's compose page needs around generation and posting: the choices the
image backend offers, the day's quota, a generation as the page's script polls it, and the
post a reply or remix starts from (checked against what the viewer may see)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.config import Config
from server.i18n import N_
from server.images.embedded import EmbeddedBackend, engine_styles
from server.render.sanitize import plain_text
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.remote_media import THUMB_FILE as REMOTE_THUMB
from server.services.federation.remote_media import remote_media_url
from server.services.generation.generate import (
    MAX_IMAGES,
    QUALITIES,
    DailyQuota,
    GenerationView,
    daily_quota,
)
from server.services.statuses import posts as post_service
from server.services.statuses import quotes
from server.services.statuses.media import THUMB_FILE, media_url
from server.services.statuses.remix import remix_source
from storage import accounts as account_queries
from storage import remote_media as remote_media_queries
from storage import statuses as status_queries
from storage import timelines as timeline_queries

# Sizes the OpenAI Images API and Dreamfeed's generator both accept.
# Labels are translated where the page shows them (server.i18n).
PRESET_SIZES = (("1024x1024", N_("Square")), ("1536x1024", N_("Landscape")),
                ("1024x1536", N_("Portrait")))
QUALITY_LABELS = {"auto": N_("Automatic"), "low": N_("Draft (fast)"), "medium": N_("Standard"),
                  "high": N_("Best (slow)")}
PROFILE_SIZES = {"avatar": "1024x1024", "header": "1536x1024"}
EXCERPT = 280


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class SizeChoice:
    """A size as the page draws it: a rectangle of its aspect ratio inside a 24-unit square
    (an SVG's viewBox: the page's CSP allows no inline styles), named in words."""

    value: str
    label: str  # "Square"
    detail: str  # "1024 by 1024", with the multiplication sign
    box: tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class ComposeOptions:
    sizes: tuple[SizeChoice, ...]

    qualities: tuple[Choice, ...]
    # Empty when the backend takes no `style` (anything but Dreamfeed's own generator).
    styles: tuple[str, ...]
    default_size: str
    default_quality: str
    max_images: int


def options(services: Services) -> ComposeOptions:
    config = services.config.generator
    sizes = [_size_choice(value, label) for value, label in PRESET_SIZES]
    if config.size not in {value for value, _ in PRESET_SIZES}:
        sizes.insert(0, _size_choice(config.size, N_("Automatic") if config.size == "auto"
                                     else N_("Default")))
    # Only our own generator is known to take a style: others may refuse the parameter.
    styles = engine_styles(config.engine) if isinstance(services.image_backend, EmbeddedBackend) \
        else ()
    return ComposeOptions(
        sizes=tuple(sizes), qualities=tuple(Choice(q, QUALITY_LABELS[q]) for q in QUALITIES),
        styles=styles, default_size=config.size, default_quality=config.quality,
        max_images=MAX_IMAGES)


ICON_SIDE, ICON_MARGIN = 24.0, 3.0


def size_ratio(size: str) -> tuple[int, int]:
    """WIDTHxHEIGHT as two numbers; "auto" (the service's choice) as a square."""
    width, _, height = size.partition("x")
    if width.isdigit() and height.isdigit() and int(width) and int(height):
        return int(width), int(height)
    return 1, 1


def _size_choice(value: str, label: str) -> SizeChoice:
    width, height = size_ratio(value)
    room = ICON_SIDE - 2 * ICON_MARGIN
    scale = room / max(width, height)
    w, h = round(width * scale, 2), round(height * scale, 2)
    detail = "chosen by the image service" if value == "auto" \
        else f"{width} \N{MULTIPLICATION SIGN} {height}"
    return SizeChoice(value=value, label=label, detail=detail,
                      box=((ICON_SIDE - w) / 2, (ICON_SIDE - h) / 2, w, h))


async def quota(services: Services, account_id: int) -> DailyQuota:
    """The generation service's own count, so the page never promises what it refuses."""
    return await daily_quota(services, account_id)


# What the page shows for each state of the job.
# Translated where the page shows them (server.i18n).
STATE_LABELS = {"queued": N_("Waiting for the image service"), "running": N_("Generating"),
                "done": N_("Done"), "failed": N_("Failed")}


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
            raise NotFound(N_("there is no such post, or you may not see it"))
        status = await status_queries.by_id(session, status_id)
        author = await account_queries.account_by_id(session, status.account_id) \
            if status is not None else None
        if status is None or author is None or status.reblog_of_id is not None:
            raise NotFound(N_("there is no such post, or you may not see it"))
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


def default_visibility(parent: ParentPost | None, chosen: str = "public") -> str:
    """The user's default (`chosen`, from their preferences); a reply is no more public than
    what it answers (the more private of the two, as Mastodon's web app picks)."""
    if parent is None or parent.visibility not in post_service.VISIBILITIES:
        return chosen
    # VISIBILITIES runs from the most public to the most private.
    return max(chosen, parent.visibility, key=post_service.VISIBILITIES.index)
