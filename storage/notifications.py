"""Queries on notifications."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Follow, Notification


async def exists_same(session: AsyncSession, account_id: int, from_account_id: int,
                      kind: str, status_id: int | None) -> bool:
    """Whether this very notification (same recipient, type, sender and post) exists."""
    status_match = Notification.status_id.is_(None) if status_id is None \
        else Notification.status_id == status_id
    result = await session.execute(select(Notification.id).where(
        Notification.account_id == account_id, Notification.from_account_id == from_account_id,
        Notification.type == kind, status_match).limit(1))
    return result.first() is not None


async def add(session: AsyncSession, account_id: int, from_account_id: int, kind: str,
              status_id: int | None) -> Notification:
    row = Notification(account_id=account_id, from_account_id=from_account_id, type=kind,
                       status_id=status_id)
    session.add(row)
    await session.flush()
    return row


async def delete_notifications_about(session: AsyncSession, status_id: int) -> None:
    """A deleted status's notifications point at nothing readable any more."""
    await session.execute(delete(Notification).where(Notification.status_id == status_id))


async def delete_caused_by(session: AsyncSession, from_account_id: int, kind: str,
                           status_id: int) -> list[int]:
    """Delete the notifications of `kind` that `from_account_id` caused about `status_id`;
    their recipients."""
    result = await session.execute(
        delete(Notification).where(Notification.from_account_id == from_account_id,
                                   Notification.type == kind,
                                   Notification.status_id == status_id)
        .returning(Notification.account_id))
    return list(result.scalars().all())


async def delete_same(session: AsyncSession, account_id: int, from_account_id: int,
                      kind: str, status_id: int) -> None:
    """Delete this very notification (same recipient, type, sender and post), if any."""
    await session.execute(
        delete(Notification).where(Notification.account_id == account_id,
                                   Notification.from_account_id == from_account_id,
                                   Notification.type == kind,
                                   Notification.status_id == status_id))


async def delete_one(session: AsyncSession, account_id: int, notification_id: int) -> bool:
    """Dismiss one of the account's notifications; whether it existed."""
    result = await session.execute(
        delete(Notification).where(Notification.id == notification_id,
                                   Notification.account_id == account_id)
        .returning(Notification.id))
    return result.first() is not None


async def delete_from_domain(session: AsyncSession, account_id: int, domain: str) -> None:
    """The account's notifications caused by accounts on `domain` (a server it blocks)."""
    await session.execute(delete(Notification).where(
        Notification.account_id == account_id,
        Notification.from_account_id.in_(select(Account.id).where(Account.domain == domain))))


async def delete_all(session: AsyncSession, account_id: int) -> None:
    await session.execute(delete(Notification).where(Notification.account_id == account_id))


async def delete_matching(session: AsyncSession, account_id: int, kind: str,
                          status_id: int | None, first_id: int, end_id: int) -> None:
    """Dismiss a group: the account's notifications of `kind` (about `status_id` when given)
    with ids in [first_id, end_id)."""
    stmt = delete(Notification).where(
        Notification.account_id == account_id, Notification.type == kind,
        Notification.id >= first_id, Notification.id < end_id)
    if status_id is not None:
        stmt = stmt.where(Notification.status_id == status_id)
    await session.execute(stmt)


async def subscribers(session: AsyncSession, account_id: int) -> list[int]:
    """Local accounts following `account_id` (accepted) that asked to hear of its posts
    (follows.notify)."""
    result = await session.execute(
        select(Follow.account_id).join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Follow.state == "accepted",
               Follow.notify.is_(True), Account.domain.is_(None)))
    return list(result.scalars().all())
