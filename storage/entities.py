"""Bulk reads the client API's entities are built from: accounts with their counts, a page
of statuses with boosts resolved, mentions, mutes (bookmarks and pins: storage/bookmarks.py,
storage/status_pins.py). One query per kind of thing
for a whole page, never one per status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Follow, Mention, Mute, Status


async def accounts_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Account]:
    if not ids:
        return {}
    result = await session.execute(select(Account).where(Account.id.in_(list(set(ids)))))
    return {account.id: account for account in result.scalars().all()}


async def status_counts(session: AsyncSession,
                        ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    """Per account: live statuses (boosts included, as Mastodon counts them) and when the
    newest was made."""
    if not ids:
        return {}
    result = await session.execute(
        select(Status.account_id, func.count(), func.max(Status.created_at))
        .where(Status.account_id.in_(list(set(ids))), Status.deleted_at.is_(None))
        .group_by(Status.account_id))
    return {account_id: (count, newest) for account_id, count, newest in result.all()}


async def follower_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    result = await session.execute(
        select(Follow.target_account_id, func.count())
        .where(Follow.target_account_id.in_(list(set(ids))), Follow.state == "accepted")
        .group_by(Follow.target_account_id))
    return {account_id: count for account_id, count in result.all()}


async def following_counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    result = await session.execute(
        select(Follow.account_id, func.count())
        .where(Follow.account_id.in_(list(set(ids))), Follow.state == "accepted")
        .group_by(Follow.account_id))
    return {account_id: count for account_id, count in result.all()}


async def statuses_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, Status]:
    """Live statuses by id, boosts included."""
    if not ids:
        return {}
    result = await session.execute(select(Status).where(
        Status.id.in_(list(set(ids))), Status.deleted_at.is_(None)))
    return {status.id: status for status in result.scalars().all()}


async def mentions_of(session: AsyncSession,
                      status_ids: Sequence[int]) -> dict[int, list[Account]]:
    found: dict[int, list[Account]] = defaultdict(list)
    if status_ids:
        result = await session.execute(
            select(Mention.status_id, Account).join(Account, Account.id == Mention.account_id)
            .where(Mention.status_id.in_(list(status_ids))).order_by(Mention.id))
        for status_id, account in result.all():
            found[status_id].append(account)
    return found


async def muting_pairs(session: AsyncSession, account_ids: Sequence[int],
                       author_ids: Sequence[int], now: datetime) -> set[tuple[int, int]]:
    """(account, author) for each of these authors each of these accounts mutes."""
    if not account_ids or not author_ids:
        return set()
    result = await session.execute(select(Mute.account_id, Mute.target_account_id).where(
        Mute.account_id.in_(list(account_ids)), Mute.target_account_id.in_(list(set(author_ids))),
        (Mute.expires_at.is_(None)) | (Mute.expires_at > now)))
    return {(a, t) for a, t in result.all()}
