"""Inbound `Like` and `Undo` of a Like: a remote account favourites one of our statuses
(Misskey's emoji reactions arrive as Likes too). Reached through inbox_apply's dispatch;
idempotent on the Like's id, the counter moving with the row in one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.interaction_policy import LIKE
from activitypub.parse import ParsedActivity, object_id, same_origin
from server.services.context import Services
from server.services.federation.inbound import batch_lookups
from server.services.federation.inbound.common import (
    actor_account,
    known_account,
    live_status,
)
from server.services.social import notifications
from server.services.statuses.interaction_policy import Permission
from server.services.statuses.interaction_requests import screen
from server.services.statuses.visibility import can_see
from storage import favourites as favourite_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def on_like(services: Services, activity: ParsedActivity) -> str:
    """A like of one of our posts (Misskey's emoji reactions arrive as Likes too)."""
    if not activity.object_id or not same_origin(activity.object_id, services.config.base_url):
        return "ignored: not a like of a local post"
    if batch_lookups.missing_local_post(activity.object_id):
        return "ignored: no such local post"  # as _likeable says, without another read
    liker = await actor_account(services, activity.actor)
    # Most refusals (a gone post, a repeat) are decided before the one writer (SQLite's single
    # connection) is taken: from the batch's read when it looked, else on a reader.
    known = batch_lookups.like_known(activity.id, liker.id,
                                     batch_lookups.batch_post(activity.object_id))
    if known:
        return "ignored: already liked"
    if known is None:
        async with services.db.reader() as session:
            _, refusal = await _likeable(session, activity, liker)
        if refusal is not None:
            return refusal
    async with services.db.writer.begin() as session:
        return await write_like(services, session, activity, liker)


async def write_like(services: Services, session: AsyncSession, activity: ParsedActivity,
                     liker: Account) -> str:
    """Store the like in the writer's `session`, checking again (or first) there everything
    that refuses it: it may have moved since it was read."""
    status, refusal = await _likeable(session, activity, liker)
    if status is None or refusal is not None:
        return refusal or "ignored: no such local post"
    permission = await screen(services, session, status, liker, LIKE, activity.id,
                              body=activity.raw)
    if permission is Permission.FORBIDDEN:
        return "ignored: dropping unpermitted like (the post's policy forbids it)"
    if permission is Permission.MANUAL:
        return "queued: the like waits for its author's approval"
    if not await favourite_queries.insert(session, liker.id, status.id, activity.id):
        return "ignored: already liked"  # by a Like applied beside this one
    await status_queries.increment(session, status.id, "favourites_count", 1)
    # can_see checked in this transaction that the author does not block the liker.
    await notifications.notify(session, status.account_id, liker.id,
                               notifications.FAVOURITE, status.id, block_checked=True)
    return "liked"


async def _likeable(session: AsyncSession, activity: ParsedActivity,
                    liker: Account) -> tuple[Status | None, str | None]:
    """The liked post, or why the like is ignored."""
    status = await live_status(session, activity.object_id or "")
    if status is None or not status.local:
        return None, "ignored: no such local post"
    if not await can_see(session, status, liker):
        # As a local reader gets 404: a post it may not see does not exist for it.
        return None, "ignored: no such local post"
    if await favourite_queries.liked(session, liker.id, status.id, activity.id):
        return None, "ignored: already liked"
    return status, None


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
