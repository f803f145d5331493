"""A local user deletes their account; and the purge that removes a deleted account's data,
local or remote.

Following Mastodon's DeleteAccountService (app/services/delete_account_service.rb):
- `Delete` of the actor (DeleteActorSerializer: id `<actor>#delete`, actor = object = the
  actor's id, to Public) goes to every inbox we know (`Account.inboxes`: followers, followed
  accounts and every other known server), signed with the account's own key. The key row is
  kept, so deliveries, which sign at send time, still work after the data is gone.
- The accounts row stays with `deleted_at` (the username is never handed out again; the actor
  answers 410 Gone); its login, sessions and relationships go at once, so the account is
  unusable immediately, and its posts answer 410 at once.
- The rest (posts, media files, likes, notifications, generations...) is removed by the
  `account.purge` job in batches, so a large account never holds the single writer long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n import N_
from server.jobs.queue import enqueue
from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.outbound import delivery
from server.services.streaming.publish import (
    queue_account_changed,
    queue_account_gone,
    queue_keys_changed,
)
from storage import account_data
from storage import accounts as account_queries
from storage.audit import record
from storage.database import Database
from storage.media_files import MediaStore
from storage.models import Account
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGE = "account.purge"
PURGE_BATCH = 200


@dataclass(frozen=True)
class DeletedAccount:
    username: str
    actor_uri: str
    inboxes: int  # how many inboxes the Delete is queued to


async def delete_local_account(services: Services, username: str, *,
                               actor_account_id: int | None = None) -> DeletedAccount:
    """Delete a local account: Delete queued to every known inbox, login and relationships
    removed, posts hidden, the purge queued; all in one transaction. `actor_account_id`: who
    did it, for the audit log (None: the operator, with the command line)."""
    async with services.db.writer.begin() as session:
        account = await account_queries.local_account_by_username(session, username)
        if account is None or account.actor_type == "Application":
            raise NotFound(N_("no local account named %(name)r"), name=username)
        if account.deleted_at is not None:
            raise NotFound(N_("the account %(name)r is already deleted"), name=account.username)
        now = utcnow()
        activity = to_activitypub.actor_delete(account.uri)
        inboxes = await account_data.known_inboxes(session)
        await delivery.publish(session, account.id, activity, inboxes)
        account_data.clear_profile(account, now)
        await account_data.remove_login(session, account.id, now)
        await account_data.delete_relationships(session, account.id)
        await queue_account_gone(session, account.id)
        # Every process's inbox owners and cached documents forget it at the commit.
        queue_account_changed(session, account.id)
        await account_data.hide_statuses(session, account.id, now)
        await enqueue_purge(session, account, keep_activity_id=activity["id"])
        await record(session, actor_account_id=actor_account_id, action="account.delete",
                     target_type="account", target=account.uri,
                     detail={"username": account.username, "inboxes": len(set(inboxes))})
    services.inbox_owners.forget(account.username)
    log.info("account %s deleted; Delete queued to %d inboxes", account.uri, len(inboxes))
    return DeletedAccount(account.username, account.uri, len(set(inboxes)))


async def enqueue_purge(session: AsyncSession, account: Account, *,
                        keep_activity_id: str | None = None) -> None:
    """Queue the removal of a deleted account's data (once per account at a time)."""
    await enqueue(session, PURGE, {"account_id": account.id,
                                   "keep_activity_id": keep_activity_id},
                  dedupe_key=f"{PURGE}:{account.id}")


async def hide_remote_account(session: AsyncSession, account: Account) -> None:
    """A remote actor deleted itself: gone from every view now, its data purged by the job."""
    now = utcnow()
    account.deleted_at = now
    await account_data.delete_keys(session, account.id)
    queue_keys_changed(session, account.id)  # every process's key cache drops them
    await account_data.delete_relationships(session, account.id)
    await queue_account_gone(session, account.id)
    await account_data.hide_statuses(session, account.id, now)
    await enqueue_purge(session, account)


async def purge_account(db: Database, store: MediaStore, account_id: int,
                        keep_activity_id: str | None = None, *,
                        batch: int = PURGE_BATCH) -> int:
    """Remove the data of a deleted account; returns how many media files were deleted.
    Each batch commits on its own and is safe to repeat after a crash. Files go after the
    rows that name them are committed away: a crash in between leaves an orphan file, never a
    row naming a missing file."""
    files = 0
    while True:
        async with db.writer.begin() as session:
            account = await account_queries.account_by_id(session, account_id)
            if account is None or account.deleted_at is None:
                return files  # re-created meanwhile (remote) or never deleted: keep all
            keys = await account_data.purge_status_batch(session, account_id,
                                                         account.deleted_at, batch)
            if keys is None:
                keys = await account_data.purge_remaining(session, account, keep_activity_id)
                done = True
            else:
                done = False
        files += await _delete_files(store, keys)
        if done:
            return files


async def _delete_files(store: MediaStore, keys: list[str]) -> int:
    for key in keys:
        await store.delete(key)
    return len(keys)
