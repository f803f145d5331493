"""Image generation, the use-case: request (quota, idempotency key) -> job -> stored media.

A generation is queued, then running, then done (with its media) or failed (with a message
for the user). A client API request promises its images up front (`promise_media`): one
pending_media row per image, whose id the image's attachment takes when it is made, so that
clients can poll GET /api/v1/media/:id and set alt text meanwhile; failing marks them failed.
Each user has `[generator] daily_limit` images per UTC day, counted when asked for; a failure
that is not the user's doing gives them back, a refusal by the model's moderation does not.
The prompt stays private: nothing here publishes it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server import metrics
from server.config import Config
from server.i18n import N_
from server.images.backend import BackendError, GeneratedImage, ImageRequest
from server.images.pipeline import MediaError, ProcessedImage, process_image
from server.images.provenance import Provenance
from server.jobs.queue import RetryAfter, enqueue
from server.ratelimit import RateLimiter
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from server.services.generation.prompt_moderation import screen_prompt
from server.services.media import credentials
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.statuses.media import JPEG_FILE, THUMB_FILE, WEBP_FILE, media_url
from server.services.statuses.stored_media import (
    StoredFiles,
    attachment_values,
    discard_files,
    store_files,
)
from server.services.streaming.events import StreamEvent
from server.services.streaming.publish import queue_event
from storage import generations as gen_queries
from storage import media as media_queries
from storage import pending_media as pending_queries
from storage.generations import DONE, FAILED, QUEUED, RUNNING
from storage.ids import new_id
from storage.media_files import MediaFileMissing
from storage.models import Generation, MediaAttachment, PendingMedia, Status
from storage.types import utcnow

log = logging.getLogger(__name__)

GENERATE = "generate_images"
MAX_PROMPT_LENGTH = 4000
MAX_IMAGES = 4  # Mastodon shows only the first four attachments of a post
QUALITIES = ("auto", "low", "medium", "high")
# Runs of the job before a retryable failure (timeout, busy service) becomes final.
MAX_ATTEMPTS = 3
# Failures that are the user's doing keep their quota; everything else is given back.
USER_FAULTS = frozenset({"refused"})
_SIZE_RE = re.compile(r"(\d{2,4})x(\d{2,4})")
_STYLE_RE = re.compile(r"[a-z0-9_-]{1,32}")


class QuotaExceeded(ServiceError):
    pass


@dataclass(frozen=True)
class DailyQuota:
    """Images a user may still ask for today: what request_generation enforces."""

    used: int
    limit: int  # 0: no limit
    resets_at: datetime  # the next midnight UTC

    @property
    def left(self) -> int | None:
        return None if self.limit == 0 else max(self.limit - self.used, 0)


async def daily_quota(services: Services, account_id: int) -> DailyQuota:
    """Today's count (UTC day, refusals included, failures not ours given back)."""
    now = utcnow()
    async with services.db.reader() as session:
        used = await gen_queries.quota_used(session, account_id, now.date())
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return DailyQuota(used=used, limit=services.config.generator.daily_limit,
                      resets_at=midnight)


@dataclass(frozen=True)
class MediaView:
    id: int
    url: str  # the JPEG: what federates
    webp_url: str
    preview_url: str
    width: int
    height: int
    blurhash: str
    description: str
    generator: str
    digital_source_type: str
    posted: bool  # in a post already (else a draft: the compose page offers it to post)


@dataclass(frozen=True)
class GenerationView:
    id: int
    account_id: int
    state: str
    prompt: str
    size: str
    quality: str
    style: str | None
    seed: int | None
    n: int
    error: str | None
    error_code: str | None
    created_at: datetime
    finished_at: datetime | None
    media: tuple[MediaView, ...]


# How far a remix moves from its source unless asked otherwise (the compose page's default).
REMIX_STRENGTH = 0.6


