"""Queries on mutes: a local account hiding another from its own views, never federated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Mute
from storage.pagination import Page, apply_page, finish_page


def muted_ids(viewer_id: int | ColumnElement[int], now: datetime, *,
              notifications: bool = False) -> Select[int]:
    """Accounts the viewer mutes at `now` (with notifications=True: only the mutes that also
    hide notifications). One uncorrelated subquery for an id; for a column of viewer ids,
    correlated to it."""
    stmt = select(Mute.target_account_id).where(
        Mute.account_id == viewer_id, or_(Mute.expires_at.is_(None), Mute.expires_at > now)
    ).correlate_except(Mute)
    if notifications:
        stmt = stmt.where(Mute.hide_notifications.is_(True))
    return stmt


async def mute_between(session: AsyncSession, account_id: int, target_id: int) -> Mute | None:
    result = await session.execute(select(Mute).where(
        Mute.account_id == account_id, Mute.target_account_id == target_id))
    return result.scalar_one_or_none()


async def delete_mute(session: AsyncSession, mute_id: int) -> None:
    await session.execute(delete(Mute).where(Mute.id == mute_id))


async def mutes_of(session: AsyncSession, account_id: int,
                   now: datetime) -> list[tuple[Mute, Account]]:
    """The accounts `account_id` mutes at `now`, oldest mute first."""
    result = await session.execute(
        select(Mute, Account).join(Account, Account.id == Mute.target_account_id)
        .where(Mute.account_id == account_id,
               or_(Mute.expires_at.is_(None), Mute.expires_at > now))
        .order_by(Mute.id))
    return [(mute, account) for mute, account in result.all()]


async def muted_set(session: AsyncSession, viewer_id: int, now: datetime) -> set[int]:
    """The accounts the viewer mutes at `now`."""
    return set((await session.execute(muted_ids(viewer_id, now))).scalars().all())


async def mutes_among(session: AsyncSession, account_id: int, target_ids: Sequence[int],
                      now: datetime) -> dict[int, Mute]:
    """`account_id`'s mutes in force at `now` of these accounts, by target."""
    if not target_ids:
        return {}
    result = await session.execute(select(Mute).where(
        Mute.account_id == account_id, Mute.target_account_id.in_(list(set(target_ids))),
        or_(Mute.expires_at.is_(None), Mute.expires_at > now)))
    return {row.target_account_id: row for row in result.scalars().all()}


async def mutes_page(session: AsyncSession, account_id: int, page: Page,
                     now: datetime) -> list[Mute]:
    """`account_id`'s mutes in force at `now`, newest first, paginated by mute id;
    suspended accounts left out (as Mastodon's mutes list)."""
    stmt = (select(Mute).join(Account, Account.id == Mute.target_account_id)
            .where(Mute.account_id == account_id, Account.suspended_at.is_(None),
                   or_(Mute.expires_at.is_(None), Mute.expires_at > now)))
    rows = (await session.execute(apply_page(stmt, Mute.id, page))).scalars().all()
    return finish_page(list(rows), page)
