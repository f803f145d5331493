"""Outgoing activities (recorded once by the publisher, read by the `deliver` job)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AccountKey, OutgoingActivity


@dataclass(frozen=True, slots=True)
class ToSign:
    """An activity with the newest private key of the account that signs it (None when that
    account has no private key)."""

    account_id: int
    body: dict[str, Any]
    key_id: str | None
    private_key_pem: str | None


async def to_sign(session: AsyncSession, ids: Collection[int]) -> dict[int, ToSign]:
    """The activities still recorded among `ids` (a withdrawn one is absent), each with its
    signing key, in one statement: a batch of deliveries reads them once, not once a job."""
    if not ids:
        return {}
    newest_key = (select(AccountKey.id)
                  .where(AccountKey.account_id == OutgoingActivity.account_id,
                         AccountKey.private_key_pem.is_not(None))
                  .order_by(AccountKey.id.desc()).limit(1)
                  .correlate(OutgoingActivity).scalar_subquery())
    stmt = (select(OutgoingActivity.id, OutgoingActivity.account_id, OutgoingActivity.body,
                   AccountKey.key_id, AccountKey.private_key_pem)
            .outerjoin(AccountKey, AccountKey.id == newest_key)
            .where(OutgoingActivity.id.in_(list(ids))))
    return {row.id: ToSign(row.account_id, row.body, row.key_id, row.private_key_pem)
            for row in (await session.execute(stmt)).all()}
