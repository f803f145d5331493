"""What the inbound activity modules (notes, likes, boosts, follows, blocks) share: reading
a remote audience, and finding the status or account an activity names."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.vocab import PUBLIC
from server.services.context import Services
from server.services.federation import remote
from server.services.federation.inbound import batch_lookups
from server.services.social import notifications
from server.services.streaming.publish import deleted, queue_event
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import Account, Status

PUBLIC_VISIBILITIES = ("public", "unlisted")


def visibility_of(to: list[str], cc: list[str], followers_url: str | None) -> str:
    """Mastodon's reading of addressing: Public in `to` -> public, in `cc` -> unlisted; the
    author's followers collection -> private (followers only); anything else -> direct."""
    if PUBLIC in to:
        return "public"
    if PUBLIC in cc:
        return "unlisted"
    if followers_url and followers_url in (*to, *cc):
        return "private"
    return "direct"


async def live_status(session: AsyncSession, uri: str | None) -> Status | None:
    """A status (not a boost, not deleted) by its id."""
    if not uri:
        return None
    status = await status_queries.by_uri(session, uri)
    if status is None or status.deleted_at is not None or status.reblog_of_id is not None:
        return None
    return status


async def actor_account(services: Services, uri: str) -> Account:
    """remote.account_for_uri, answered from the batch's lookups when they hold a copy that
    needs no refetch."""
    account = batch_lookups.fresh_account(uri)
    return account if account is not None else await remote.account_for_uri(services, uri)


async def known_account(services: Services, uri: str) -> Account | None:
    """For Delete and Undo: an author we never stored has nothing here to take back."""
    looked, account = batch_lookups.known_account(uri)
    if looked:
        return account
    async with services.db.reader() as session:
        return await account_queries.account_by_uri(session, uri)


async def local_target(session: AsyncSession, uri: str | None) -> Account | None:
    """The local person a Follow or Block names (not the instance actor, not deleted or
    suspended)."""
    if not uri:
        return None
    account = await account_queries.account_by_uri(session, uri)
    if account is None or not account.is_local or account.actor_type == "Application" \
            or account.deleted_at is not None or account.suspended_at is not None:
        return None
    return account


async def remove_boost(session: AsyncSession, boost: Status) -> str:
    """Undo of an Announce, or a Delete some servers send for a boost: the row goes, the
    boosted status's counter moves back and its author's notification of it goes."""
    assert boost.reblog_of_id is not None
    await status_queries.delete_boost(session, boost.id)
    queue_event(session, deleted(boost))
    await status_queries.increment(session, boost.reblog_of_id, "reblogs_count", -1)
    await notifications.withdraw(session, boost.account_id, notifications.REBLOG,
                                 boost.reblog_of_id)
    return "boost undone"
