"""Queries on hashtags (the tags table) for search. Runs inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Tag

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
