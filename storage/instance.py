"""Instance-wide settings and counts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, InstanceSetting, Status, User


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


async def known_domains(session: AsyncSession) -> list[str]:
    """Every other server we know an account of (Mastodon's `instances`), by name."""
    result = await session.execute(
        select(Account.domain).where(Account.domain.is_not(None)).distinct()
        .order_by(Account.domain))
    return [domain for domain in result.scalars().all() if domain]


async def count_known_domains(session: AsyncSession) -> int:
    result = await session.execute(
        select(func.count(func.distinct(Account.domain))).where(Account.domain.is_not(None)))
    return int(result.scalar_one())


async def first_admin_account_id(session: AsyncSession) -> int | None:
    """The account of the earliest admin still here: the instance's contact."""
    result = await session.execute(
        select(Account.id).join(User, User.account_id == Account.id)
        .where(User.admin.is_(True), Account.deleted_at.is_(None),
               Account.suspended_at.is_(None))
        .order_by(User.created_at, User.id).limit(1))
    return result.scalar_one_or_none()
