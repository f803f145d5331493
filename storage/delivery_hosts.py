"""Per-destination-host delivery health."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryHost
from storage.types import utcnow


async def get(session: AsyncSession, host: str) -> DeliveryHost | None:
    return await session.get(DeliveryHost, host)


async def _row(session: AsyncSession, host: str) -> DeliveryHost:
    row = await session.get(DeliveryHost, host)
    if row is None:
        row = DeliveryHost(host=host, consecutive_failures=0)
        session.add(row)
    return row


async def record_success(session: AsyncSession, host: str) -> None:
    row = await session.get(DeliveryHost, host)
    if row is None:
        return  # healthy hosts need no row
    row.consecutive_failures = 0
    row.paused_until = None
    row.last_success_at = utcnow()


async def record_failure(session: AsyncSession, host: str, error: str,
                         paused_until: datetime) -> int:
    """Count a failure and pause the host until `paused_until`; returns the failure count."""
    row = await _row(session, host)
    row.consecutive_failures += 1
    row.last_error = error[:2000]
    row.last_failure_at = utcnow()
    row.paused_until = paused_until
    return row.consecutive_failures

