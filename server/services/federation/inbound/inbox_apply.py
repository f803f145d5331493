"""Applying a stored activity (the `inbox.apply` job), by activity type and object type.

What the signer does not own is never trusted from the body: a forwarded activity (signer is
not the actor) is refetched from its id at its origin, and an embedded object from a third
host is refetched from its own origin; when that fails the activity is dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
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
    batch_lookups,
    blocks,
    boosts,
    featured,
    follows,
    interaction_answers,
    interaction_requests,
    like_batch,
    likes,
    notes,
)
from server.services.federation.inbound import quotes as quote_activities
from server.services.federation.remote import RemoteError, fetch_document, store_actor
from server.services.moderation.domain_policy import DomainRules
from server.services.moderation.reports import on_flag
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import inbox as inbox_store
from storage import quotes as quote_queries
from storage import statuses as status_queries
from storage.models import InboxActivity

log = logging.getLogger(__name__)

Handler = Callable[[Services, ParsedActivity], Awaitable[str]]
# What an Accept or Reject may answer besides a QuoteRequest: a follow, or an interaction
# request (inlined as the request, or as the interaction when it came without a request).
ANSWERABLE = frozenset({"", "Follow", *BY_REQUEST, "Like", "Announce", *NOTE_TYPES})


async def apply_many(services: Services,
                     inbox_activity_ids: Sequence[int]) -> list[str | Exception]:
    """Apply stored activities (one `inbox.apply` job each, run as a batch); returns
    per activity what became of it, or what it raised (its job is retried alone).

    The queue work around the activities is shared: one read for all the rows and one commit
    marking them all, instead of one of each per activity, which cost more than applying a
    typical activity. So is what nearly every activity reads first: its actor's account and,
    for a Like or Announce, the post of ours it names (batch_lookups). Each activity is
    still applied on its own, with the handlers' own
    transactions, so one that fails changes nothing of the others. A crash before the shared
    mark leaves the rows `received` and their jobs leased, so they are applied again: the
    handlers are idempotent, as they were when a crash fell between applying and marking.
    """
    async with services.db.reader() as session:
        rows = await inbox_store.get_many(session, inbox_activity_ids)
        lookups = await batch_lookups.prefetch(
            session, services.config.base_url,
            ((row.actor_uri, row.body) for row in rows.values()
             if row.state == "received" and row.body is not None))
    rules = await services.domains.rules()
    results: dict[int, str | Exception] = {}
    marks: list[inbox_store.Outcome] = []

    async def apply_in_order(row_ids: list[int]) -> None:
        for row_id in row_ids:
            row = rows.get(row_id)
            if row is None or row.state != "received" or row.body is None:
                results[row_id] = "already processed"
                continue
            try:
                outcome, state = await _apply_row(services, rules, row)
            except Exception as exc:
                results[row_id] = exc
                continue
            finally:
                # What the batch read of the actor may be changed now: its next activity reads.
                batch_lookups.forget(row.actor_uri)
            results[row_id] = outcome
            # Outcomes may quote remote text (an error message): made storable first.
            marks.append(inbox_store.Outcome(row_id, state, clean_text(outcome)))

    # One actor's activities in the order received (a Follow before its Undo); different
    # actors' side by side, as separate jobs always were: a batch applied one activity at a
    # time waited on each one's database round trips in turn.
    by_actor: dict[str, list[int]] = {}
    for row_id in inbox_activity_ids:
        row = rows.get(row_id)
        by_actor.setdefault(row.actor_uri if row is not None else "", []).append(row_id)
    with batch_lookups.using(lookups):
        # On SQLite, the Likes that wait on nothing first, together (like_batch says why).
        quiet = like_batch.take_quiet_likes(services, rules, rows, by_actor)
        if quiet:
            await like_batch.write_likes(services, quiet, results, marks)
        await asyncio.gather(*(apply_in_order(ids) for ids in by_actor.values() if ids))
    outcomes = [results[row_id] for row_id in inbox_activity_ids]
    if marks:
        async with services.db.writer.begin() as session:
            await inbox_store.mark_many(session, marks)
    for row_id, result in zip(inbox_activity_ids, outcomes, strict=True):
        if isinstance(result, str) and row_id in rows:
            log.info("inbox activity %s: %s", rows[row_id].activity_id, result)
    return outcomes


async def _apply_row(services: Services, rules: DomainRules,
                     row: InboxActivity) -> tuple[str, str]:
    """(outcome, state to mark) for one received row."""
    assert row.body is not None
    try:
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
        return outcome, "ignored" if outcome.startswith("ignored") else "applied"
    except Dropped as exc:
        return f"dropped: {exc}", "ignored"


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
