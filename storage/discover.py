"""Discover: this instance's popular recent image posts, ranked by likes, boosts and remixes.

Built on the local timeline's query (storage.timelines.local_query), so blocks, mutes,
suspensions and silences count here exactly as they do there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import id_floor
from storage.models import MediaAttachment, Status
from storage.timelines import local_query


async def popular_local(session: AsyncSession, viewer_id: int | None, *, since: datetime,
                        offset: int, limit: int) -> list[int]:
    """Ids of public local posts with images, made since `since`, that someone liked,
    boosted or remixed: the most interactions first, newer first among equals."""
    score = Status.favourites_count + Status.reblogs_count + Status.remixes_count
    stmt = (local_query(viewer_id)
            # Ids grow with time: the bound keeps the scan to the window's rows.
            .where(Status.id >= id_floor(since), score > 0,
                   exists().where(MediaAttachment.status_id == Status.id))
            .order_by(score.desc(), Status.id.desc()).offset(offset).limit(limit))
    return list((await session.execute(stmt)).scalars().all())
