"""Queries behind profile pages, their feeds and account search."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Follow, MediaAttachment, Status, StatusTag, Tag, User

# Characters LIKE treats specially; a search for "a_b" means the underscore itself.
_LIKE_ESCAPE = "\\"


def _like_pattern(text: str, *, prefix: bool) -> str:
    escaped = (text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", "\\%")
               .replace("_", "\\_"))
    return f"{escaped}%" if prefix else f"%{escaped}%"


async def feed_statuses(session: AsyncSession, account_id: int, limit: int) -> list[Status]:
    """An account's newest public posts for its RSS/Atom feed: no boosts, no unlisted,
    followers-only or direct posts, no replies to others (Mastodon's feed leaves them out)."""
    result = await session.execute(
        select(Status).where(
            Status.account_id == account_id, Status.visibility == "public",
            Status.deleted_at.is_(None), Status.reblog_of_id.is_(None),
            or_(Status.in_reply_to_id.is_(None), Status.in_reply_to_account_id == account_id))
        .order_by(Status.id.desc()).limit(limit))
    return list(result.scalars().all())


async def attachments_of(session: AsyncSession,
                         status_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    """Local posts' images, by post, in their order."""
    if not status_ids:
        return {}
    result = await session.execute(
        select(MediaAttachment).where(MediaAttachment.status_id.in_(list(status_ids)))
        .order_by(MediaAttachment.position, MediaAttachment.id))
    found: dict[int, list[MediaAttachment]] = {}
    for row in result.scalars().all():
        if row.status_id is not None:
            found.setdefault(row.status_id, []).append(row)
    return found


async def tags_of(session: AsyncSession, status_ids: Sequence[int]) -> dict[int, list[str]]:
    if not status_ids:
        return {}
    result = await session.execute(
        select(StatusTag.status_id, Tag.name).join(Tag, Tag.id == StatusTag.tag_id)
        .where(StatusTag.status_id.in_(list(status_ids))).order_by(Tag.name))
    found: dict[int, list[str]] = {}
    for status_id, name in result.all():
        found.setdefault(status_id, []).append(name)
    return found


async def account_by_url(session: AsyncSession, url: str) -> Account | None:
    """A known account by its actor id or its profile page URL (people paste either)."""
    result = await session.execute(
        select(Account).where(or_(Account.uri == url, Account.url == url))
        .order_by(Account.domain.is_not(None)).limit(1))
    return result.scalars().first()


async def search_accounts(session: AsyncSession, text: str, limit: int, *, offset: int = 0,
                          followed_by: int | None = None) -> list[Account]:
    """Known people (local and remote) whose username starts with `text` or whose display
    name contains it; local ones first, then by username. Deleted, suspended accounts and
    server actors are left out, and sign-ups waiting for approval; with `followed_by`, only
    the accounts it follows."""
    name = text.strip().lstrip("@")
    if not name:
        return []
    username_match = func.lower(Account.username).like(_like_pattern(name.lower(), prefix=True),
                                                       escape=_LIKE_ESCAPE)
    display_match = func.lower(Account.display_name).like(
        _like_pattern(name.lower(), prefix=False), escape=_LIKE_ESCAPE)
    stmt = select(Account).where(
        or_(username_match, display_match), Account.deleted_at.is_(None),
        Account.suspended_at.is_(None), Account.actor_type != "Application",
        Account.id.not_in(select(User.account_id).where(User.approved.is_(False))))
    if followed_by is not None:
        stmt = stmt.where(Account.id.in_(
            select(Follow.target_account_id).where(Follow.account_id == followed_by,
                                                   Follow.state == "accepted")))
    result = await session.execute(
        stmt.order_by(Account.domain.is_not(None), func.lower(Account.username), Account.id)
        .offset(offset).limit(limit))
    return list(result.scalars().all())
