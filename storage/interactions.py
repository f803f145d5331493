"""Queries for what other servers do to posts: remote posts and their media, tags and
mentions, likes and boosts. (Counters move with storage.statuses.increment.)"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.ids import new_id
from storage.models import (
    Account,
    Favourite,
    Follow,
    Mention,
    Notification,
    RemoteMedia,
    Status,
    StatusTag,
    Tag,
)
from storage.types import utcnow


async def holds(session: AsyncSession, uri: str) -> bool:
    """Whether this id is a post, boost or like we keep (so activities on it concern us)."""
    for column in (Status.uri, Favourite.uri):
        result = await session.execute(select(column).where(column == uri).limit(1))
        if result.first() is not None:
            return True
    return False




async def local_accounts_by_uri(session: AsyncSession,
                                uris: Iterable[str]) -> list[Account]:
    """The local people (not the instance actor, not deleted) among these actor ids."""
    wanted = sorted(set(uris))
    if not wanted:
        return []
    result = await session.execute(select(Account).where(
        Account.uri.in_(wanted), Account.domain.is_(None), Account.deleted_at.is_(None),
        Account.actor_type != "Application"))
    return list(result.scalars().all())


async def followed_locally(session: AsyncSession, account_id: int) -> bool:
    """Whether any local account follows this one (an accepted follow)."""
    result = await session.execute(
        select(Follow.id).join(Account, Account.id == Follow.account_id)
        .where(Follow.target_account_id == account_id, Follow.state == "accepted",
               Account.domain.is_(None)).limit(1))
    return result.first() is not None


# --- remote posts ----------------------------------------------------------------------------


async def add_media(session: AsyncSession, rows: Sequence[RemoteMedia]) -> None:
    session.add_all(rows)
    await session.flush()




async def add_mentions(session: AsyncSession, status_id: int,
                       account_ids: Iterable[int]) -> None:
    session.add_all([Mention(status_id=status_id, account_id=account_id)
                     for account_id in sorted(set(account_ids))])
    await session.flush()


async def add_tags(session: AsyncSession, status_id: int, names: Sequence[str]) -> None:
    """Link a post to these (lowercase) tags, creating the tags that are new."""
    session.add_all([StatusTag(status_id=status_id, tag_id=tag_id)
                     for tag_id in await tag_ids(session, names)])
    await session.flush()


async def tag_ids(session: AsyncSession, names: Sequence[str]) -> list[int]:
    """Ids of these (lowercase) tags, inserting the new ones; safe against a concurrent insert
    of the same name (ON CONFLICT DO NOTHING, then read back)."""
    if not names:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    await session.execute(insert(Tag).values(
        [{"id": new_id(), "name": name, "created_at": now} for name in names])
        .on_conflict_do_nothing(index_elements=["name"]))
    result = await session.execute(select(Tag.id).where(Tag.name.in_(list(names))))
    return list(result.scalars().all())


async def soft_delete(session: AsyncSession, status_id: int) -> bool:
    """Mark a post deleted; False if it already was (so counters move once)."""
    result = await session.execute(update(Status).where(
        Status.id == status_id, Status.deleted_at.is_(None)).values(deleted_at=utcnow()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_notifications_about(session: AsyncSession, status_id: int) -> None:
    """A deleted post's notifications point at nothing readable any more."""
    await session.execute(delete(Notification).where(Notification.status_id == status_id))


# --- likes -----------------------------------------------------------------------------------


async def favourite_by_uri(session: AsyncSession, uri: str) -> Favourite | None:
    result = await session.execute(select(Favourite).where(Favourite.uri == uri))
    return result.scalar_one_or_none()




async def delete_favourite(session: AsyncSession, favourite_id: int) -> None:
    await session.execute(delete(Favourite).where(Favourite.id == favourite_id))


# --- boosts ----------------------------------------------------------------------------------




async def delete_boost(session: AsyncSession, boost_id: int) -> None:
    """A boost has no content of its own: undoing it removes the row."""
    await session.execute(delete(Status).where(Status.id == boost_id,
                                               Status.reblog_of_id.is_not(None)))
