"""Queries on statuses (posts and boosts) and their mentions and tags."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy import Select, and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.ids import new_id
from storage.models import (
    Account,
    Favourite,
    MediaAttachment,
    Mention,
    Status,
    StatusTag,
    Tag,
)
from storage.pagination import Page, apply_page, finish_page
from storage.types import utcnow
from storage.upserts import insert_into

PUBLIC_VISIBILITIES = ("public", "unlisted")


async def is_deleted(session: AsyncSession, status_id: int) -> bool:
    """Whether the post was deleted (soft: a tombstone row) or is gone altogether."""
    result = await session.execute(select(Status.deleted_at).where(Status.id == status_id))
    row = result.first()
    return row is None or row.deleted_at is not None


def _outbox(account_id: int) -> Select[Status]:
    """An account's public and unlisted posts, and its boosts of live public and unlisted
    posts (Mastodon's outbox lists both), none waiting for approval."""
    original = aliased(Status)
    return (select(Status).outerjoin(original, original.id == Status.reblog_of_id)
            .where(Status.account_id == account_id, Status.deleted_at.is_(None),
                   Status.pending_approval.is_(False),
                   Status.visibility.in_(PUBLIC_VISIBILITIES),
                   or_(Status.reblog_of_id.is_(None),
                       and_(original.deleted_at.is_(None),
                            original.visibility.in_(PUBLIC_VISIBILITIES)))))


async def count_public_by_account(session: AsyncSession, account_id: int) -> int:
    """The account's public and unlisted posts (its profile's count)."""
    result = await session.execute(select(func.count()).select_from(Status).where(
        Status.account_id == account_id, Status.deleted_at.is_(None),
        Status.reblog_of_id.is_(None), Status.visibility.in_(PUBLIC_VISIBILITIES)))
    return int(result.scalar_one())


async def count_outbox(session: AsyncSession, account_id: int) -> int:
    """How many items the account's outbox holds."""
    found = await session.execute(select(func.count()).select_from(
        _outbox(account_id).subquery()))
    return int(found.scalar_one())


async def outbox_page(session: AsyncSession, account_id: int, page: Page) -> list[Status]:
    """A page of the account's outbox, newest first."""
    rows = (await session.execute(apply_page(_outbox(account_id), Status.id, page))
            ).scalars().all()
    return finish_page(list(rows), page)


async def public_replies(session: AsyncSession, parent_id: int, author_id: int, *,
                         own: bool, after_id: int | None,
                         limit: int) -> list[tuple[int, str]]:
    """(id, uri) of the public and unlisted replies to `parent_id`, oldest first, after
    `after_id`: its author's own (`own`) or everyone else's, from accounts neither suspended
    nor deleted (Mastodon's replies collection)."""
    by_author = Status.account_id == author_id if own else Status.account_id != author_id
    stmt = (select(Status.id, Status.uri).join(Account, Account.id == Status.account_id)
            .where(Status.in_reply_to_id == parent_id, by_author,
                   Status.deleted_at.is_(None), Status.reblog_of_id.is_(None),
                   Status.visibility.in_(PUBLIC_VISIBILITIES),
                   Account.suspended_at.is_(None), Account.deleted_at.is_(None)))
    if after_id is not None:
        stmt = stmt.where(Status.id > after_id)
    rows = await session.execute(stmt.order_by(Status.id).limit(limit))
    return [(row.id, row.uri) for row in rows]


async def by_id(session: AsyncSession, status_id: int) -> Status | None:
    return await session.get(Status, status_id)


async def by_uri(session: AsyncSession, uri: str) -> Status | None:
    result = await session.execute(select(Status).where(Status.uri == uri))
    return result.scalar_one_or_none()


async def by_uris(session: AsyncSession, uris: Iterable[str]) -> dict[str, Status]:
    """The statuses (and boosts) among these ids, by id (one query for a batch); missing ones
    are absent."""
    wanted = sorted(set(uris))
    if not wanted:
        return {}
    result = await session.execute(select(Status).where(Status.uri.in_(wanted)))
    return {status.uri: status for status in result.scalars()}


async def by_idempotency_key(session: AsyncSession, account_id: int,
                             key: str) -> Status | None:
    result = await session.execute(select(Status).where(
        Status.account_id == account_id, Status.idempotency_key == key))
    return result.scalar_one_or_none()


async def boost_of(session: AsyncSession, account_id: int, status_id: int) -> Status | None:
    result = await session.execute(select(Status).where(
        Status.account_id == account_id, Status.reblog_of_id == status_id,
        Status.deleted_at.is_(None)))
    return result.scalar_one_or_none()


async def attachments(session: AsyncSession, status_id: int) -> list[MediaAttachment]:
    result = await session.execute(select(MediaAttachment).where(
        MediaAttachment.status_id == status_id).order_by(MediaAttachment.position))
    return list(result.scalars().all())


async def tag_names(session: AsyncSession, status_id: int) -> list[str]:
    result = await session.execute(
        select(Tag.name).join(StatusTag, StatusTag.tag_id == Tag.id)
        .where(StatusTag.status_id == status_id).order_by(Tag.name))
    return list(result.scalars().all())


async def mentioned_accounts(session: AsyncSession, status_id: int) -> list[Account]:
    result = await session.execute(
        select(Account).join(Mention, Mention.account_id == Account.id)
        .where(Mention.status_id == status_id).order_by(Account.id))
    return list(result.scalars().all())


async def tag_for(session: AsyncSession, name: str) -> Tag:
    """The tag row for a lowercase name, created if new (the caller's transaction)."""
    result = await session.execute(select(Tag).where(Tag.name == name))
    tag = result.scalar_one_or_none()
    if tag is None:
        tag = Tag(name=name)
        session.add(tag)
        await session.flush()
    return tag


Counter = Literal["replies_count", "favourites_count", "reblogs_count", "remixes_count"]


async def increment(session: AsyncSession, status_id: int, counter: Counter,
                    by: int = 1) -> None:
    """Add `by` (may be negative) to a counter in SQL, never below zero: never read, add and
    write back, so likes applied at once by different workers all count."""
    column = getattr(Status, counter)
    await session.execute(update(Status).where(Status.id == status_id)
                          .values({column: case((column + by < 0, 0), else_=column + by)}))


async def replace_tags_and_mentions(session: AsyncSession, status_id: int) -> None:
    """Drop a post's tags and mentions before they are written again (after an edit)."""
    await session.execute(delete(StatusTag).where(StatusTag.status_id == status_id))
    await session.execute(delete(Mention).where(Mention.status_id == status_id))


async def holds(session: AsyncSession, uri: str) -> bool:
    """Whether this id is a status, boost or favourite we keep (so activities on it concern
    us): the one read here that looks at favourites too."""
    for column in (Status.uri, Favourite.uri):
        result = await session.execute(select(column).where(column == uri).limit(1))
        if result.first() is not None:
            return True
    return False


async def add_mentions(session: AsyncSession, status_id: int,
                       account_ids: Iterable[int]) -> None:
    session.add_all([Mention(status_id=status_id, account_id=account_id)
                     for account_id in sorted(set(account_ids))])
    await session.flush()


async def add_tags(session: AsyncSession, status_id: int, names: Sequence[str]) -> None:
    """Link a status to these (lowercase) tags, creating the tags that are new."""
    session.add_all([StatusTag(status_id=status_id, tag_id=tag_id)
                     for tag_id in await tag_ids(session, names)])
    await session.flush()


async def tag_ids(session: AsyncSession, names: Sequence[str]) -> list[int]:
    """Ids of these (lowercase) tags, inserting the new ones; safe against a concurrent insert
    of the same name (ON CONFLICT DO NOTHING, then read back)."""
    if not names:
        return []
    now = utcnow()
    await session.execute(insert_into(session, Tag).values(
        [{"id": new_id(), "name": name, "created_at": now} for name in names])
        .on_conflict_do_nothing(index_elements=["name"]))
    result = await session.execute(select(Tag.id).where(Tag.name.in_(list(names))))
    return list(result.scalars().all())


async def soft_delete(session: AsyncSession, status_id: int) -> bool:
    """Mark a status deleted; False if it already was (so counters move once)."""
    result = await session.execute(update(Status).where(
        Status.id == status_id, Status.deleted_at.is_(None)).values(deleted_at=utcnow()))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_boost(session: AsyncSession, boost_id: int) -> None:
    """A boost has no content of its own: undoing it removes the row."""
    await session.execute(delete(Status).where(Status.id == boost_id,
                                               Status.reblog_of_id.is_not(None)))


async def live_boosts_of(session: AsyncSession, status_id: int) -> list[Status]:
    """The boosts of a status that are not deleted."""
    result = await session.execute(select(Status).where(
        Status.reblog_of_id == status_id, Status.deleted_at.is_(None)))
    return list(result.scalars().all())
