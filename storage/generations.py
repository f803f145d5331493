"""SQL for image generations and the per-user daily quota. Runs inside the caller's
transaction and never commits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import Generation, GenerationQuota
from storage.types import utcnow
from storage.upserts import insert_into

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

_quotas = cast(Table, GenerationQuota.__table__)
_generations = cast(Table, Generation.__table__)


async def insert_generation(session: AsyncSession, *, created_at: datetime,
                            **values: Any) -> int | None:
    """A new queued generation; None when the account already used this idempotency key.
    (ON CONFLICT DO NOTHING keeps a PostgreSQL transaction usable, unlike a caught error.)"""
    stmt = (insert_into(session, _generations)
            .values(id=new_id(), state=QUEUED, attempts=0, created_at=created_at, **values)
            .on_conflict_do_nothing(index_elements=["account_id", "idempotency_key"])
            .returning(_generations.c.id))
    result = await session.execute(stmt)
    generation_id: int | None = result.scalar_one_or_none()
    return generation_id


async def get_generation(session: AsyncSession, generation_id: int) -> Generation | None:
    return await session.get(Generation, generation_id)


async def generation_by_key(session: AsyncSession, account_id: int,
                            idempotency_key: str) -> Generation | None:
    result = await session.execute(select(Generation).where(
        Generation.account_id == account_id, Generation.idempotency_key == idempotency_key))
    return result.scalar_one_or_none()


async def reserve_quota(session: AsyncSession, account_id: int, day: date, images: int,
                        limit: int) -> bool:
    """Count `images` against the account's day, unless that would pass `limit` (0: none).
    One conditional UPDATE, so concurrent requests cannot both squeeze under the limit."""
    await session.execute(insert_into(session, _quotas)
                          .values(account_id=account_id, day=day, used=0)
                          .on_conflict_do_nothing(index_elements=["account_id", "day"]))
    stmt = (update(GenerationQuota)
            .where(GenerationQuota.account_id == account_id, GenerationQuota.day == day)
            .values(used=GenerationQuota.used + images)
            .returning(GenerationQuota.used))
    if limit > 0:
        stmt = stmt.where(GenerationQuota.used + images <= limit)
    result = await session.execute(stmt)
    return result.scalar_one_or_none() is not None


async def refund_quota(session: AsyncSession, account_id: int, day: date, images: int) -> None:
    await session.execute(
        update(GenerationQuota)
        .where(GenerationQuota.account_id == account_id, GenerationQuota.day == day)
        .values(used=GenerationQuota.used - images))


async def quota_used(session: AsyncSession, account_id: int, day: date) -> int:
    result = await session.execute(select(GenerationQuota.used).where(
        GenerationQuota.account_id == account_id, GenerationQuota.day == day))
    return int(result.scalar_one_or_none() or 0)


async def mark_running(session: AsyncSession, generation_id: int) -> Generation | None:
    """Queued (or interrupted while running) -> running; None when it is already finished."""
    generation = await session.get(Generation, generation_id, with_for_update=True)
    if generation is None or generation.state in (DONE, FAILED):
        return None
    generation.state = RUNNING
    generation.attempts += 1
    generation.started_at = generation.started_at or utcnow()
    return generation


async def finish_generation(session: AsyncSession, generation_id: int, *, state: str,
                            error: str | None = None, error_code: str | None = None,
                            style: str | None = None, seed: int | None = None,
                            model: str | None = None, at: datetime | None = None) -> None:
    """`model`: the one the service says drew the images, which replaces the one asked for
    (a generator may ignore the request's `model`)."""
    values: dict[str, Any] = {"state": state, "error": error, "error_code": error_code}
    if state in (DONE, FAILED):
        values["finished_at"] = at or utcnow()
    if style is not None:
        values["style"] = style
    if seed is not None:
        values["seed"] = seed
    if model is not None:
        values["model"] = model
    await session.execute(update(Generation).where(Generation.id == generation_id)
                          .values(**values))