@dataclass(frozen=True)
class _Ask:
    prompt: str
    size: str
    quality: str
    style: str | None
    seed: int | None
    n: int
    source_media_id: int | None
    strength: float | None = None


def _validate(config: Config, prompt: str, size: str | None, quality: str | None,
              style: str | None, seed: int | None, n: int,
              source_media_id: int | None, strength: float | None = None) -> _Ask:
    prompt = prompt.strip()
    if not prompt:
        raise InvalidInput(N_("the prompt is empty: describe the image you want"))
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise InvalidInput(N_("the prompt is %(length)s characters; at most %(limit)s are "
                              "allowed"), length=len(prompt), limit=MAX_PROMPT_LENGTH)
    size = size or config.generator.size
    match = _SIZE_RE.fullmatch(size)
    if size != "auto" and not (match and all(64 <= int(s) <= 4096 for s in match.groups())):
        raise InvalidInput(N_("size must be WIDTHxHEIGHT (64 to 4096 each) or auto, not "
                              "%(size)r"), size=size)
    quality = quality or config.generator.quality
    if quality not in QUALITIES:
        raise InvalidInput(N_("quality must be one of %(qualities)s, not %(quality)r"),
                           qualities=", ".join(QUALITIES), quality=quality)
    if style is not None and not _STYLE_RE.fullmatch(style):
        raise InvalidInput(N_("style must be 1 to 32 of a-z, 0-9, _ and -, not %(style)r"),
                           style=style)
    if seed is not None and not 0 <= seed < 2 ** 32:
        raise InvalidInput(N_("seed must be between 0 and 4294967295"))
    if not 1 <= n <= MAX_IMAGES:
        raise InvalidInput(N_("n must be between 1 and %(limit)s"), limit=MAX_IMAGES)
    if strength is not None and not 0.0 < strength <= 1.0:
        raise InvalidInput(N_("strength must be above 0 and at most 1"))
    # Only a remix has a source to stay close to.
    return _Ask(prompt, size, quality, style, seed, n, source_media_id,
                strength if source_media_id is not None else None)


async def request_generation(services: Services, account_id: int, prompt: str, *,
                             size: str | None = None, quality: str | None = None,
                             style: str | None = None, seed: int | None = None, n: int = 1,
                             source_media_id: int | None = None,
                             strength: float | None = None,
                             idempotency_key: str | None = None,
                             job_delay: float | None = None,
                             limiter: RateLimiter | None = None,
                             promise_media: bool = False) -> GenerationView:
    """Queue a generation for a local account. With `idempotency_key`, asking again (a double
    click, a retried request) returns the first generation and costs nothing.

    `job_delay` holds the job back: a caller that runs the generation itself (the CLI) leaves
    the job as a backstop that finds the work done, or does it if that caller died.

    `limiter` (the app's, from Services.limiter) counts requests per account: raises
    RateLimited over `[ratelimits] generation`.

    `promise_media` (the client API): the n images' ids are allocated now, as pending media
    in the same transaction (kind "generation", position i)."""
    ask = _validate(services.config, prompt, size, quality, style, seed, n, source_media_id,
                    strength)
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
        raise InvalidInput(N_("the Idempotency-Key must be 1 to 255 characters"))
    if limiter is not None:
        await limiter.hit("generation", str(account_id))
    async with services.db.reader() as session:
        await ensure_not_suspended(session, account_id)
    # Disabled users, blocked terms, OpenAI moderation: refused before anything is queued.
    await screen_prompt(services.config, services.db, account_id, ask.prompt, ask.n)
    limit = services.config.generator.daily_limit
    now = utcnow()
    async with services.db.writer.begin() as session:
        if source_media_id is not None:
            source = await media_queries.attachment_by_id(session, source_media_id)
            if source is None or not await _may_remix(session, source, account_id):
                raise NotFound(N_("there is no such image you may remix"))
        generation_id = await gen_queries.insert_generation(
            session, account_id=account_id, prompt=ask.prompt, model=services.backend.model,
            size=ask.size, quality=ask.quality, style=ask.style, seed=ask.seed, n=ask.n,
            source_media_id=ask.source_media_id, strength=ask.strength,
            idempotency_key=idempotency_key,
            created_at=now)
        if generation_id is None:
            assert idempotency_key is not None  # only a repeated key conflicts
            existing = await gen_queries.generation_by_key(session, account_id, idempotency_key)
            assert existing is not None
            if not _same_request(existing, ask):
                raise Conflict(N_("this Idempotency-Key was already used for a different "
                                  "request"))
            generation_id = existing.id
        else:
            if not await gen_queries.reserve_quota(session, account_id, now.date(), ask.n,
                                                   limit):
                used = await gen_queries.quota_used(session, account_id, now.date())
                raise QuotaExceeded(
                    N_("daily image limit reached: %(used)s of %(limit)s used today (UTC), "
                       "%(asked)s more asked for; it resets at midnight UTC"),
                    used=used, limit=limit, asked=ask.n)
            if promise_media:
                for position in range(ask.n):
                    await pending_queries.add_pending(session, PendingMedia(
                        id=new_id(), account_id=account_id, kind=pending_queries.GENERATION,
                        generation_id=generation_id, position=position, description="",
                        state=pending_queries.PROCESSING, created_at=now))
            await enqueue(session, GENERATE, {"generation_id": generation_id},
                          dedupe_key=f"generation:{generation_id}",
                          delay=None if job_delay is None else timedelta(seconds=job_delay))
            queue_event(session, _state_event(generation_id, account_id, QUEUED))
    return await get_generation(services, generation_id)


