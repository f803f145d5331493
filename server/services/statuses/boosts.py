"""A local account boosts a status (ours or a stored remote one), and takes it back. On the
wire a boost is an `Announce`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from server.render import to_activitypub
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.outbound import delivery
from server.services.social.notifications import REBLOG, notify, withdraw
from server.services.statuses.targets import actor_and_target
from server.services.streaming.publish import deleted, queue_event, status_event
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.types import utcnow


async def _boost_inboxes(session: AsyncSession, actor: Account, author: Account) -> list[str]:
    """A boost goes to the booster's followers and to the boosted author, through its shared
    inbox when it has one: one POST to a server where the author is also a follower
    (Mastodon's StatusReachFinder reaches the reblogged account through Account.inboxes)."""
    author_inbox = [] if author.is_local else [delivery.preferred_inbox(author)]
    followers = await follow_queries.follower_inboxes(session, actor.id)
    return list(dict.fromkeys([*followers, *author_inbox]))


async def boost(services: Services, username: str, ref: str) -> None:
    """An Announce to our followers and to the author; only public and unlisted posts."""
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref)
        if await status_queries.boost_of(session, actor.id, status.id) is not None:
            return
        row = Status(uri="", account_id=actor.id, local=True, visibility="public",
                     reblog_of_id=status.id)
        session.add(row)
        await session.flush()
        row.uri = services.urls.status(actor.username, row.id)
        queue_event(session, await status_event(session, "update", row))
        await status_queries.increment(session, status.id, "reblogs_count")
        if author.is_local:
            await notify(session, author.id, actor.id, "reblog", status.id)
        announce = to_activitypub.announce(row, actor, status, author, services.config)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id, announce, inboxes)


async def unboost(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref)
        row = await status_queries.boost_of(session, actor.id, status.id)
        if row is None:
            raise NotFound("you have not boosted that post")
        row.deleted_at = utcnow()
        queue_event(session, deleted(row))
        await status_queries.increment(session, status.id, "reblogs_count", -1)
        await withdraw(session, actor.id, REBLOG, status.id)
        undo = to_activitypub.undo_announce(row, actor, status, author, services.config)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id, undo, inboxes)
