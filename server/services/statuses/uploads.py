"""Images uploaded through the client API, and the media ids it hands out before their
attachments exist (Mastodon's POST /api/v2/media, GET/PUT/DELETE /api/v1/media/:id).

An upload is checked at once from its header (an image we read, within `[media] max_size` and
`max_pixels`: a bad file is refused in the request), stored raw under a temporary key, and
promised as a pending_media row whose id the client gets; a job (PROCESS_UPLOAD) runs it
through the same pipeline as a generated image (decoded under the decode slots, every piece of
its metadata dropped) and makes the attachment under that id, with the description and focus
set meanwhile, then deletes the pending row and the raw file. A failure leaves the row
"failed" with its reason, which the media's GET answers with (422).

An upload is not AI-generated as far as we know, and we know nothing else of how it was made:
its attachment has no generation, the generator "upload", no IPTC digital source type, and its
files carry no provenance packet (server.services.statuses.stored_media). `[media]
allow_uploads = false` refuses uploads: an instance where every image is generated here.

The images a client API generation promised are pending media too (kind "generation": see
server.services.generation.generate); the same GET, PUT and DELETE work on them.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

from server.i18n import N_
from server.images.pipeline import MediaError, identify, process_image
from server.jobs.queue import enqueue
from server.render.to_mastodon.parts import MediaParts
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.reading.entities import local_media_parts
from server.services.statuses.posts import MAX_ALT
from server.services.statuses.stored_media import (
    UNKNOWN_SOURCE_TYPE,
    UPLOAD_GENERATOR,
    StoredFiles,
    attachment_values,
    discard_files,
    store_files,
)
from storage import media as media_queries
from storage import pending_media as pending_queries
from storage.ids import new_id
from storage.media_files import MediaFileMissing
from storage.models import MediaAttachment, PendingMedia

log = logging.getLogger(__name__)

PROCESS_UPLOAD = "media.process_upload"
UPLOADS_DISABLED = N_("uploads are disabled on this instance; generate an image instead")
# Mastodon's answers (app/controllers/api/v1/media_controller.rb).
IN_USE = N_("Media attachment is currently used by a status")
# Runs of the job before an unexpected error fails the upload.
MAX_ATTEMPTS = 3
# A synchronous upload (POST /api/v1/media) processes in the request; its job, due later,
# is the backstop that finds the work done, or does it if the request died.
BACKSTOP_SECONDS = 60.0
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


class UploadsDisabled(InvalidInput):
    """`[media] allow_uploads` is off (422, as a refused upload)."""


@dataclass(frozen=True)
class MediaState:
    """A media id as the client API answers it: ready (its attachment, unposted),
    processing (url null: 206) or failed (`error`: 422)."""

    parts: MediaParts
    state: str  # "ready", "processing" or "failed"
    error: str | None = None

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def parse_focus(text: str | None) -> tuple[float, float] | None:
    """Mastodon's focus parameter, "x,y" with each in -1.0..1.0; None when absent."""
    if text is None or not text.strip():
        return None
    parts = text.split(",")
    try:
        x, y = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        x = y = math.nan
    if not (-1.0 <= x <= 1.0 and -1.0 <= y <= 1.0):
        raise InvalidInput(N_("focus must be two numbers from -1.0 to 1.0, as x,y"))
    return x, y


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > MAX_ALT:
        raise InvalidInput(N_("the description is limited to %(limit)s characters"), limit=MAX_ALT)
    return description


def check_allowed(services: Services) -> None:
    """Before reading the body: an instance without uploads refuses at once."""
    if not services.config.media.allow_uploads:
        raise UploadsDisabled(UPLOADS_DISABLED)


async def upload(services: Services, account_id: int, data: bytes, *,
                 description: str | None, focus: tuple[float, float] | None,
                 synchronous: bool = False) -> MediaState:
    """Accept an uploaded image: refused at once when it is not one we read or is too large
    (InvalidInput, 422), otherwise promised and processed by a job. `synchronous` (the v1
    endpoint) processes it before answering."""
    check_allowed(services)
    check_description(description)
    async with services.db.reader() as session:
        await ensure_not_suspended(session, account_id)
    try:
        # The header only: nothing is decoded in the request.
        mime = identify(data, services.image_limits)
    except MediaError as exc:
        raise InvalidInput(str(exc)) from None
    media_id = new_id()
    key = f"uploads/{media_id}.{EXTENSIONS.get(mime, 'bin')}"
    await services.media.put(key, data)
    try:
        async with services.db.writer.begin() as session:
            await pending_queries.add_pending(session, PendingMedia(
                id=media_id, account_id=account_id, kind=pending_queries.UPLOAD,
                upload_key=key, upload_type=mime, description=description or "",
                focus_x=focus[0] if focus else None, focus_y=focus[1] if focus else None,
                state=pending_queries.PROCESSING))
            await enqueue(session, PROCESS_UPLOAD, {"media_id": media_id},
                          dedupe_key=f"{PROCESS_UPLOAD}:{media_id}",
                          delay=BACKSTOP_SECONDS if synchronous else None)
    except BaseException:
        await services.media.delete(key)
        raise
    if synchronous:
        await process_upload(services, media_id)
    return await media_state(services, media_id, account_id)


