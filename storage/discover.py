"""Discover: this instance's popular recent image posts, ranked by likes, boosts and remixes,
and the hashtags most used lately.

Built on the timelines' queries (storage.timelines.local_query, federated_query), so blocks,
mutes, suspensions and silences count here exactly as they do there."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import exists, func
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import id_floor
from storage.models import MediaAttachment, Status, StatusTag, Tag
from storage.timelines import federated_query, local_query


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


async def popular_tags(session: AsyncSession, *, since: datetime, exclude: Collection[str],
                       offset: int, limit: int) -> list[tuple[int, str]]:
    """(id, name) of the hashtags of public posts (from here and elsewhere) made since
    `since`: used by the most accounts first, then the most posts, then by name."""
    accounts = func.count(func.distinct(Status.account_id))
    stmt = (federated_query(None)
            .join(StatusTag, StatusTag.status_id == Status.id)
            .join(Tag, Tag.id == StatusTag.tag_id)
            .where(Status.id >= id_floor(since), Tag.name.not_in(list(exclude)))
            .with_only_columns(Tag.id, Tag.name, maintain_column_froms=True)
            .group_by(Tag.id, Tag.name)
            .order_by(accounts.desc(), func.count().desc(), Tag.name)
            .offset(offset).limit(limit))
    return [(tag_id, name) for tag_id, name in (await session.execute(stmt)).all()]


async def tag_days(session: AsyncSession, tag_ids: Sequence[int], *,
                   since: datetime) -> dict[int, dict[date, tuple[int, int]]]:
    """For each tag, each UTC day since `since` it was used on: (posts, accounts)."""
    found: dict[int, dict[date, tuple[int, int]]] = {}
    if not tag_ids:
        return found
    day = func.date(Status.created_at)
    stmt = (federated_query(None)
            .join(StatusTag, StatusTag.status_id == Status.id)
            .where(Status.id >= id_floor(since), StatusTag.tag_id.in_(list(tag_ids)))
            .with_only_columns(StatusTag.tag_id, day, func.count(),
                               func.count(func.distinct(Status.account_id)),
                               maintain_column_froms=True)
            .group_by(StatusTag.tag_id, day))
    for tag_id, on, uses, accounts in (await session.execute(stmt)).all():
        # SQLite answers date() as text, PostgreSQL as a date.
        found.setdefault(tag_id, {})[date.fromisoformat(str(on)[:10])] = \
            (int(uses), int(accounts))
    return found
