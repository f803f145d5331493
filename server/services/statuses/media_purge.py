"""A deleted post's images go with it, as Mastodon's RemoveStatusService removes a status's
media: our attachments' files and the cached copies of a remote post's images.

The post is soft-deleted at once (its id answers 410, its images 404: server.services.statuses.media
and remote_media check); the rows and files go in a job, after the Delete is queued. Files
are deleted only after the rows that name them are committed away, so a crash leaves an
orphan file, never a row naming a missing file; the job is safe to run twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs.queue import enqueue
from storage import account_data
from storage.database import Database
from storage.media_files import MediaStore
from storage.models import Status

PURGE_MEDIA = "posts.purge_media"


async def enqueue_media_purge(session: AsyncSession, status_id: int) -> None:
    """Inside the transaction that deletes the post."""
    await enqueue(session, PURGE_MEDIA, {"status_id": status_id},
                  dedupe_key=f"{PURGE_MEDIA}:{status_id}")


async def purge_status_media(db: Database, store: MediaStore, status_id: int) -> int:
    """Remove a deleted post's images; returns how many files were deleted."""
    async with db.writer.begin() as session:
        status = await session.get(Status, status_id)
        if status is None or status.deleted_at is None:
            return 0  # purged with its account already, or (never) not deleted
        keys = await account_data.remove_media_of_statuses(session, [status_id])
    for key in keys:
        await store.delete(key)
    return len(keys)
