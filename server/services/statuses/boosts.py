"""A local account boosts a status (ours or a stored remote one), and takes it back. On the
wire a boost is an `Announce`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import builders
from activitypub.documents import AS_PUBLIC
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.outbound import delivery
from server.services.social.notifications import notify
from server.services.statuses.targets import actor_and_target, author_inboxes
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status
from storage.types import utcnow


def _announce(services: Services, boost: Status, actor: Account, status: Status,
              author: Account) -> dict[str, Any]:
    """Mastodon's shape: to Public, cc the booster's followers and the boosted author."""
    return builders.wrap("Announce", f"{boost.uri}/activity", actor.uri, status.uri,
                         to=[AS_PUBLIC], cc=[services.urls.followers(actor.username),
                                             author.uri])


async def _boost_inboxes(session: AsyncSession, actor: Account, author: Account) -> list[str]:
    """A boost goes to the booster's followers and to the boosted author."""
    return [*await follow_queries.follower_inboxes(session, actor.id), *author_inboxes(author)]


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
        await status_queries.increment(session, status.id, "reblogs_count")
        if author.is_local:
            await notify(session, author.id, actor.id, "reblog", status.id)
        announce = _announce(services, row, actor, status, author)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id, announce, inboxes)


async def unboost(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await actor_and_target(session, username, ref)
        row = await status_queries.boost_of(session, actor.id, status.id)
        if row is None:
            raise NotFound("you have not boosted that post")
        row.deleted_at = utcnow()
        await status_queries.increment(session, status.id, "reblogs_count", -1)
        announce = _announce(services, row, actor, status, author)
        inboxes = await _boost_inboxes(session, actor, author)
        await delivery.publish(session, actor.id,
                               builders.undo(f"{announce['id']}/undo", actor.uri, announce),
                               inboxes)
