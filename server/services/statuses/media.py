"""Stored media: public URLs, and finding the file behind /media/{id}/{secret}/{filename}.

URLs are keyed by attachment id, its random secret and a fixed filename per rendition, so
they never change once published (Mastodon matches attachments by URL when a post is
updated). The secret keeps an image private until its URL is shared: ids are time-based, and
followers-only posts and unposted generations have images too. Rows from before secrets
(url_secret NULL) keep their /media/{id}/{filename} URLs.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from server.config import Config
from server.urls import Urls, media_path
from storage import media as media_queries
from storage import statuses as status_queries
from storage.database import Database
from storage.media_files import MediaFileMissing, MediaStore, OpenedFile
from storage.models import MediaAttachment

JPEG_FILE, WEBP_FILE, THUMB_FILE = "image.jpg", "image.webp", "thumb.jpg"
# filename -> (MediaAttachment column with the storage key, Content-Type)
RENDITIONS = {
    JPEG_FILE: ("jpeg_key", "image/jpeg"),
    WEBP_FILE: ("webp_key", "image/webp"),
    THUMB_FILE: ("thumb_key", "image/jpeg"),
}


def media_url(config: Config, media: MediaAttachment, filename: str) -> str:
    if config.media.base_url:
        return (f"{config.media.base_url.rstrip('/')}/"
                f"{media_path(media.id, media.url_secret, filename)}")
    return Urls(config.base_url).media(media.id, media.url_secret, filename)


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


async def find_media_file(db: Database, media_id: int, secret: str | None,
                          filename: str) -> MediaFile | None:
    """The file behind a media URL, or None: `secret` must be the attachment's (None only
    for the rows from before secrets)."""
    async with db.reader() as session:
        attachment = await media_queries.attachment_by_id(session, media_id)
        if attachment is None or not _secret_matches(attachment.url_secret, secret):
            return None
        # A deleted post's images are gone at once (their rows and files go in a job).
        if attachment.status_id is not None \
                and await status_queries.is_deleted(session, attachment.status_id):
            return None
    return rendition(attachment, filename)


def _secret_matches(expected: str | None, given: str | None) -> bool:
    if expected is None or given is None:
        return expected is None and given is None
    return hmac.compare_digest(expected.encode(), given.encode())


async def open_media_file(store: MediaStore, file: MediaFile) -> OpenedFile | None:
    """The file, opened to be streamed; None when the row outlived its file (the caller
    answers 404). MediaStoreUnavailable when the store cannot be reached."""
    try:
        return await store.open(file.key)
    except MediaFileMissing:
        return None
