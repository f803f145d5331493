"""Our cached copies of remote media: attachments of remote posts (`RemoteMedia` rows) and
remote accounts' avatars and headers (`Account.avatar_cached_key` / `header_cached_key`).

Keys live under `remote/`. An attachment's keys carry a digest of their bytes; an account's
key carries a digest of the source URL, so a changed avatar URL makes the stored key stale
without any extra column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, RemoteMedia, Status
from storage.statuses import PUBLIC_VISIBILITIES

PENDING, CACHED, FAILED, PROXIED = "pending", "cached", "failed", "proxied"
ACCOUNT_ROLES = ("avatar", "header")
_ACCOUNT_COLUMNS = {"avatar": ("avatar_url", "avatar_cached_key"),
                    "header": ("header_url", "header_cached_key")}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def attachment_key(media_id: int, data: bytes, filename: str) -> str:
    return f"remote/media/{media_id}/{_digest(data)}-{filename}"


def account_key_prefix(account_id: int, role: str, source_url: str) -> str:
    return f"remote/accounts/{account_id}/{role}-{_digest(source_url.encode())}-"


def account_key(account_id: int, role: str, source_url: str, data: bytes) -> str:
    return f"{account_key_prefix(account_id, role, source_url)}{_digest(data)}.jpg"


def account_source(account: Account, role: str) -> tuple[str | None, str | None]:
    """(remote URL, cached key) of an account's avatar or header."""
    url_column, key_column = _ACCOUNT_COLUMNS[role]
    url: str | None = getattr(account, url_column)
    key: str | None = getattr(account, key_column)
    return url, key


def account_key_is_current(account: Account, role: str) -> bool:
    """A cached key exists and was made from the account's present URL."""
    url, key = account_source(account, role)
    return bool(url and key and key.startswith(account_key_prefix(account.id, role, url)))


async def add_media(session: AsyncSession, rows: Sequence[RemoteMedia]) -> None:
    session.add_all(rows)
    await session.flush()


async def media_by_id(session: AsyncSession, media_id: int) -> RemoteMedia | None:
    return await session.get(RemoteMedia, media_id)


@dataclass(frozen=True)
class MediaPost:
    """What serving a post's cached image needs to know of the post."""

    deleted: bool
    public: bool  # public or unlisted: anyone may see it
    domain: str | None


async def post_of_media(session: AsyncSession, status_id: int) -> MediaPost | None:
    result = await session.execute(
        select(Status.deleted_at, Status.visibility, Account.domain)
        .join(Account, Account.id == Status.account_id).where(Status.id == status_id))
    row = result.first()
    if row is None:
        return None
    return MediaPost(deleted=row.deleted_at is not None,
                     public=row.visibility in PUBLIC_VISIBILITIES, domain=row.domain)


async def media_of_status(session: AsyncSession, status_id: int) -> list[RemoteMedia]:
    result = await session.execute(select(RemoteMedia).where(
        RemoteMedia.status_id == status_id).order_by(RemoteMedia.position))
    return list(result.scalars().all())


async def set_state(session: AsyncSession, media_ids: Sequence[int], state: str) -> None:
    if media_ids:
        await session.execute(update(RemoteMedia).where(RemoteMedia.id.in_(media_ids))
                              .values(cache_state=state))


async def mark_cached(session: AsyncSession, media_id: int, *, cached_key: str, cached_type: str,
                      thumb_key: str, width: int, height: int, blurhash: str,
                      at: datetime, credentials: str | None = None) -> RemoteMedia | None:
    """Record a stored copy; keeps the remote's own dimensions and blurhash when it sent
    them. Returns the row as it was before (for its old keys), None when it is gone."""
    row = await session.get(RemoteMedia, media_id)
    if row is None:
        return None
    old = RemoteMedia(cached_key=row.cached_key, thumb_key=row.thumb_key)
    row.cache_state, row.cache_error, row.cached_at = CACHED, None, at
    row.cached_key, row.cached_type, row.thumb_key = cached_key, cached_type, thumb_key
    row.credentials = credentials
    if row.width is None or row.height is None:
        row.width, row.height = width, height
    if not row.blurhash:
        row.blurhash = blurhash
    await session.flush()
    return old


async def mark_failed(session: AsyncSession, media_id: int, error: str) -> None:
    await session.execute(update(RemoteMedia).where(RemoteMedia.id == media_id)
                          .values(cache_state=FAILED, cache_error=error[:2000]))


async def account_by_id(session: AsyncSession, account_id: int) -> Account | None:
    return await session.get(Account, account_id)


async def set_account_key(session: AsyncSession, account_id: int, role: str,
                          source_url: str, key: str | None) -> bool:
    """Store the cached key, only if the account still points at `source_url` (its avatar may
    have changed while we fetched). Returns whether it was stored."""
    url_column, key_column = _ACCOUNT_COLUMNS[role]
    result = await session.execute(
        update(Account).where(Account.id == account_id,
                              getattr(Account, url_column) == source_url)
        .values({key_column: key}))
    return bool(getattr(result, "rowcount", 0))
