"""Queries on lists (a user's named sets of accounts) and their members."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AccountList, Follow, ListMember
from storage.pagination import Page, apply_page, finish_page


async def lists_of(session: AsyncSession, account_id: int) -> list[AccountList]:
    """An account's lists, oldest first."""
    result = await session.execute(select(AccountList).where(AccountList.account_id == account_id)
                                   .order_by(AccountList.id))
    return list(result.scalars().all())


async def count_lists(session: AsyncSession, account_id: int) -> int:
    result = await session.execute(select(func.count()).select_from(AccountList)
                                   .where(AccountList.account_id == account_id))
    return int(result.scalar_one())


async def own_list(session: AsyncSession, account_id: int, list_id: int) -> AccountList | None:
    """The list, when it is `account_id`'s (another's list is as good as missing)."""
    result = await session.execute(select(AccountList).where(
        AccountList.id == list_id, AccountList.account_id == account_id))
    return result.scalar_one_or_none()


async def add(session: AsyncSession, row: AccountList) -> AccountList:
    session.add(row)
    await session.flush()
    return row


async def delete_list(session: AsyncSession, list_id: int) -> None:
    # Members first: SQLite enforces the foreign key's cascade only with its pragma on.
    await session.execute(delete(ListMember).where(ListMember.list_id == list_id))
    await session.execute(delete(AccountList).where(AccountList.id == list_id))


async def member_ids(session: AsyncSession, list_id: int,
                     account_ids: Sequence[int]) -> set[int]:
    """Which of these accounts are in the list."""
    if not account_ids:
        return set()
    result = await session.execute(select(ListMember.account_id).where(
        ListMember.list_id == list_id, ListMember.account_id.in_(list(set(account_ids)))))
    return set(result.scalars().all())


async def add_members(session: AsyncSession, list_id: int, account_ids: Sequence[int]) -> None:
    for account_id in account_ids:
        session.add(ListMember(list_id=list_id, account_id=account_id))
    await session.flush()


async def remove_members(session: AsyncSession, list_id: int,
                         account_ids: Sequence[int]) -> None:
    if account_ids:
        await session.execute(delete(ListMember).where(
            ListMember.list_id == list_id, ListMember.account_id.in_(list(set(account_ids)))))


def followed_members(list_id: int, owner_id: int) -> Select[int]:
    """The list's members its owner still follows (or has asked to), and the owner itself.
    Mastodon drops a member when the follow ends; here the membership stays but stops
    counting, so following again brings it back."""
    return select(ListMember.account_id).where(
        ListMember.list_id == list_id,
        or_(ListMember.account_id == owner_id, ListMember.account_id.in_(
            select(Follow.target_account_id).where(Follow.account_id == owner_id))))


async def members_page(session: AsyncSession, list_id: int, owner_id: int,
                       page: Page | None) -> list[int]:
    """Member account ids, by account id newest first (as Mastodon pages them); every member
    when `page` is None. Suspended and deleted accounts are left out."""
    stmt = select(Account.id).where(Account.id.in_(followed_members(list_id, owner_id)),
                                    Account.suspended_at.is_(None), Account.deleted_at.is_(None))
    if page is None:
        result = await session.execute(stmt.order_by(Account.id.desc()))
        return list(result.scalars().all())
    rows = (await session.execute(apply_page(stmt, Account.id, page))).scalars().all()
    return finish_page(list(rows), page)


async def lists_with_member(session: AsyncSession, owner_id: int,
                            account_id: int) -> list[AccountList]:
    """`owner_id`'s lists that hold `account_id` (while it is followed: followed_members),
    oldest first."""
    stmt = (select(AccountList).join(ListMember, ListMember.list_id == AccountList.id)
            .where(AccountList.account_id == owner_id, ListMember.account_id == account_id))
    if account_id != owner_id:
        stmt = stmt.where(select(Follow.id).where(
            Follow.account_id == owner_id, Follow.target_account_id == account_id).exists())
    result = await session.execute(stmt.order_by(AccountList.id))
    return list(result.scalars().all())
