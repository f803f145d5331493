"""SQL for refused prompts and for switching a user's generation off. Runs inside the
caller's transaction and never commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, PromptRefusal, User


@dataclass(frozen=True)
class RefusalRow:
    refusal: PromptRefusal
    username: str


async def add(session: AsyncSession, *, account_id: int, prompt: str, source: str,
              reason: str) -> PromptRefusal:
    row = PromptRefusal(account_id=account_id, prompt=prompt, source=source, reason=reason)
    session.add(row)
    await session.flush()
    return row


async def recent(session: AsyncSession, *, account_id: int | None,
                 limit: int) -> list[RefusalRow]:
    """Newest first, with the local username of each."""
    stmt = (select(PromptRefusal, Account.username)
            .join(Account, Account.id == PromptRefusal.account_id)
            .order_by(PromptRefusal.id.desc()).limit(limit))
    if account_id is not None:
        stmt = stmt.where(PromptRefusal.account_id == account_id)
    return [RefusalRow(r, name) for r, name in (await session.execute(stmt)).all()]


async def counts(session: AsyncSession, *, account_id: int | None) -> list[tuple[str, int]]:
    """(username, refusals) per user, most refused first."""
    stmt = (select(Account.username, func.count(PromptRefusal.id))
            .join(Account, Account.id == PromptRefusal.account_id)
            .group_by(Account.username)
            .order_by(func.count(PromptRefusal.id).desc(), Account.username))
    if account_id is not None:
        stmt = stmt.where(PromptRefusal.account_id == account_id)
    return [(name, int(count)) for name, count in (await session.execute(stmt)).all()]


async def generation_disabled(session: AsyncSession, account_id: int) -> bool:
    result = await session.execute(select(User.generation_disabled)
                                   .where(User.account_id == account_id))
    return bool(result.scalar_one_or_none())


async def set_generation_disabled(session: AsyncSession, account_id: int,
                                  disabled: bool) -> bool:
    """Returns whether the flag changed."""
    result = await session.execute(
        update(User).where(User.account_id == account_id,
                           User.generation_disabled != disabled)
        .values(generation_disabled=disabled))
    return bool(result.rowcount)  # type: ignore[attr-defined]
