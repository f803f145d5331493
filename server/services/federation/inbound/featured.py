"""Inbound `Add` and `Remove` to an actor's `featured` collection: a remote account pinning
or unpinning one of its posts (Mastodon's ActivityPub::Activity::Add#add_featured and
Remove#remove_featured). Only the collection's owner changes it (the signed actor, whose
stored `featured` must be the `target`), and only with its own posts. Featured hashtags and
other collections are not kept here.
"""

from __future__ import annotations

from activitypub.featured import FeaturedItem, featured_target
from activitypub.parse import ParsedActivity
from server.services.context import Services
from server.services.federation.featured import MAX_REMOTE_PINS, is_featured_of, pinnable_status
from server.services.federation.inbound.common import known_account
from server.services.federation.remote import account_for_uri
from storage import status_pins as pin_queries
from storage import statuses as status_queries
from storage.models import Account


async def _owner(services: Services, activity: ParsedActivity) -> Account | str:
    """The actor when the target is its featured collection; else why it is ignored."""
    if activity.object_type == "Hashtag":
        return "ignored: featured hashtags are not kept"
    target = featured_target(activity.raw)
    account = await account_for_uri(services, activity.actor)
    if not account.featured_url and target is not None:
        # Stored before its collection was (or it was added since): its document says.
        account = await account_for_uri(services, activity.actor, refresh=True)
    if account.is_local or not is_featured_of(account, target):
        return "ignored: not the actor's featured collection"
    return account


async def on_add(services: Services, activity: ParsedActivity) -> str:
    """A remote account pinned one of its posts."""
    account = await _owner(services, activity)
    if isinstance(account, str):
        return account
    if activity.object_id is None:
        return "ignored: nothing to pin"
    status = await pinnable_status(services, account, FeaturedItem(activity.object_id,
                                                                   activity.object))
    if status is None:
        return "ignored: not a post of the actor's"
    async with services.db.writer.begin() as session:
        if await pin_queries.pin_of(session, account.id, status.id) is not None:
            return "ignored: already pinned"
        if await pin_queries.count_of(session, account.id) >= MAX_REMOTE_PINS:
            return "ignored: too many pins"
        await pin_queries.add(session, account.id, status.id)
    return "pinned"


async def on_remove(services: Services, activity: ParsedActivity) -> str:
    """A remote account unpinned one of its posts."""
    if await known_account(services, activity.actor) is None:
        return "ignored: unknown account"
    account = await _owner(services, activity)
    if isinstance(account, str):
        return account
    async with services.db.writer.begin() as session:
        status = await status_queries.by_uri(session, activity.object_id or "")
        if status is None or status.account_id != account.id:
            return "ignored: not a post of the actor's"
        if not await pin_queries.remove(session, account.id, status.id):
            return "ignored: not pinned"
    return "unpinned"
