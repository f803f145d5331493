"""Queries on blocks between accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Block
from storage.pagination import Page, apply_page, finish_page


async def block_between(session: AsyncSession, account_id: int,
                        target_account_id: int) -> Block | None:
    result = await session.execute(select(Block).where(
        Block.account_id == account_id, Block.target_account_id == target_account_id))
    return result.scalar_one_or_none()


async def block_by_uri(session: AsyncSession, uri: str) -> Block | None:
    result = await session.execute(select(Block).where(Block.uri == uri))
    return result.scalar_one_or_none()


async def blocked_either_way(session: AsyncSession, a: int, b: int) -> bool:
    result = await session.execute(select(func.count()).select_from(Block).where(
        ((Block.account_id == a) & (Block.target_account_id == b))
        | ((Block.account_id == b) & (Block.target_account_id == a))))
    return int(result.scalar_one()) > 0


async def delete_block(session: AsyncSession, block_id: int) -> None:
    await session.execute(delete(Block).where(Block.id == block_id))


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


async def blocking_among(session: AsyncSession, account_id: int,
                         target_ids: Sequence[int]) -> set[int]:
    """Which of these accounts `account_id` blocks."""
    if not target_ids:
        return set()
    result = await session.execute(select(Block.target_account_id).where(
        Block.account_id == account_id, Block.target_account_id.in_(list(set(target_ids)))))
    return set(result.scalars().all())


async def blocked_by_among(session: AsyncSession, account_id: int,
                           blocker_ids: Sequence[int]) -> set[int]:
    """Which of these accounts block `account_id`."""
    if not blocker_ids:
        return set()
    result = await session.execute(select(Block.account_id).where(
        Block.target_account_id == account_id, Block.account_id.in_(list(set(blocker_ids)))))
    return set(result.scalars().all())


async def blocks_page(session: AsyncSession, account_id: int,
                      page: Page) -> list[tuple[int, int]]:
    """(block id, blocked account id) of `account_id`'s blocks, newest first, paginated by
    block id; suspended accounts left out (as Mastodon's blocks list)."""
    stmt = (select(Block.id, Block.target_account_id)
            .join(Account, Account.id == Block.target_account_id)
            .where(Block.account_id == account_id, Account.suspended_at.is_(None)))
    rows = (await session.execute(apply_page(stmt, Block.id, page))).all()
    return finish_page([(block_id, target_id) for block_id, target_id in rows], page)
