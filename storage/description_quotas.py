"""SQL for the per-user daily count of image descriptions (description_quotas), kept as the
generation quota is (storage.generations). Runs inside the caller's transaction and never
commits."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.media import DescriptionQuota
from storage.upserts import insert_into

_quotas = cast(Table, DescriptionQuota.__table__)


async def reserve(session: AsyncSession, account_id: int, day: date, limit: int) -> bool:
    """Count one description against the account's day, unless that would pass `limit`
    (0: none). One conditional UPDATE, so two clicks at once cannot both squeeze under it."""
    await session.execute(insert_into(session, _quotas)
                          .values(account_id=account_id, day=day, used=0)
                          .on_conflict_do_nothing(index_elements=["account_id", "day"]))
    stmt = (update(DescriptionQuota)
            .where(DescriptionQuota.account_id == account_id, DescriptionQuota.day == day)
            .values(used=DescriptionQuota.used + 1)
            .returning(DescriptionQuota.used))
    if limit > 0:
        stmt = stmt.where(DescriptionQuota.used + 1 <= limit)
    result = await session.execute(stmt)
    return result.scalar_one_or_none() is not None


async def refund(session: AsyncSession, account_id: int, day: date) -> None:
    await session.execute(
        update(DescriptionQuota)
        .where(DescriptionQuota.account_id == account_id, DescriptionQuota.day == day,
               DescriptionQuota.used > 0)
        .values(used=DescriptionQuota.used - 1))


async def used(session: AsyncSession, account_id: int, day: date) -> int:
    result = await session.execute(select(DescriptionQuota.used).where(
        DescriptionQuota.account_id == account_id, DescriptionQuota.day == day))
    return int(result.scalar_one_or_none() or 0)