async def _may_remix(session: AsyncSession, source: MediaAttachment, account_id: int) -> bool:
    """Your own images, or one in a public post whose author allows remixes."""
    if source.account_id == account_id:
        return True
    if source.status_id is None:
        return False
    status = await session.get(Status, source.status_id)
    return status is not None and status.deleted_at is None and status.can_remix \
        and status.visibility in ("public", "unlisted")


def _same_request(existing: Generation, ask: _Ask) -> bool:
    return (existing.prompt, existing.size, existing.quality, existing.n,
            existing.source_media_id) == (ask.prompt, ask.size, ask.quality, ask.n,
                                          ask.source_media_id) \
        and (ask.style is None or ask.style == existing.style) \
        and (ask.seed is None or ask.seed == existing.seed)


async def get_generation(services: Services, generation_id: int, *,
                         account_id: int | None = None) -> GenerationView:
    """A generation and its media; NotFound for someone else's when `account_id` is given."""
    async with services.db.reader() as session:
        generation = await gen_queries.get_generation(session, generation_id)
        if generation is None or (account_id is not None
                                  and generation.account_id != account_id):
            raise NotFound(N_("there is no such generation"))
        media = await media_queries.attachments_for_generation(session, generation_id)
    return GenerationView(
        id=generation.id, account_id=generation.account_id, state=generation.state,
        prompt=generation.prompt, size=generation.size, quality=generation.quality,
        style=generation.style, seed=generation.seed, n=generation.n, error=generation.error,
        error_code=generation.error_code, created_at=generation.created_at,
        finished_at=generation.finished_at,
        media=tuple(_media_view(services.config, m) for m in media))


def _media_view(config: Config, m: MediaAttachment) -> MediaView:
    return MediaView(id=m.id, url=media_url(config, m, JPEG_FILE),
                     webp_url=media_url(config, m, WEBP_FILE),
                     preview_url=media_url(config, m, THUMB_FILE), width=m.display_width,
                     height=m.display_height, blurhash=m.blurhash, description=m.description,
                     generator=m.generator, digital_source_type=m.digital_source_type,
                     posted=m.status_id is not None)


