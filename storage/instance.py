"""Instance-wide settings and counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InstanceSetting, Status


async def get_setting(session: AsyncSession, key: str) -> str | None:
    row = await session.get(InstanceSetting, key)
    return row.value if row is not None else None


async def add_setting(session: AsyncSession, key: str, value: str) -> None:
    """Record a setting that must not exist yet (the caller checked, inside its transaction)."""
    session.add(InstanceSetting(key=key, value=value))
    await session.flush()


async def count_local_statuses(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count()).select_from(Status)
        .where(Status.local.is_(True), Status.deleted_at.is_(None)))
    return int(result.scalar_one())
