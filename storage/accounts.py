"""Queries on accounts, their keys and local users."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AccountKey, User


async def local_account_by_username(session: AsyncSession, username: str) -> Account | None:
    """Case-insensitive lookup among local accounts (deleted ones included: names stay taken)."""
    result = await session.execute(
        select(Account).where(Account.domain.is_(None),
                              func.lower(Account.username) == username.lower()))
    return result.scalar_one_or_none()


async def account_by_id(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def account_by_uri(session: AsyncSession, uri: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.uri == uri))
    return result.scalar_one_or_none()


async def accounts_by_uris(session: AsyncSession, uris: Iterable[str]) -> dict[str, Account]:
    """The stored accounts among these actor ids, by id (one query for a batch); missing ones
    are absent."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    result = await session.execute(select(Account).where(Account.uri.in_(wanted)))
    return {account.uri: account for account in result.scalars()}


async def signing_key(session: AsyncSession, account_id: int) -> AccountKey | None:
    """The newest key of an account that has a private half (local accounts only)."""
    result = await session.execute(
        select(AccountKey)
        .where(AccountKey.account_id == account_id, AccountKey.private_key_pem.is_not(None))
        .order_by(AccountKey.id.desc()).limit(1))
    return result.scalar_one_or_none()


async def public_key(session: AsyncSession, account_id: int) -> AccountKey | None:
    result = await session.execute(
        select(AccountKey).where(AccountKey.account_id == account_id)
        .order_by(AccountKey.id.desc()).limit(1))
    return result.scalar_one_or_none()


async def user_by_account_id(session: AsyncSession, account_id: int) -> User | None:
    result = await session.execute(select(User).where(User.account_id == account_id))
    return result.scalar_one_or_none()


async def count_local_users(session: AsyncSession) -> int:
    """People with a login here that are neither deleted nor suspended."""
    result = await session.execute(
        select(func.count()).select_from(User).join(Account, Account.id == User.account_id)
        .where(Account.deleted_at.is_(None), Account.suspended_at.is_(None)))
    return int(result.scalar_one())


async def count_active_local_users(session: AsyncSession, since: datetime) -> int:
    """Local users who logged in or were created since `since`."""
    result = await session.execute(
        select(func.count()).select_from(User).join(Account, Account.id == User.account_id)
        .where(Account.deleted_at.is_(None), Account.suspended_at.is_(None),
               func.coalesce(User.last_login_at, User.created_at) >= since))
    return int(result.scalar_one())


async def key_by_key_id(session: AsyncSession, key_id: str) -> AccountKey | None:
    result = await session.execute(select(AccountKey).where(AccountKey.key_id == key_id))
    return result.scalar_one_or_none()


async def remote_account_by_handle(session: AsyncSession, username: str,
                                   domain: str) -> Account | None:
    result = await session.execute(select(Account).where(
        func.lower(Account.username) == username.lower(), Account.domain == domain.lower()))
    return result.scalar_one_or_none()


async def remote_account_by_inbox(session: AsyncSession, inbox: str) -> Account | None:
    """The remote account whose personal inbox this is (None if it is nobody's personal one)."""
    result = await session.execute(select(Account).where(
        Account.domain.is_not(None), Account.inbox_url == inbox).limit(1))
    return result.scalar_one_or_none()


async def set_totals(session: AsyncSession, account_id: int, totals: dict[str, int | None],
                     now: datetime) -> None:
    """Record a remote account's collection totals (keys: posts_total, followers_total,
    following_total; the ones absent keep their value)."""
    allowed = {"posts_total", "followers_total", "following_total"}
    if not set(totals) <= allowed:
        raise ValueError(f"unknown totals: {sorted(set(totals) - allowed)}")
    await session.execute(update(Account).where(Account.id == account_id)
                          .values(**totals, totals_fetched_at=now))


async def local_accounts_by_uri(session: AsyncSession,
                                uris: Iterable[str]) -> list[Account]:
    """The local people (not the instance actor, not deleted) among these actor ids."""
    wanted = sorted(set(uris))
    if not wanted:
        return []
    result = await session.execute(select(Account).where(
        Account.uri.in_(wanted), Account.domain.is_(None), Account.deleted_at.is_(None),
        Account.actor_type != "Application"))
    return list(result.scalars().all())


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The user with this e-mail address (stored lowercase)."""
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def unapproved_among(session: AsyncSession, account_ids: Iterable[int]) -> set[int]:
    """Which of these accounts are local sign-ups still waiting for approval."""
    wanted = list(set(account_ids))
    if not wanted:
        return set()
    result = await session.execute(select(User.account_id).where(
        User.account_id.in_(wanted), User.approved.is_(False)))
    return set(result.scalars().all())
