"""Queries on posts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Status
from storage.pagination import Page, apply_page, finish_page

PUBLIC_VISIBILITIES = ("public", "unlisted")


async def count_public_by_account(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(select(func.count()).select_from(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None),
        Status.visibility.in_(PUBLIC_VISIBILITIES)))
    return int(result.scalar_one())


async def public_page_by_account(session: AsyncSession, account_id: int,
                                 page: Page) -> list[Status]:
    stmt = select(Status).where(Status.account_id == account_id, Status.deleted_at.is_(None),
                                Status.visibility.in_(PUBLIC_VISIBILITIES))
    rows = (await session.execute(apply_page(stmt, Status.id, page))).scalars().all()
    return finish_page(list(rows), page)
