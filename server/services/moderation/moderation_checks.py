"""Checks other services make before acting for a local account (kept apart from
server.services.moderation.domain_blocks so that posting and generation need not import the
moderation use-cases and what they import)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.errors import AccountSuspended
from storage.models import Account


async def ensure_not_suspended(session: AsyncSession, account_id: int) -> None:
    """Refuse to act for a suspended account (it may not post, follow, react or generate)."""
    account = await session.get(Account, account_id)
    if account is not None and account.suspended_at is not None:
        raise AccountSuspended(N_("the account %(username)r is suspended"),
                               username=account.username)
