"""Inbound `Announce` and `Undo` of an Announce: a remote account boosts one of our
statuses, or a remote status someone here follows it for. Reached through inbox_apply's
dispatch; idempotent on the Announce's id, the counter moving with the row."""

from __future__ import annotations

from activitypub.interaction_policy import ANNOUNCE
from activitypub.parse import ParsedActivity, object_id, published_at, same_origin
from activitypub.parse_note import audience
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound import batch_lookups
from server.services.federation.inbound.common import (
    PUBLIC_VISIBILITIES,
    actor_account,
    known_account,
    live_status,
    remove_boost,
    visibility_of,
)
from server.services.federation.inbound.dates import clamped, id_dated
from server.services.federation.inbound.notes import store_remote_note
from server.services.federation.remote import RemoteError, RemoteGone, account_for_uri
from server.services.social import notifications
from server.services.statuses.interaction_policy import Permission
from server.services.statuses.interaction_requests import screen
from server.services.statuses.visibility import can_see
from server.services.streaming.publish import queue_event, status_event
from storage import follows as follow_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def on_announce(services: Services, activity: ParsedActivity) -> str:
    """A boost of one of our posts, or of a remote post by someone followed here. A post we
    do not have is fetched from its origin when the booster is followed here."""
    booster = await actor_account(services, activity.actor)
    visibility = visibility_of(audience(activity.raw.get("to")), audience(activity.raw.get("cc")),
                               booster.followers_url)
    if visibility == "direct":
        return "ignored: a boost addressed to nobody"
    if batch_lookups.missing_local_post(activity.object_id or ""):
        return "ignored: boost of a post we do not have"  # without taking the writer
    await _fetch_boosted(services, activity, booster)
    async with services.db.writer.begin() as session:
        if await status_queries.by_uri(session, activity.id) is not None:
            return "ignored: boost already stored"
        target = await live_status(session, activity.object_id)
        if target is None:
            return "ignored: boost of a post we do not have"
        if not target.local and not await follow_queries.followed_locally(session, booster.id):
            return "ignored: boost of a remote post by someone nobody here follows"
        if target.visibility not in PUBLIC_VISIBILITIES and target.account_id != booster.id:
            return "ignored: a non-public post cannot be boosted"
        if target.local and not await can_see(session, target, booster):
            return "ignored: boost of a post the booster cannot see"  # its author blocks it
        if await status_queries.boost_of(session, booster.id, target.id) is not None:
            return "ignored: already boosted"
        if target.local:
            permission = await screen(services, session, target, booster, ANNOUNCE,
                                      activity.id, body=activity.raw)
            if permission is Permission.FORBIDDEN:
                return "ignored: dropping unpermitted boost (the post's policy forbids it)"
            if permission is Permission.MANUAL:
                return "queued: the boost waits for its author's approval"
        # Dated by the Announce's `published`, as Mastodon's Activity::Announce does, never
        # in the future (ids sort by it).
        published = published_at(activity.raw)
        at = clamped(published)
        boost = Status(id=id_dated(published), uri=activity.id, account_id=booster.id,
                       local=False, visibility=visibility, reblog_of_id=target.id, created_at=at)
        session.add(boost)
        await session.flush()
        queue_event(session, await status_event(session, "update", boost))
        await status_queries.increment(session, target.id, "reblogs_count", 1)
        if target.local:
            await notifications.notify(session, target.account_id, booster.id,
                                       notifications.REBLOG, target.id)
    return "boosted"


async def _fetch_boosted(services: Services, activity: ParsedActivity,
                         booster: Account) -> None:
    """Fetch and store the boosted post when we lack it and someone here follows the
    booster (whose followers then see it, whoever wrote it)."""
    uri = activity.object_id
    if not uri or same_origin(uri, services.config.base_url):
        return
    async with services.db.reader() as session:
        if await status_queries.by_uri(session, uri) is not None \
                or not await follow_queries.followed_locally(session, booster.id):
            return
    try:
        note = await fetch_posts.fetch_note(services, uri)
        author = await account_for_uri(services, note.attributed_to)
    except RemoteGone:
        return
    except RemoteError as exc:
        raise Dropped(f"the boosted post could not be fetched: {exc}") from None
    await store_remote_note(services, note, author, fetched=True)


async def on_undo_announce(services: Services, activity: ParsedActivity) -> str:
    """`Undo` of an Announce, embedded (by its id, else by actor and post) or by id."""
    actor = await known_account(services, activity.actor)
    if actor is None:
        return "ignored: unknown actor"
    inner = activity.object or {}
    async with services.db.writer.begin() as session:
        boost = await status_queries.by_uri(session, activity.object_id or "")
        if (boost is None or boost.reblog_of_id is None) and inner:
            target = await status_queries.by_uri(session, object_id(inner.get("object")) or "")
            boost = await status_queries.boost_of(session, actor.id, target.id) \
                if target else None
        if boost is None or boost.reblog_of_id is None or boost.account_id != actor.id:
            return "ignored: no such boost"
        return await remove_boost(session, boost)
