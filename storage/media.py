"""SQL for media attachments. Runs inside the caller's transaction and never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Generation, MediaAttachment


async def add_attachment(session: AsyncSession, **values: Any) -> MediaAttachment:
    attachment = MediaAttachment(**values)
    session.add(attachment)
    await session.flush()
    return attachment


async def attachment_by_id(session: AsyncSession, media_id: int) -> MediaAttachment | None:
    return await session.get(MediaAttachment, media_id)


async def attachments_for_generation(session: AsyncSession,
                                     generation_id: int) -> list[MediaAttachment]:
    result = await session.execute(select(MediaAttachment)
                                   .where(MediaAttachment.generation_id == generation_id)
                                   .order_by(MediaAttachment.id))
    return list(result.scalars())


async def original_in_use(session: AsyncSession, key: str, *, other_than: int | None = None
                          ) -> bool:
    """Whether an attachment (other than `other_than`) names this original (originals are
    content-addressed, so attachments of the same image share one)."""
    stmt = select(func.count()).select_from(MediaAttachment).where(
        MediaAttachment.original_key == key)
    if other_than is not None:
        stmt = stmt.where(MediaAttachment.id != other_than)
    return int((await session.execute(stmt)).scalar_one()) > 0


async def remove_attachment(session: AsyncSession, media: MediaAttachment) -> list[str]:
    """Delete an attachment's row; returns the storage keys whose files the caller deletes
    once this is committed (its original only when no other attachment shares it)."""
    keys = [media.jpeg_key, media.webp_key, media.thumb_key]
    if not await original_in_use(session, media.original_key, other_than=media.id):
        keys.append(media.original_key)
    await session.execute(delete(MediaAttachment).where(MediaAttachment.id == media.id))
    return keys


async def unposted_generated(session: AsyncSession, account_id: int, *, limit: int,
                             before: int | None = None, other_than_generation: int | None = None
                             ) -> list[tuple[MediaAttachment, str]]:
    """The account's generated images in no post (its drafts), newest first, each with its
    generation's prompt; `before`: older than that id (the next page); leaving out those of
    `other_than_generation`."""
    stmt = (select(MediaAttachment, Generation.prompt)
            .join(Generation, Generation.id == MediaAttachment.generation_id)
            .where(MediaAttachment.account_id == account_id,
                   MediaAttachment.status_id.is_(None))
            .order_by(MediaAttachment.id.desc()).limit(limit))
    if before is not None:
        stmt = stmt.where(MediaAttachment.id < before)
    if other_than_generation is not None:
        stmt = stmt.where(MediaAttachment.generation_id != other_than_generation)
    result = await session.execute(stmt)
    return [(media, prompt) for media, prompt in result.all()]
