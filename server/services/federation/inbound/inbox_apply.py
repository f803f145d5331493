"""Applying a stored activity (the `inbox.apply` job), by activity type and object type.

What the signer does not own is never trusted from the body: a forwarded activity (signer is
not the actor) is refetched from its id at its origin, and an embedded object from a third
host is refetched from its own origin; when that fails the activity is dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from activitypub.interaction_policy import BY_REQUEST
from activitypub.parse import (
    ParsedActivity,
    ParseError,
    clean_text,
    first_type,
    object_id,
    parse_activity,
    parse_actor,
    same_origin,
)
from activitypub.parse_note import NOTE_TYPES
from activitypub.vocab import ACTOR_TYPES
from server.services.accounts import account_deletion, moves
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation.inbound import (
    blocks,
    boosts,
    featured,
    follows,
    interaction_answers,
    interaction_requests,
    likes,
    notes,
)
from server.services.federation.inbound import quotes as quote_activities
from server.services.federation.remote import RemoteError, fetch_document, store_actor
from server.services.moderation.reports import on_flag
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import inbox as inbox_store
from storage import quotes as quote_queries
from storage import statuses as status_queries

log = logging.getLogger(__name__)

Handler = Callable[[Services, ParsedActivity], Awaitable[str]]
# What an Accept or Reject may answer besides a QuoteRequest: a follow, or an interaction
# request (inlined as the request, or as the interaction when it came without a request).
ANSWERABLE = frozenset({"", "Follow", *BY_REQUEST, "Like", "Announce", *NOTE_TYPES})


async def apply(services: Services, inbox_activity_id: int) -> str:
    async with services.db.reader() as session:
        row = await inbox_store.get(session, inbox_activity_id)
    if row is None or row.state != "received" or row.body is None:
        return "already processed"
    try:
        rules = await services.domains.rules()
        if rules.actor_refused(row.actor_uri) or (
                row.signer_uri is not None and rules.actor_refused(row.signer_uri)):
            # Received before its server (or itself) was suspended here.
            raise Dropped("the actor or its server is suspended on this instance")
        if row.inbox_account_id is None and not await concerns_us(services, row.body,
                                                                  row.actor_uri):
            raise Dropped("shared-inbox activity concerns no local or followed account")
        activity = await trusted_activity(services, row.body, row.signer_uri)
        handler = _handler_for(activity)
        outcome = await handler(services, activity) if handler else \
            f"ignored: {activity.type}/{activity.object_type or '-'} is not handled"
        state = "ignored" if outcome.startswith("ignored") else "applied"
    except Dropped as exc:
        outcome, state = f"dropped: {exc}", "ignored"
    async with services.db.writer.begin() as session:
        # Outcomes may quote remote text (an error message): made storable first.
        await inbox_store.mark(session, inbox_activity_id, state, clean_text(outcome))
    log.info("inbox activity %s: %s", row.activity_id, outcome)
    return outcome


async def concerns_us(services: Services, body: dict[str, Any], actor_uri: str) -> bool:
    """Shared-inbox activities are kept only when they name something of ours (an actor,
    a post, an addressee), come from an account with a follow relationship here, or act on
    a remote object we keep (the Delete of a reply to one of our posts names only the reply)."""
    if services.config.base_url + "/" in json.dumps(body):
        return True
    async with services.db.reader() as session:
        target = object_id(body.get("object"))
        if first_type(body) in ("Delete", "Update") and target == actor_uri:
            # An actor deleting or updating itself concerns every server that stores it.
            return await account_queries.account_by_uri(session, actor_uri) is not None
        if await follow_queries.has_follow_involving(session, actor_uri):
            return True
        # The revocation of a quote's stamp (FEP-044f) names only the stamp.
        return target is not None and (await status_queries.holds(session, target)
                                       or await quote_queries.stamp_held(session, target))


async def trusted_activity(services: Services, body: dict[str, Any],
                           signer_uri: str | None) -> ParsedActivity:
    activity = parse_activity(body)
    if signer_uri != activity.actor or not same_origin(activity.id, activity.actor):
        activity = await _refetch_activity(services, activity)
    if activity.object and activity.object_id and not (
            same_origin(activity.object_id, activity.actor)
            or same_origin(activity.object_id, services.config.base_url)):
        activity = await _refetch_object(services, activity)
    return activity


async def _refetch_activity(services: Services, claimed: ParsedActivity) -> ParsedActivity:
    """A forwarded activity: believe only the copy its origin serves."""
    if not same_origin(claimed.id, claimed.actor):
        raise Dropped("activity id and actor are on different origins")
    try:
        doc, final_url = await fetch_document(services, claimed.id)
        fetched = parse_activity(doc)
    except (RemoteError, ParseError) as exc:
        raise Dropped(f"forwarded activity could not be confirmed at its origin: {exc}") \
            from None
    if fetched.id != claimed.id or fetched.actor != claimed.actor \
            or not same_origin(final_url, claimed.id):
        raise Dropped("the origin serves a different activity under that id")
    return fetched


async def _refetch_object(services: Services, activity: ParsedActivity) -> ParsedActivity:
    assert activity.object_id is not None
    try:
        doc, final_url = await fetch_document(services, activity.object_id)
    except RemoteError as exc:
        raise Dropped(f"embedded object could not be fetched from its origin: {exc}") \
            from None
    if doc.get("id") != activity.object_id or not same_origin(final_url, activity.object_id):
        raise Dropped("the object's origin serves something else under its id")
    return parse_activity({**activity.raw, "object": doc})


def _handler_for(activity: ParsedActivity) -> Handler | None:
    object_type = activity.object_type
    if activity.type == "Undo":
        return {"Follow": follows.on_undo_follow, "Block": blocks.on_undo_block,
                "Like": likes.on_undo_like,
                "Announce": boosts.on_undo_announce, "": _undo_by_id}.get(object_type)
    if activity.type == "Delete" and (activity.object_id == activity.actor
                                      or object_type in ACTOR_TYPES):
        return on_actor_deleted
    if activity.type == "Update" and object_type in ACTOR_TYPES:
        return on_actor_updated
    if activity.type in ("Accept", "Reject") and object_type == "QuoteRequest":
        return quote_activities.on_answer
    if activity.type in ("Accept", "Reject") and object_type not in ANSWERABLE:
        return None
    return HANDLERS.get(activity.type)


async def _undo_by_id(services: Services, activity: ParsedActivity) -> str:
    """`Undo` naming its object by id only: whichever of our records has that id."""
    outcome = "ignored: nothing to undo"
    for undo in (follows.on_undo_follow, blocks.on_undo_block, likes.on_undo_like,
                 boosts.on_undo_announce):
        outcome = await undo(services, activity)
        if not outcome.startswith("ignored"):
            break
    return outcome


async def _on_delete(services: Services, activity: ParsedActivity) -> str:
    """A Delete of a quote authorization (FEP-044f's revocation) or of a post."""
    return await quote_activities.on_authorization_deleted(services, activity) \
        or await notes.on_delete(services, activity)


async def _on_accept_or_reject(services: Services, activity: ParsedActivity) -> str:
    """An Accept/Reject naming its object by id: one of our QuoteRequests, or a Follow."""
    outcome = await quote_activities.on_answer(services, activity)
    if not outcome.startswith("ignored"):
        return outcome
    # Else one of our users' replies, boosts or likes waiting for approval, or a Follow.
    answer = interaction_answers.on_accept if activity.type == "Accept" \
        else interaction_answers.on_reject
    return await answer(services, activity)


async def on_actor_deleted(services: Services, activity: ParsedActivity) -> str:
    """The account is gone at its origin: remove it and everything of it here."""
    if activity.object_id != activity.actor:
        raise Dropped("an actor can only delete itself")
    async with services.db.writer.begin() as session:
        account = await account_queries.account_by_uri(session, activity.actor)
        if account is None or account.is_local:
            return "ignored: unknown account"
        if account.deleted_at is not None:
            return "ignored: already deleted"
        # Gone from every view now; the account.purge job removes its posts, likes,
        # notifications and cached media files.
        await account_deletion.hide_remote_account(session, account)
    services.keys.invalidate_owner(activity.actor)
    return "account deleted"


async def on_actor_updated(services: Services, activity: ParsedActivity) -> str:
    if activity.object_id != activity.actor:
        raise Dropped("an actor can only update itself")
    try:
        actor = parse_actor(activity.object, fetched_from=activity.actor)
    except ParseError as exc:
        raise Dropped(f"bad actor in Update: {exc}") from None
    await store_actor(services, actor)
    return "profile updated"


HANDLERS: dict[str, Handler] = {
    "Follow": follows.on_follow,
    "Accept": _on_accept_or_reject,
    "Reject": _on_accept_or_reject,
    # Quote posts (FEP-044f, Mastodon's ActivityPub::Activity::QuoteRequest).
    "QuoteRequest": quote_activities.on_quote_request,
    "Block": blocks.on_block,
    # Statuses (any Create/Update/Delete not about an actor: the handlers ignore non-notes).
    "Create": notes.on_create,
    "Update": notes.on_update,
    "Delete": _on_delete,
    "Like": likes.on_like,
    # GoToSocial's interaction requests for our posts.
    **dict.fromkeys(BY_REQUEST, interaction_requests.on_request),
    "Announce": boosts.on_announce,
    # Reports from other servers about our accounts (Mastodon's ActivityPub::Activity::Flag).
    "Flag": on_flag,
    # Account migration (Mastodon's ActivityPub::Activity::Move).
    "Move": moves.on_move,
    # Pins: Add/Remove to the actor's featured collection (Mastodon's Add and Remove).
    "Add": featured.on_add,
    "Remove": featured.on_remove,
}
