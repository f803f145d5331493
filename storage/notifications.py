"""Queries on notifications."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Notification


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
