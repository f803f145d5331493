"""SQL for pending media: attachments the client API promised and has not made yet (an upload
being processed, one image of a running generation). Runs inside the caller's transaction and
never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PendingMedia

UPLOAD, GENERATION = "upload", "generation"
PROCESSING, FAILED = "processing", "failed"


async def add_pending(session: AsyncSession, row: PendingMedia) -> PendingMedia:
    session.add(row)
    await session.flush()
    return row


async def pending_by_id(session: AsyncSession, media_id: int, *,
                        for_update: bool = False) -> PendingMedia | None:
    """`for_update`: locked until the transaction ends (PostgreSQL; SQLite has one writer),
    so that a concurrent change of its details waits for the attachment to be made."""
    stmt = select(PendingMedia).where(PendingMedia.id == media_id)
    if for_update:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


async def pending_of_generation(session: AsyncSession, generation_id: int, *,
                                for_update: bool = False) -> list[PendingMedia]:
    """The images a generation promised and has not made, in their order."""
    stmt = (select(PendingMedia).where(PendingMedia.generation_id == generation_id)
            .order_by(PendingMedia.position))
    if for_update:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return list(result.scalars())


async def set_details(session: AsyncSession, media_id: int, account_id: int, *,
                      description: str | None,
                      focus: tuple[float, float] | None) -> bool:
    """Description and/or focal point of a pending image of this account, in one UPDATE;
    False when there is none (its attachment was made meanwhile, or it never was)."""
    values: dict[str, object] = {}
    if description is not None:
        values["description"] = description
    if focus is not None:
        values["focus_x"], values["focus_y"] = focus
    mine = (PendingMedia.id == media_id, PendingMedia.account_id == account_id)
    if not values:
        found = await session.execute(select(PendingMedia.id).where(*mine))
        return found.scalar_one_or_none() is not None
    result = await session.execute(update(PendingMedia).where(*mine).values(**values))
    return bool(getattr(result, "rowcount", 0))


async def mark_failed(session: AsyncSession, ids: Sequence[int], error: str) -> None:
    if ids:
        await session.execute(update(PendingMedia).where(PendingMedia.id.in_(ids))
                              .values(state=FAILED, error=error))


async def delete_pending(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(PendingMedia).where(PendingMedia.id.in_(ids)))
