"""Bookmarks: a local account's private saves of statuses it may see (never federated).
Bookmarking a boost saves the boosted status, as Mastodon's clients expect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.services.context import Services
from server.services.errors import NotFound
from server.services.statuses.visibility import visible_status
from storage import accounts as account_queries
from storage import bookmarks as queries
from storage.models import Account
from storage.pagination import Page


@dataclass(frozen=True)
class Saved:
    id: int  # the bookmark: page on with max_id=id
    status_id: int


async def _account(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
    return account


async def bookmark(services: Services, username: str, status_id: int) -> int:
    """Save a status the account may see (a second time changes nothing); the saved
    status's id (a boost's boosted status)."""
    async with services.db.writer.begin() as session:
        account = await _account(session, username)
        status = await visible_status(session, status_id, account.id)
        target = status.reblog_of_id or status.id
        if await queries.bookmark_of(session, account.id, target) is None:
            await queries.add(session, account.id, target)
        return target


async def unbookmark(services: Services, username: str, status_id: int) -> int:
    """Remove a save (none there changes nothing). A saved status the account can no longer
    see may still be removed, as Mastodon allows; the unsaved status's id."""
    async with services.db.writer.begin() as session:
        account = await _account(session, username)
        if await queries.remove(session, account.id, status_id):
            return status_id
        status = await visible_status(session, status_id, account.id)
        target = status.reblog_of_id or status.id
        await queries.remove(session, account.id, target)
        return target


async def bookmarked_page(services: Services, username: str, page: Page) -> list[Saved]:
    """The account's saves it may still see, the newest save first, paged by the save's id
    (max_id / since_id / min_id name bookmarks, as in Mastodon's Link headers)."""
    async with services.db.reader() as session:
        account = await _account(session, username)
        return [Saved(id=bookmark_id, status_id=saved)
                for bookmark_id, saved in await queries.page_of(session, account.id, page)]


async def bookmarked_among(services: Services, username: str,
                           status_ids: Sequence[int]) -> set[int]:
    """Which of these statuses the account has saved (for a page's buttons)."""
    async with services.db.reader() as session:
        account = await _account(session, username)
        return await queries.bookmarked_among(session, account.id, status_ids)
