"""Inbound `Like` and `Undo` of a Like: a remote account favourites one of our statuses
(Misskey's emoji reactions arrive as Likes too). Reached through inbox_apply's dispatch;
idempotent on the Like's id, the counter moving with the row in one transaction."""

from __future__ import annotations

from activitypub.interaction_policy import LIKE
from activitypub.parse import ParsedActivity, object_id, same_origin
from server.services.context import Services
from server.services.federation.inbound.common import known_account, live_status
from server.services.federation.remote import account_for_uri
from server.services.social import notifications
from server.services.statuses.interaction_policy import Permission
from server.services.statuses.interaction_requests import screen
from server.services.statuses.visibility import can_see
from storage import favourites as favourite_queries
from storage import statuses as status_queries
from storage.models import Favourite


async def on_like(services: Services, activity: ParsedActivity) -> str:
    """A like of one of our posts (Misskey's emoji reactions arrive as Likes too)."""
    if not activity.object_id or not same_origin(activity.object_id, services.config.base_url):
        return "ignored: not a like of a local post"
    liker = await account_for_uri(services, activity.actor)
    async with services.db.writer.begin() as session:
        status = await live_status(session, activity.object_id)
        if status is None or not status.local:
            return "ignored: no such local post"
        if not await can_see(session, status, liker):
            # As a local reader gets 404: a post it may not see does not exist for it.
            return "ignored: no such local post"
        if await favourite_queries.favourite_by(session, liker.id, status.id) is not None \
                or await favourite_queries.favourite_by_uri(session, activity.id) is not None:
            return "ignored: already liked"
        permission = await screen(services, session, status, liker, LIKE, activity.id,
                                  body=activity.raw)
        if permission is Permission.FORBIDDEN:
            return "ignored: dropping unpermitted like (the post's policy forbids it)"
        if permission is Permission.MANUAL:
            return "queued: the like waits for its author's approval"
        session.add(Favourite(account_id=liker.id, status_id=status.id, uri=activity.id))
        await session.flush()
        await status_queries.increment(session, status.id, "favourites_count", 1)
        await notifications.notify(session, status.account_id, liker.id,
                                   notifications.FAVOURITE, status.id)
    return "liked"


async def on_undo_like(services: Services, activity: ParsedActivity) -> str:
    """`Undo` of a Like, embedded (found by its id, else by actor and post) or by id."""
    actor = await known_account(services, activity.actor)
    if actor is None:
        return "ignored: unknown actor"
    inner = activity.object or {}
    async with services.db.writer.begin() as session:
        like = await favourite_queries.favourite_by_uri(session, activity.object_id or "")
        if like is None and inner:
            status = await status_queries.by_uri(session, object_id(inner.get("object")) or "")
            like = await favourite_queries.favourite_by(session, actor.id, status.id) \
                if status else None
        if like is None or like.account_id != actor.id:
            return "ignored: no such like"
        await favourite_queries.delete_favourite(session, like.id)
        await status_queries.increment(session, like.status_id, "favourites_count", -1)
        await notifications.withdraw(session, actor.id, notifications.FAVOURITE,
                                     like.status_id)
    return "like undone"
