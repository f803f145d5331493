"""Queries for instance moderation: domain blocks, the allow-list, the accounts of a domain,
account restrictions and rejected media. (Purging a suspended account's data reuses the
steps of account deletion, storage.account_data.)"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    DomainAllow,
    DomainBlock,
    Follow,
    RemoteMedia,
    Status,
)


@dataclass(frozen=True)
class Snapshot:
    """Everything the domain policy needs, read in one go."""

    blocks: Sequence[tuple[str, str, bool, datetime]]  # domain, severity, reject_media, since
    allows: Sequence[str]
    suspended_actors: Sequence[tuple[str, str]]  # (actor uri, personal inbox) of remote ones


async def snapshot(session: AsyncSession) -> Snapshot:
    blocks = (await session.execute(
        select(DomainBlock.domain, DomainBlock.severity, DomainBlock.reject_media,
               DomainBlock.created_at))).all()
    allows = (await session.execute(select(DomainAllow.domain))).scalars().all()
    suspended = (await session.execute(
        select(Account.uri, Account.inbox_url).where(Account.domain.is_not(None),
                                                     Account.suspended_at.is_not(None)))).all()
    return Snapshot([(d, s, bool(r), c) for d, s, r, c in blocks], list(allows),
                    [(u, i) for u, i in suspended])


# --- blocks and allows -------------------------------------------------------------------------


async def block_by_domain(session: AsyncSession, domain: str) -> DomainBlock | None:
    result = await session.execute(select(DomainBlock).where(DomainBlock.domain == domain))
    return result.scalar_one_or_none()


async def all_blocks(session: AsyncSession) -> list[DomainBlock]:
    rows = await session.execute(select(DomainBlock).order_by(DomainBlock.domain))
    return list(rows.scalars().all())


async def delete_block(session: AsyncSession, block_id: int) -> None:
    await session.execute(delete(DomainBlock).where(DomainBlock.id == block_id))


async def allow_by_domain(session: AsyncSession, domain: str) -> DomainAllow | None:
    result = await session.execute(select(DomainAllow).where(DomainAllow.domain == domain))
    return result.scalar_one_or_none()


async def all_allows(session: AsyncSession) -> list[DomainAllow]:
    rows = await session.execute(select(DomainAllow).order_by(DomainAllow.domain))
    return list(rows.scalars().all())


async def delete_allow(session: AsyncSession, allow_id: int) -> None:
    await session.execute(delete(DomainAllow).where(DomainAllow.id == allow_id))


# --- accounts of a domain ----------------------------------------------------------------------


def _of_domain(domain: str) -> ColumnElement[bool]:
    """Accounts on the domain or any subdomain of it, on any port (domains are host[:port])."""
    name = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Account.domain == domain,
               *(Account.domain.like(pattern, escape="\\")
                 for pattern in (f"%.{name}", f"{name}:%", f"%.{name}:%")))


async def account_ids_of_domain(session: AsyncSession, domain: str) -> list[int]:
    rows = await session.execute(select(Account.id).where(_of_domain(domain)))
    return list(rows.scalars().all())


async def set_domain_silenced(session: AsyncSession, domain: str, at: datetime) -> None:
    """Silence every account of the domain not already silenced, stamped with the block's
    time so that lifting the block can tell them from accounts silenced one by one."""
    await session.execute(update(Account).where(_of_domain(domain),
                                                Account.silenced_at.is_(None))
                          .values(silenced_at=at))


async def clear_domain_silenced(session: AsyncSession, domain: str, at: datetime) -> None:
    await session.execute(update(Account).where(_of_domain(domain), Account.silenced_at == at)
                          .values(silenced_at=None))


async def set_domain_suspended(session: AsyncSession, domain: str, at: datetime) -> None:
    await session.execute(update(Account).where(_of_domain(domain),
                                                Account.suspended_at.is_(None))
                          .values(suspended_at=at))


async def clear_domain_suspended(session: AsyncSession, domain: str, at: datetime) -> None:
    await session.execute(update(Account).where(_of_domain(domain), Account.suspended_at == at)
                          .values(suspended_at=None))


# --- counts for `admin account show` -------------------------------------------------------------


@dataclass(frozen=True)
class AccountCounts:
    statuses: int
    followers: int
    following: int


async def account_counts(session: AsyncSession, account_id: int) -> AccountCounts:
    statuses = await session.scalar(select(func.count()).select_from(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None)))
    followers = await session.scalar(select(func.count()).select_from(Follow).where(
        Follow.target_account_id == account_id, Follow.state == "accepted"))
    following = await session.scalar(select(func.count()).select_from(Follow).where(
        Follow.account_id == account_id, Follow.state == "accepted"))
    return AccountCounts(int(statuses or 0), int(followers or 0), int(following or 0))


# --- media ---------------------------------------------------------------------------------------


async def rejects_media(session: AsyncSession, names: Sequence[str]) -> bool:
    """Whether a block on any of these names (a host and its parent domains) rejects media:
    reject_media set, or the domain suspended."""
    found = await session.scalar(select(DomainBlock.id).where(
        DomainBlock.domain.in_(list(names)),
        or_(DomainBlock.reject_media.is_(True), DomainBlock.severity == "suspend")).limit(1))
    return found is not None


async def status_domain(session: AsyncSession, status_id: int) -> str | None:
    """The domain of a post's author (None for a local post or no such post)."""
    return await session.scalar(select(Account.domain).join(
        Status, Status.account_id == Account.id).where(Status.id == status_id))


async def clear_cached_media(session: AsyncSession, account_id: int) -> list[str]:
    """Forget the cached copies of a remote account's media (reject_media): returns the file
    keys to delete once the transaction commits. The rows stay, uncached."""
    rows = (await session.execute(
        select(RemoteMedia).join(Status, Status.id == RemoteMedia.status_id)
        .where(Status.account_id == account_id, or_(RemoteMedia.cached_key.is_not(None),
                                                    RemoteMedia.thumb_key.is_not(None)))
    )).scalars().all()
    keys: list[str] = []
    for row in rows:
        keys += [k for k in (row.cached_key, row.thumb_key) if k]
        row.cached_key = row.thumb_key = None
        row.cache_state = "pending"
    account = await session.get(Account, account_id)
    if account is not None:
        keys += [k for k in (account.avatar_cached_key, account.header_cached_key) if k]
        account.avatar_cached_key = account.header_cached_key = None
    return keys


async def follows_to_local(session: AsyncSession,
                           account_id: int) -> list[tuple[Follow, Account]]:
    """A remote account's follows (and requests) of local accounts, with the followed."""
    rows = await session.execute(
        select(Follow, Account).join(Account, Account.id == Follow.target_account_id)
        .where(Follow.account_id == account_id, Account.domain.is_(None)))
    return [(f, a) for f, a in rows.all()]


async def delete_follows_by(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(Follow).where(Follow.account_id == account_id))