async def run_generation(services: Services, generation_id: int) -> None:
    """The job: ask the backend, run the pipeline, store the files and the attachments.
    Idempotent: a finished generation is left alone."""
    async with services.db.writer.begin() as session:
        generation = await gen_queries.mark_running(session, generation_id)
        if generation is None:
            return
        queue_event(session, _state_event(generation.id, generation.account_id, RUNNING))
        attempt = generation.attempts
    try:
        made = await _call_backend(services, generation)
    except BackendError as exc:
        if exc.retryable and attempt < MAX_ATTEMPTS:
            await _set_state(services, generation, QUEUED, exc.code, f"{exc.message} Retrying.")
            raise RetryAfter(exc.retry_after or 0.0, exc.message) from exc
        await _fail(services, generation, exc.code, exc.message)
        return
    except MediaError as exc:
        await _fail(services, generation, "invalid", f"The image to remix is unusable: {exc}")
        return
    try:
        processed = [await asyncio.to_thread(process_image, image.data, _provenance(image),
                                             services.image_limits) for image in made]
    except MediaError as exc:
        await _fail(services, generation, "bad_response",
                    f"The image service returned an unusable image: {exc}")
        return
    # Every image made here leaves signed (C2PA); a remix names the image it was made from.
    parent = await credentials.parent_of(services, generation.source_media_id)
    try:
        processed = [await credentials.sign_processed(services, image, _provenance(source),
                                                      parent)
                     for image, source in zip(processed, made, strict=True)]
    except credentials.CredentialsError as exc:
        log.error("content credentials failed: %s", exc)
        await _fail(services, generation, "internal",
                    "Dreamfeed could not sign the image's content credentials.")
        return
    async with services.db.reader() as session:
        promised = await pending_queries.pending_of_generation(session, generation.id)
    # Image i takes the id promised for position i; images nobody was promised, new ids.
    ids = {row.position: row.id for row in promised}
    stored = [await store_files(services.media, image, ids.get(i) or new_id())
              for i, image in enumerate(processed)]
    # Read back as any verifier would, before the transaction: the post page shows it.
    verdicts = [await credentials.verdict(image.jpeg.data, image.jpeg.mime)
                for image in processed]
    dropped = await _add_attachments(services, generation, made, processed, stored,
                                     {row.id for row in promised}, verdicts)
    for files in dropped:
        await discard_files(services.db, services.media, files)


async def _add_attachments(services: Services, generation: Generation,
                           made: list[GeneratedImage], processed: list[ProcessedImage],
                           stored: list[StoredFiles], promised: set[int],
                           verdicts: list[str]) -> list[StoredFiles]:
    """The attachments, and the generation done, in one transaction; returns the files of
    promised images whose pending row the client deleted meanwhile (nobody wants them)."""
    dropped: list[StoredFiles] = []
    async with services.db.writer.begin() as session:
        # Read again: alt text and focus set while the images were being made count.
        pending = {row.id: row for row in await pending_queries.pending_of_generation(
            session, generation.id, for_update=True)}
        for files, image, source, verdict in zip(stored, processed, made, verdicts,
                                                 strict=True):
            details = pending.get(files.media_id)
            if files.media_id in promised and details is None:
                dropped.append(files)
                continue
            await media_queries.add_attachment(session, **attachment_values(
                files, image, account_id=generation.account_id, generation_id=generation.id,
                generator=source.generator, digital_source_type=source.digital_source_type,
                description=details.description if details else "", focus=_focus(details)),
                credentials=verdict)
        made_ids = {files.media_id for files in stored}
        await pending_queries.delete_pending(session, sorted(made_ids & set(pending)))
        # The service made fewer images than asked for: those promised are not coming.
        await pending_queries.mark_failed(
            session, sorted(set(pending) - made_ids),
            "The image service returned fewer images than asked for.")
        await gen_queries.finish_generation(session, generation.id, state=DONE,
                                            style=made[0].style, seed=made[0].seed,
                                            model=made[0].model or None)
        queue_event(session, _state_event(generation.id, generation.account_id, DONE))
    return dropped


