"""SQL for media attachments. Runs inside the caller's transaction and never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MediaAttachment


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

