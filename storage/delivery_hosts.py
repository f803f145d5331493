"""Per-destination-host delivery health."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DeliveryHost
from storage.types import utcnow


async def get(session: AsyncSession, host: str) -> DeliveryHost | None:
    return await session.get(DeliveryHost, host)


async def get_many(session: AsyncSession, hosts: Collection[str]) -> dict[str, DeliveryHost]:
    """The rows of those of `hosts` that have one (healthy hosts mostly do not)."""
    if not hosts:
        return {}
    rows = await session.execute(select(DeliveryHost).where(DeliveryHost.host.in_(list(hosts))))
    return {row.host: row for row in rows.scalars()}


async def _row(session: AsyncSession, host: str) -> DeliveryHost:
    row = await session.get(DeliveryHost, host)
    if row is None:
        row = DeliveryHost(host=host, consecutive_failures=0)
        session.add(row)
    return row


async def record_successes(session: AsyncSession, hosts: Collection[str]) -> None:
    """These hosts answered: healthy again (healthy hosts need no row, so only existing
    rows change)."""
    now = utcnow()
    for row in (await get_many(session, hosts)).values():
        row.consecutive_failures = 0
        row.paused_until = None
        row.last_success_at = now


async def record_failure(session: AsyncSession, host: str, error: str,
                         paused_until: datetime) -> int:
    """Count a failure and pause the host until `paused_until`; returns the failure count."""
    row = await _row(session, host)
    row.consecutive_failures += 1
    row.last_error = error[:2000]
    row.last_failure_at = utcnow()
    row.paused_until = paused_until
    return row.consecutive_failures

