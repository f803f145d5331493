"""Stored media: public URLs, and finding the file behind /media/{id}/{filename}.

URLs are keyed by attachment id and a fixed filename per rendition, so they never change
once published (Mastodon matches attachments by URL when a post is updated).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from server.config import Config
from server.urls import Urls
from storage import media as media_queries
from storage.database import Database
from storage.media_files import MediaStore
from storage.models import MediaAttachment

JPEG_FILE, WEBP_FILE, THUMB_FILE = "image.jpg", "image.webp", "thumb.jpg"
# filename -> (MediaAttachment column with the storage key, Content-Type)
RENDITIONS = {
    JPEG_FILE: ("jpeg_key", "image/jpeg"),
    WEBP_FILE: ("webp_key", "image/webp"),
    THUMB_FILE: ("thumb_key", "image/jpeg"),
}


def media_url(config: Config, media_id: int, filename: str) -> str:
    if config.media.base_url:
        return f"{config.media.base_url.rstrip('/')}/{media_id}/{filename}"
    return Urls(config.base_url).media(media_id, filename)


@dataclass(frozen=True)
class MediaFile:
    key: str
    content_type: str
    # Strong validator: the key names its content (see storage.media_files).
    etag: str


def rendition(attachment: MediaAttachment, filename: str) -> MediaFile | None:
    if filename not in RENDITIONS:
        return None
    column, content_type = RENDITIONS[filename]
    key: str = getattr(attachment, column)
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    return MediaFile(key=key, content_type=content_type, etag=etag)


async def find_media_file(db: Database, media_id: int, filename: str) -> MediaFile | None:
    async with db.reader() as session:
        attachment = await media_queries.attachment_by_id(session, media_id)
    return None if attachment is None else rendition(attachment, filename)


async def read_media_file(store: MediaStore, file: MediaFile) -> bytes:
    """Raises storage.media_files.MediaFileMissing when the row outlived its file."""
    return await store.read(file.key)
