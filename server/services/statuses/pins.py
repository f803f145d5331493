"""Pins: a local account's own statuses shown first on its profile, at most PIN_LIMIT, with
Mastodon's rules (app/validators/status_pin_validator.rb): not a boost, not someone else's,
not a direct status. Followers-only statuses may be pinned: they show first only to those
who may see them (pinned_ids screens by viewer).

Federation: Mastodon publishes pins as the actor's `featured` collection; Dreamfeed does not
serve one yet (issue 13), so pins stay local for now."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.statuses.visibility import visible_status
from storage import accounts as account_queries
from storage import status_pins as queries
from storage.models import Account

PIN_LIMIT = 5
# Mastodon's messages (config/locales/en.yml, statuses.pin_errors).
REBLOG = "A boost cannot be pinned"
OWNERSHIP = "Someone else's post cannot be pinned"
DIRECT = "Posts that are only visible to mentioned users cannot be pinned"
LIMIT = "You have already pinned the maximum number of posts"


async def _account(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(f"no local account named {username!r}")
    return account


async def pin(services: Services, username: str, status_id: int) -> None:
    """Pin one of the account's statuses (pinned already: nothing changes). NotFound for a
    status it may not see; InvalidInput (422) for one Mastodon refuses to pin."""
    async with services.db.writer.begin() as session:
        account = await _account(session, username)
        await ensure_not_suspended(session, account.id)
        status = await visible_status(session, status_id, account.id)
        if status.reblog_of_id is not None:
            raise InvalidInput(REBLOG)
        if status.account_id != account.id:
            raise InvalidInput(OWNERSHIP)
        if status.visibility == "direct":
            raise InvalidInput(DIRECT)
        if await queries.pin_of(session, account.id, status.id) is not None:
            return
        if await queries.count_of(session, account.id) >= PIN_LIMIT:
            raise InvalidInput(LIMIT)
        await queries.add(session, account.id, status.id)


async def unpin(services: Services, username: str, status_id: int) -> None:
    """Unpin (not pinned: nothing changes); NotFound for a status the account may not see."""
    async with services.db.writer.begin() as session:
        account = await _account(session, username)
        if not await queries.remove(session, account.id, status_id):
            await visible_status(session, status_id, account.id)


async def pinned_ids(services: Services, username: str,
                     viewer_account_id: int | None = None) -> list[int]:
    """The ids of `username`'s pinned statuses that the viewer (None: signed out) may see,
    the newest pin first."""
    async with services.db.reader() as session:
        account = await _account(session, username)
        return await queries.pinned_ids(session, account.id, viewer_account_id)
