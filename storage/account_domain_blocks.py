"""Queries on the servers local people block (account_domain_blocks): one person's own filter,
never the instance's (storage.domain_blocks)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AccountDomainBlock
from storage.pagination import Page, apply_page, finish_page


def domain_blocked_ids(viewer_id: int | ColumnElement[int]) -> Select[int]:
    """Accounts on a server the viewer blocks. One uncorrelated subquery for an id; for a
    column of viewer ids (storage.timeline_reach), correlated to it."""
    return (select(Account.id)
            .join(AccountDomainBlock, AccountDomainBlock.domain == Account.domain)
            .where(AccountDomainBlock.account_id == viewer_id)
            .correlate_except(Account, AccountDomainBlock))


async def block_of(session: AsyncSession, account_id: int,
                   domain: str) -> AccountDomainBlock | None:
    result = await session.execute(select(AccountDomainBlock).where(
        AccountDomainBlock.account_id == account_id, AccountDomainBlock.domain == domain))
    return result.scalar_one_or_none()


async def delete_block(session: AsyncSession, block_id: int) -> None:
    await session.execute(delete(AccountDomainBlock).where(AccountDomainBlock.id == block_id))


async def blocks_of(session: AsyncSession, account_id: int) -> list[AccountDomainBlock]:
    """`account_id`'s blocked servers, newest block first."""
    result = await session.execute(select(AccountDomainBlock).where(
        AccountDomainBlock.account_id == account_id).order_by(AccountDomainBlock.id.desc()))
    return list(result.scalars().all())


async def blocks_page(session: AsyncSession, account_id: int,
                      page: Page) -> list[AccountDomainBlock]:
    """`account_id`'s blocked servers, newest first, paginated by the block's id (as
    Mastodon's paginate_by_max_id on account_domain_blocks)."""
    stmt = select(AccountDomainBlock).where(AccountDomainBlock.account_id == account_id)
    rows = (await session.execute(apply_page(stmt, AccountDomainBlock.id, page))).scalars()
    return finish_page(list(rows.all()), page)


async def blocks_domain_of(session: AsyncSession, account_id: int, other_id: int) -> bool:
    """Whether `account_id` blocks the server `other_id` is on (never for a local one)."""
    result = await session.execute(select(AccountDomainBlock.id)
                                   .join(Account, Account.domain == AccountDomainBlock.domain)
                                   .where(AccountDomainBlock.account_id == account_id,
                                          Account.id == other_id).limit(1))
    return result.first() is not None


async def domain_blocking_among(session: AsyncSession, account_id: int,
                                ids: Sequence[int]) -> set[int]:
    """Which of these accounts are on a server `account_id` blocks."""
    if not ids:
        return set()
    result = await session.execute(select(Account.id)
                                   .join(AccountDomainBlock,
                                         AccountDomainBlock.domain == Account.domain)
                                   .where(AccountDomainBlock.account_id == account_id,
                                          Account.id.in_(list(set(ids)))))
    return set(result.scalars().all())
