"""Queries on blocks made by local accounts and the follows a block ends."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Block, Follow


async def follows_between(session: AsyncSession, a: int, b: int) -> list[Follow]:
    """Every follow or follow request between two accounts, either way."""
    result = await session.execute(select(Follow).where(or_(
        (Follow.account_id == a) & (Follow.target_account_id == b),
        (Follow.account_id == b) & (Follow.target_account_id == a))).order_by(Follow.id))
    return list(result.scalars().all())


async def delete_follows(session: AsyncSession, follow_ids: list[int]) -> None:
    if follow_ids:
        await session.execute(delete(Follow).where(Follow.id.in_(follow_ids)))


async def blocks_of(session: AsyncSession, account_id: int) -> list[tuple[Block, Account]]:
    """The accounts `account_id` blocks, oldest block first."""
    result = await session.execute(
        select(Block, Account).join(Account, Account.id == Block.target_account_id)
        .where(Block.account_id == account_id).order_by(Block.id))
    return [(block, account) for block, account in result.all()]


async def blocks(session: AsyncSession, account_id: int, target_id: int) -> bool:
    """Whether `account_id` blocks `target_id` (one way only)."""
    result = await session.execute(select(Block.id).where(
        Block.account_id == account_id, Block.target_account_id == target_id).limit(1))
    return result.first() is not None


async def blocked_by(session: AsyncSession, account_id: int) -> set[int]:
    """The accounts `account_id` blocks."""
    result = await session.execute(
        select(Block.target_account_id).where(Block.account_id == account_id))
    return set(result.scalars().all())
