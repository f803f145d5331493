"""A local user likes or boosts a post (ours or a stored remote one), and takes it back."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub import builders
from activitypub.documents import AS_PUBLIC
from server.services.context import Services
from server.services.errors import Conflict, NotFound
from server.services.federation.outbound import delivery
from server.services.moderation.moderation_checks import ensure_not_suspended
from server.services.social.notifications import notify
from storage import accounts as account_queries
from storage import favourites as favourite_queries
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Favourite, Status
from storage.types import utcnow


async def _actor_and_target(session: AsyncSession, username: str,
                            ref: str) -> tuple[Account, Status, Account]:
    actor = await account_queries.local_account_by_username(session, username)
    if actor is None or actor.actor_type == "Application" or actor.deleted_at:
        raise NotFound(f"no local account named {username!r}")
    await ensure_not_suspended(session, actor.id)
    status = await status_queries.by_id(session, int(ref)) if ref.isdigit() \
        else await status_queries.by_uri(session, ref)
    if status is None or status.deleted_at is not None or status.reblog_of_id is not None:
        raise NotFound(f"no post {ref}")
    author = await account_queries.account_by_id(session, status.account_id)
    if author is None:
        raise NotFound(f"no post {ref}")
    if status.visibility in ("private", "direct") and author.id != actor.id:
        raise Conflict("followers-only and direct posts cannot be liked or boosted here")
    return actor, status, author


def _inboxes(author: Account) -> list[str]:
    return [] if author.is_local else [delivery.personal_inbox(author)]


async def like(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await _actor_and_target(session, username, ref)
        if await favourite_queries.favourite_by(session, actor.id, status.id) is not None:
            return
        favourite = Favourite(account_id=actor.id, status_id=status.id)
        session.add(favourite)
        await session.flush()
        favourite.uri = f"{actor.uri}#likes/{favourite.id}"
        await status_queries.increment(session, status.id, "favourites_count")
        if author.is_local:
            await notify(session, author.id, actor.id, "favourite", status.id)
        await delivery.publish(session, actor.id,
                               builders.like(favourite.uri, actor.uri, status.uri),
                               _inboxes(author))


async def unlike(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await _actor_and_target(session, username, ref)
        favourite = await favourite_queries.favourite_by(session, actor.id, status.id)
        if favourite is None:
            raise NotFound("you have not liked that post")
        await session.delete(favourite)
        await status_queries.increment(session, status.id, "favourites_count", -1)
        liked = builders.like(favourite.uri or "", actor.uri, status.uri)
        await delivery.publish(session, actor.id,
                               builders.undo(f"{liked['id']}/undo", actor.uri, liked),
                               _inboxes(author))


def _announce(services: Services, boost: Status, actor: Account, status: Status,
              author: Account) -> dict[str, Any]:
    """Mastodon's shape: to Public, cc the booster's followers and the boosted author."""
    return builders.wrap("Announce", f"{boost.uri}/activity", actor.uri, status.uri,
                         to=[AS_PUBLIC], cc=[services.urls.followers(actor.username),
                                             author.uri])


async def boost(services: Services, username: str, ref: str) -> None:
    """An Announce to our followers and to the author; only public and unlisted posts."""
    async with services.db.writer.begin() as session:
        actor, status, author = await _actor_and_target(session, username, ref)
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
        inboxes = [*await follow_queries.follower_inboxes(session, actor.id), *_inboxes(author)]
        await delivery.publish(session, actor.id, announce, inboxes)


async def unboost(services: Services, username: str, ref: str) -> None:
    async with services.db.writer.begin() as session:
        actor, status, author = await _actor_and_target(session, username, ref)
        row = await status_queries.boost_of(session, actor.id, status.id)
        if row is None:
            raise NotFound("you have not boosted that post")
        row.deleted_at = utcnow()
        await status_queries.increment(session, status.id, "reblogs_count", -1)
        announce = _announce(services, row, actor, status, author)
        inboxes = [*await follow_queries.follower_inboxes(session, actor.id), *_inboxes(author)]
        await delivery.publish(session, actor.id,
                               builders.undo(f"{announce['id']}/undo", actor.uri, announce),
                               inboxes)
