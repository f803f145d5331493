"""Pins: a local account's own statuses shown first on its profile, at most PIN_LIMIT, with
Mastodon's rules (app/validators/status_pin_validator.rb): not a boost, not someone else's,
not a direct status. Followers-only statuses may be pinned: they show first only to those
who may see them (pinned_ids screens by viewer).

Federation, as Mastodon: pins are the actor's `featured` collection
(server.services.federation.collections.featured), and pinning or unpinning a public or
unlisted post sends an Add or Remove targeting it to the account's followers. Followers-only
pins stay off the wire (the collection lists only what anyone may see). Remote accounts'
pins are read from their collections (server.services.federation.featured)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.render.to_activitypub.pins import pin_add, pin_remove
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.statuses.visibility import visible_status
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import status_pins as queries
from storage import statuses as status_queries
from storage.ids import new_id
from storage.models import Account, Status

PIN_LIMIT = 5
# Mastodon's messages (config/locales/en.yml, statuses.pin_errors).
REBLOG = N_("A boost cannot be pinned")
OWNERSHIP = N_("Someone else's post cannot be pinned")
DIRECT = N_("Posts that are only visible to mentioned users cannot be pinned")
LIMIT = N_("You have already pinned the maximum number of posts")


async def _account(session: AsyncSession, username: str) -> Account:
    account = await account_queries.local_account_by_username(session, username)
    if account is None or account.actor_type == "Application" or account.deleted_at:
        raise NotFound(N_("no local account named %(username)r"), username=username)
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
        await _announce(services, session, account, status, pinned=True)


async def unpin(services: Services, username: str, status_id: int) -> None:
    """Unpin (not pinned: nothing changes); NotFound for a status the account may not see."""
    async with services.db.writer.begin() as session:
        account = await _account(session, username)
        if not await queries.remove(session, account.id, status_id):
            await visible_status(session, status_id, account.id)
            return
        status = await status_queries.by_id(session, status_id)
        if status is not None:
            await _announce(services, session, account, status, pinned=False)


async def _announce(services: Services, session: AsyncSession, account: Account,
                    status: Status, *, pinned: bool) -> None:
    """Tell the account's followers' servers (Mastodon's RawDistributionWorker), in the
    pin's transaction. A post not everyone may see is not in the collection, so neither
    is its Add or Remove."""
    if status.visibility not in ("public", "unlisted") or status.deleted_at is not None:
        return
    render = pin_add if pinned else pin_remove
    await delivery.publish(session, account.id,
                           render(account, status, services.config, serial=new_id()),
                           await follow_queries.follower_inboxes(session, account.id),
                           rules=await services.domains.rules())


async def pinned_ids_of(services: Services, account_id: int,
                        viewer_account_id: int | None = None) -> list[int]:
    """The pinned statuses of any account, local or remote (read from its `featured`
    collection), that the viewer may see, the newest pin first."""
    async with services.db.reader() as session:
        return await queries.pinned_ids(session, account_id, viewer_account_id)


async def pinned_ids(services: Services, username: str,
                     viewer_account_id: int | None = None) -> list[int]:
    """The ids of `username`'s pinned statuses that the viewer (None: signed out) may see,
    the newest pin first."""
    async with services.db.reader() as session:
        account = await _account(session, username)
        return await queries.pinned_ids(session, account.id, viewer_account_id)
