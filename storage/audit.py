"""The moderation audit log: every admin action, appended, never edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.pagination import Page, apply_page, finish_page


async def record(session: AsyncSession, *, actor_account_id: int | None, action: str,
                 target_type: str, target: str,
                 detail: dict[str, Any] | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction, so the action and its record commit
    together. actor_account_id None: the operator, through the command line."""
    entry = AuditEntry(account_id=actor_account_id, action=action, target_type=target_type,
                       target=target, detail=detail or {})
    session.add(entry)
    await session.flush()
    return entry


async def entries(session: AsyncSession, page: Page, *,
                  action: str | None = None) -> Sequence[AuditEntry]:
    """Newest first, Mastodon-style paging; optionally one action only."""
    stmt = select(AuditEntry)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    rows = (await session.execute(apply_page(stmt, AuditEntry.id, page))).scalars().all()
    return finish_page(list(rows), page)