def _state_event(generation_id: int, account_id: int, state: str) -> StreamEvent:
    """The compose page follows its generation with these (dreamfeed.generation)."""
    return StreamEvent("dreamfeed.generation", generation_id=generation_id,
                       account_id=account_id, state=state)


def _focus(pending: PendingMedia | None) -> tuple[float, float] | None:
    if pending is None or pending.focus_x is None or pending.focus_y is None:
        return None
    return pending.focus_x, pending.focus_y


def backend_label(config: Config) -> str:
    """Which image service, for /metrics: Dreamfeed's own generator in this process, OpenAI,
    or another OpenAI-compatible service at [generator] base_url."""
    if config.generator.embedded:
        return "embedded"
    return "openai" if not config.generator.base_url else "remote"


async def _call_backend(services: Services, generation: Generation) -> list[GeneratedImage]:
    # Counted and timed by outcome (ok, or BackendError's code) for /metrics.
    with metrics.timed_generation(backend_label(services.config)):
        return await _ask_backend(services, generation)


async def _ask_backend(services: Services, generation: Generation) -> list[GeneratedImage]:
    request = ImageRequest(prompt=generation.prompt, size=generation.size,
                           quality=generation.quality, n=generation.n, style=generation.style,
                           seed=generation.seed, strength=generation.strength)
    if generation.source_media_id is None:
        return await services.backend.generate(request)
    async with services.db.reader() as session:
        source = await media_queries.attachment_by_id(session, generation.source_media_id)
    if source is None:
        raise MediaError("it was deleted")
    try:
        data = await services.media.read(source.original_key)
    except MediaFileMissing:
        raise MediaError("its file is missing") from None
    name = f"source.{source.original_key.rsplit('.', 1)[-1]}"
    return await services.backend.edit(request, [(name, data, source.original_type)])


def _provenance(image: GeneratedImage) -> Provenance:
    # The prompt is private until its author publishes it, so it is never written here.
    return Provenance(digital_source_type=image.digital_source_type,
                      generator=image.generator, software=credentials.software_name())


async def _set_state(services: Services, generation: Generation, state: str,
                     code: str | None, message: str | None) -> None:
    async with services.db.writer.begin() as session:
        await gen_queries.finish_generation(session, generation.id, state=state,
                                            error=message, error_code=code)
        queue_event(session, _state_event(generation.id, generation.account_id, state))


async def _fail(services: Services, generation: Generation, code: str,
                message: str) -> None:
    log.warning("generation failed", extra={"generation_id": generation.id,
                                            "error_code": code, "error": message})
    async with services.db.writer.begin() as session:
        await gen_queries.finish_generation(session, generation.id, state=FAILED,
                                            error=message, error_code=code)
        queue_event(session, _state_event(generation.id, generation.account_id, FAILED))
        promised = await pending_queries.pending_of_generation(session, generation.id)
        await pending_queries.mark_failed(session, [row.id for row in promised], message)
        if code not in USER_FAULTS:
            await gen_queries.refund_quota(session, generation.account_id,
                                           generation.created_at.date(), generation.n)


async def generation_job(services: Services, generation_id: int, attempt: int) -> None:
    """The job handler's body. An unexpected error is retried by the queue like any job's,
    but after MAX_ATTEMPTS runs the generation is failed rather than left 'running'."""
    try:
        await run_generation(services, generation_id)
    except RetryAfter:
        raise
    except Exception as exc:
        if attempt < MAX_ATTEMPTS:
            raise
        log.exception("generation crashed; failing it", extra={"generation_id": generation_id})
        await _fail_after_crash(services, generation_id, type(exc).__name__)


async def _fail_after_crash(services: Services, generation_id: int, error: str) -> None:
    async with services.db.reader() as session:
        generation = await gen_queries.get_generation(session, generation_id)
    if generation is not None and generation.state not in (DONE, FAILED):
        await _fail(services, generation, "internal",
                    f"Dreamfeed failed while making the image ({error}).")