async def process_upload(services: Services, media_id: int) -> None:
    """The job's work: the raw upload through the pipeline, into an attachment with the
    promised id. Safe to run twice, or after the client deleted the pending media."""
    async with services.db.reader() as session:
        pending = await pending_queries.pending_by_id(session, media_id)
    if pending is None or pending.kind != pending_queries.UPLOAD \
            or pending.state != pending_queries.PROCESSING or pending.upload_key is None:
        return
    key = pending.upload_key
    try:
        data = await services.media.read(key)
    except MediaFileMissing:
        await _fail(services, media_id, "The uploaded file is missing; upload it again.")
        return
    try:
        processed = await asyncio.to_thread(process_image, data, None, services.image_limits)
    except MediaError as exc:
        await _fail(services, media_id, f"The image cannot be used: {exc}")
        await services.media.delete(key)
        return
    files = await store_files(services.media, processed, media_id)
    async with services.db.writer.begin() as session:
        # Read again: the description and focus may have changed while it was processed,
        # and another run may have finished it, or the client deleted it.
        current = await pending_queries.pending_by_id(session, media_id, for_update=True)
        made = current is not None and current.state == pending_queries.PROCESSING
        if current is not None and made:
            await media_queries.add_attachment(session, **attachment_values(
                files, processed, account_id=current.account_id, generation_id=None,
                generator=UPLOAD_GENERATOR, digital_source_type=UNKNOWN_SOURCE_TYPE,
                description=current.description, focus=_focus(current)))
            await pending_queries.delete_pending(session, [media_id])
    if not made:
        await _discard_unless_made(services, files)
    await services.media.delete(key)


async def _discard_unless_made(services: Services, files: StoredFiles) -> None:
    async with services.db.reader() as session:
        exists = await media_queries.attachment_by_id(session, files.media_id) is not None
    if not exists:  # deleted while processing: nobody wants these files
        await discard_files(services.db, services.media, files)


async def upload_job(services: Services, media_id: int, attempt: int) -> None:
    """The job handler's body: an unexpected error is retried like any job's, and after
    MAX_ATTEMPTS runs the upload is failed rather than left processing."""
    try:
        await process_upload(services, media_id)
    except Exception as exc:
        if attempt < MAX_ATTEMPTS:
            raise
        log.exception("upload processing crashed; failing it", extra={"media_id": media_id})
        await _fail(services, media_id,
                    f"Dreamfeed failed while processing the image ({type(exc).__name__}).")


async def _fail(services: Services, media_id: int, error: str) -> None:
    async with services.db.writer.begin() as session:
        await pending_queries.mark_failed(session, [media_id], error)


def _focus(row: PendingMedia | MediaAttachment) -> tuple[float, float] | None:
    if row.focus_x is None or row.focus_y is None:
        return None
    return row.focus_x, row.focus_y


def pending_parts(row: PendingMedia) -> MediaParts:
    """A promised image before it exists: Mastodon's entity with url and preview_url null."""
    ai_generated = row.kind == pending_queries.GENERATION
    return MediaParts(id=row.id, url=None, preview_url=None, remote_url=None,
                      description=row.description or None, blurhash=None, width=None,
                      height=None, focus=_focus(row), ai_generated=ai_generated,
                      generator=None if ai_generated else UPLOAD_GENERATOR)


def _state(services: Services, media: MediaAttachment | None,
           pending: PendingMedia | None, account_id: int) -> MediaState:
    """Another account's media, and media already in a post, are not found (Mastodon finds
    them among `current_account.media_attachments.where(status_id: nil)`)."""
    if media is not None and media.account_id == account_id and media.status_id is None:
        return MediaState(local_media_parts(services.config, media), "ready")
    if media is None and pending is not None and pending.account_id == account_id:
        failed = pending.state == pending_queries.FAILED
        return MediaState(pending_parts(pending), "failed" if failed else "processing",
                          pending.error if failed else None)
    raise NotFound(N_("Record not found"))


async def media_state(services: Services, media_id: int, account_id: int) -> MediaState:
    async with services.db.reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
        pending = None if media else await pending_queries.pending_by_id(session, media_id)
    return _state(services, media, pending, account_id)


async def update_media(services: Services, media_id: int, account_id: int, *,
                       description: str | None,
                       focus: tuple[float, float] | None) -> MediaState:
    """Description and focal point of an unposted image, or of one still being made (its
    attachment takes them over)."""
    check_description(description)
    async with services.db.writer.begin() as session:
        media = await media_queries.attachment_by_id(session, media_id)
        if media is None:
            if await pending_queries.set_details(session, media_id, account_id,
                                                 description=description, focus=focus):
                pending = await pending_queries.pending_by_id(session, media_id)
                return _state(services, None, pending, account_id)
            # Made since (its pending row is gone), or never ours.
            media = await media_queries.attachment_by_id(session, media_id)
        state = _state(services, media, None, account_id)
        if media is not None:
            if description is not None:
                media.description = description
            if focus is not None:
                media.focus_x, media.focus_y = focus
            await session.flush()
            state = _state(services, media, None, account_id)
    return state


async def delete_media(services: Services, media_id: int, account_id: int) -> None:
    """An image of this account that is in no post (ready, processing or failed); one in a
    post is refused with Mastodon's 422."""
    keys: list[str] = []
    async with services.db.writer.begin() as session:
        media = await media_queries.attachment_by_id(session, media_id)
        if media is not None and media.account_id == account_id:
            if media.status_id is not None:
                raise InvalidInput(IN_USE)
            keys = await media_queries.remove_attachment(session, media)
        else:
            pending = None if media else await pending_queries.pending_by_id(session,
                                                                             media_id)
            if pending is None or pending.account_id != account_id:
                raise NotFound(N_("Record not found"))
            if pending.upload_key:
                keys.append(pending.upload_key)
            await pending_queries.delete_pending(session, [media_id])
    for key in keys:
        await services.media.delete(key)
