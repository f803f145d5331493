"""An image the pipeline processed -> its files in the media store and the values of its
media_attachments row. One path for every local image: generated (generation.generate) and
uploaded (statuses.uploads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.images.pipeline import ProcessedImage
from server.services.statuses.media import JPEG_FILE, THUMB_FILE, WEBP_FILE
from storage import media as media_queries
from storage.database import Database
from storage.media_files import MediaStore, original_key, rendition_key

# What an uploaded image's row says made it: we do not know (a camera, a drawing program, a
# model elsewhere), so no IPTC digital source type is claimed (the vocabulary has no
# "unknown") and its files carry no provenance packet.
UPLOAD_GENERATOR = "upload"
UNKNOWN_SOURCE_TYPE = ""


@dataclass(frozen=True)
class StoredFiles:
    media_id: int
    original: str
    jpeg: str
    webp: str
    thumb: str


async def store_files(store: MediaStore, image: ProcessedImage, media_id: int) -> StoredFiles:
    """Write the files under the id the attachment row will have (rendition keys embed it).
    The original is content-addressed: an identical one is stored once. Writing the same
    image twice under one id writes the same keys (rendition keys name their digest)."""
    original = original_key(image.sha256, image.original_extension)
    if not await store.exists(original):
        await store.put(original, image.original)
    keys = []
    for filename, rendered in ((JPEG_FILE, image.jpeg), (WEBP_FILE, image.webp),
                               (THUMB_FILE, image.thumb)):
        keys.append(rendition_key(media_id, rendered.sha256, filename))
        await store.put(keys[-1], rendered.data)
    return StoredFiles(media_id, original, *keys)


async def discard_files(db: Database, store: MediaStore, files: StoredFiles) -> None:
    """Files stored for an attachment that was not made after all (the client deleted the
    pending media meanwhile): its renditions, and its original unless an attachment uses it."""
    for key in (files.jpeg, files.webp, files.thumb):
        await store.delete(key)
    async with db.reader() as session:
        shared = await media_queries.original_in_use(session, files.original)
    if not shared:
        await store.delete(files.original)


def attachment_values(files: StoredFiles, image: ProcessedImage, *, account_id: int,
                      generation_id: int | None, generator: str, digital_source_type: str,
                      description: str = "",
                      focus: tuple[float, float] | None = None) -> dict[str, Any]:
    """The media_attachments row of a stored image (storage.media.add_attachment's values)."""
    return dict(
        id=files.media_id, account_id=account_id, generation_id=generation_id,
        sha256=image.sha256, original_key=files.original,
        original_type=image.original_mime, original_size=len(image.original),
        width=image.width, height=image.height,
        jpeg_key=files.jpeg, jpeg_size=len(image.jpeg.data),
        webp_key=files.webp, webp_size=len(image.webp.data),
        display_width=image.jpeg.width, display_height=image.jpeg.height,
        thumb_key=files.thumb, thumb_size=len(image.thumb.data),
        thumb_width=image.thumb.width, thumb_height=image.thumb.height,
        blurhash=image.blurhash, generator=generator[:255],
        digital_source_type=digital_source_type, description=description,
        focus_x=focus[0] if focus else None, focus_y=focus[1] if focus else None)
