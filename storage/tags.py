"""Queries on hashtags (the tags table): by name and for search. Runs inside the caller's
transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import StatusTag, Tag

_LIKE_ESCAPE = "\\"


async def tags_by_prefix(session: AsyncSession, prefix: str, limit: int,
                         offset: int = 0) -> list[Tag]:
    """Hashtags whose (lowercase) name starts with `prefix`: the exact name first, then the
    shortest, then alphabetically."""
    name = prefix.lower()
    if not name:
        return []
    pattern = (name.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%")
               .replace("_", "\\_")) + "%"
    result = await session.execute(
        select(Tag).where(Tag.name.like(pattern, escape=_LIKE_ESCAPE))
        .order_by((Tag.name != name), func.length(Tag.name), Tag.name)
        .offset(offset).limit(limit))
    return list(result.scalars())


async def tag_by_name(session: AsyncSession, name: str) -> Tag | None:
    result = await session.execute(select(Tag).where(Tag.name == name.lower()))
    return result.scalar_one_or_none()


async def tag_ids(session: AsyncSession, names: Sequence[str]) -> dict[str, int]:
    """Tag ids by (lowercase) name, for the names that exist."""
    wanted = list({name.lower() for name in names})
    if not wanted:
        return {}
    result = await session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(wanted)))
    return {name: tag_id for name, tag_id in result.all()}


async def post_counts(session: AsyncSession, tag_ids: Sequence[int]) -> dict[int, int]:
    """How many posts carry each tag (tags carried by none are left out), counted on the
    (tag_id, status_id) index."""
    if not tag_ids:
        return {}
    result = await session.execute(
        select(StatusTag.tag_id, func.count()).where(StatusTag.tag_id.in_(list(tag_ids)))
        .group_by(StatusTag.tag_id))
    return {tag_id: int(count) for tag_id, count in result.all()}
