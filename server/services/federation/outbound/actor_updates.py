"""An `Update` of a local actor, sent to its followers' servers whenever what they store of it
changes: its profile, its aliases and move (alsoKnownAs, movedTo), its suspension. Mastodon
sends the same from UpdateDistributionWorker (id `<actor>#updates/<time>`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.render import to_activitypub
from server.services.accounts.bio import bio_mentions
from server.services.context import Services
from server.services.federation.outbound import delivery
from server.services.streaming.publish import queue_account_changed
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage.ids import new_id
from storage.models import Account
from storage.types import utcnow


async def send_actor_update(services: Services, session: AsyncSession,
                            account: Account) -> None:
    """Queue the Update of `account` (a local one) to its followers' inboxes, in `session`'s
    transaction, so it goes out exactly when the change is committed."""
    await session.flush()
    # Every web process drops its rendered actor, WebFinger and pages of it at the commit.
    queue_account_changed(session, account.id)
    key = await account_queries.public_key(session, account.id)
    if key is None:
        raise RuntimeError(f"local account {account.uri} has no key")
    activity = to_activitypub.actor_update(
        account, key, services.config, at=utcnow(), serial=new_id(),
        mentions=await bio_mentions(session, account.note, services.config))
    await delivery.publish(session, account.id, activity,
                           await follow_queries.follower_inboxes(session, account.id),
                           rules=await services.domains.rules())
