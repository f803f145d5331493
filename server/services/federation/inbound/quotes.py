"""Inbound quote activities (FEP-044f, as Mastodon 4.5's ActivityPub::Activity::QuoteRequest,
Accept, Reject and Delete handle them):

- `QuoteRequest` for one of our posts: the quoting post is read (inlined by its author, or
  fetched from its origin) and kept; the policy answers at once (our posts approve
  automatically or not at all): an Accept whose `result` is our QuoteAuthorization (served at
  its id), or a Reject.
- `Accept`/`Reject` of our QuoteRequest: the stamp is attached to our quote post (sent again
  as an Update), or the quote is marked rejected.
- `Delete` of a QuoteAuthorization by its author: every quote it approved is revoked.
- VERIFY (a job): a third-party quote's stamp is fetched and checked before it shows.
"""

from __future__ import annotations

import hashlib
from typing import Any

from activitypub import quotes as wire
from activitypub.parse import ParsedActivity, object_id, remote_uri, same_origin
from server.services.context import Services
from server.services.errors import Dropped
from server.services.federation import fetch_posts
from server.services.federation.inbound.common import actor_account
from server.services.federation.inbound.notes import store_remote_note
from server.services.federation.inbound.quote_links import quoted_author
from server.services.federation.outbound import delivery
from server.services.federation.remote import (
    RemoteError,
    RemoteGone,
    account_for_uri,
    fetch_document,
)
from server.services.social.notifications import QUOTE, notify
from server.services.statuses import quote_updates
from server.services.statuses.quotes import (
    ACCEPTED,
    AUTOMATIC,
    PENDING,
    REJECTED,
    REVOKED,
    authorization_uri,
    decide,
)
from server.services.streaming.publish import queue_event, status_event
from storage import accounts as account_queries
from storage import quotes as quote_queries
from storage import statuses as status_queries
from storage.models import Account, Status


async def on_quote_request(services: Services, activity: ParsedActivity) -> str:
    quoted_uri = activity.object_id
    raw_instrument = activity.raw.get("instrument")
    instrument_id = object_id(raw_instrument)
    if quoted_uri is None or instrument_id is None:
        raise Dropped("QuoteRequest names no post or no quote")
    if not same_origin(instrument_id, activity.actor):
        raise Dropped("the quote post is on another origin than the actor")
    async with services.db.reader() as session:
        quoted = await status_queries.by_uri(session, quoted_uri)
    if quoted is None or not quoted.local or quoted.deleted_at is not None:
        return "ignored: QuoteRequest for no post of ours"
    requester = await actor_account(services, activity.actor)
    quoting = await _quoting_status(services, instrument_id, raw_instrument, requester)
    async with services.db.writer.begin() as session:
        quoted = await status_queries.by_id(session, quoted.id)
        author = await account_queries.account_by_id(session, quoted.account_id) \
            if quoted else None
        if quoted is None or author is None:
            return "ignored: the post is gone"
        decision = await decide(session, quoted, requester.id)
        quote = await quote_queries.of_status(session, quoting.id) if quoting else None
        if decision.verdict != AUTOMATIC or quote is None or quote.quoted_uri != quoted.uri:
            await delivery.publish(session, author.id, wire.reject_quote_request(
                f"{author.uri}#rejects/quote_requests/{_key(activity.id)}", author.uri,
                activity.id, requester.uri, quoted.uri, instrument_id),
                [delivery.personal_inbox(requester)])
            return f"quote refused: {decision.reason or 'the post does not quote ours'}"
        quote.state, quote.activity_uri = ACCEPTED, activity.id
        quote.quoted_status_id, quote.quoted_account_id = quoted.id, author.id
        await session.flush()
        await notify(session, author.id, requester.id, QUOTE, quote.status_id)
        await delivery.publish(session, author.id, wire.accept_quote_request(
            f"{author.uri}#accepts/quote_requests/{quote.id}", author.uri, activity.id,
            requester.uri, quoted.uri, instrument_id,
            authorization_uri(services, author, quote)),
            [delivery.personal_inbox(requester)])
        if quoting is not None:
            queue_event(session, await status_event(session, "status.update", quoting))
    return "quote approved"


def _key(activity_id: str) -> str:
    """A stable fragment for a Reject's id (no row is kept for a refused quote)."""
    return hashlib.sha256(activity_id.encode()).hexdigest()[:16]


async def _quoting_status(services: Services, instrument_id: str, raw: Any,
                          requester: Account) -> Status | None:
    """The quote post: held, inlined by its author (trusted as its Create would be), or
    fetched from its origin; stored as a post fetched for a thread is."""
    async with services.db.reader() as session:
        status = await status_queries.by_uri(session, instrument_id)
    if status is not None:
        return status if status.account_id == requester.id else None
    try:
        note = fetch_posts.checked_note(raw) if isinstance(raw, dict) \
            and raw.get("id") == instrument_id else await fetch_posts.fetch_note(
                services, instrument_id)
    except (Dropped, RemoteError):
        return None
    if note.attributed_to != requester.uri:
        return None
    _, stored = await store_remote_note(services, note, requester, fetched=True)
    return stored


async def on_answer(services: Services, activity: ParsedActivity) -> str:
    """Accept or Reject of one of our QuoteRequests (embedded, or named by id)."""
    request_id = activity.object_id
    if request_id is None:
        raise Dropped(f"{activity.type} names nothing")
    async with services.db.writer.begin() as session:
        quote = await quote_queries.by_activity_uri(session, request_id)
        if quote is None:
            return f"ignored: {activity.type} of no quote request of ours"
        author = await quoted_author(session, quote)
        if author is None or author.uri != activity.actor:
            raise Dropped("only the quoted post's author may answer its quote request")
        status = await status_queries.by_id(session, quote.status_id)
        if status is None or not status.local:
            return "ignored: the quote post is gone"
        if activity.type == "Accept":
            stamp = remote_uri(object_id(activity.raw.get("result")))
            if stamp is None or not same_origin(stamp, activity.actor):
                raise Dropped("the Accept carries no authorization on its author's origin")
            if quote.state == ACCEPTED and quote.approval_uri == stamp:
                return "ignored: already approved"
            await quote_queries.set_state(session, quote.id, ACCEPTED, approval_uri=stamp)
            outcome = "quote approved by its author"
        else:
            state = REVOKED if quote.state == ACCEPTED else REJECTED
            if quote.state == state:
                return "ignored: already refused"
            await quote_queries.set_state(session, quote.id, state)
            outcome = "quote refused by its author"
        await quote_updates.publish_update(services, session, status)
    return outcome


async def on_authorization_deleted(services: Services, activity: ParsedActivity) -> str | None:
    """A Delete naming a stamp: the quotes it approved are revoked. None when the Delete
    names no stamp we hold (then it is about a post)."""
    stamp = activity.object_id
    if stamp is None:
        return None
    async with services.db.writer.begin() as session:
        quotes = await quote_queries.by_approval_uri(session, stamp)
        if not quotes:
            return None
        revoked = 0
        for quote in quotes:
            author = await quoted_author(session, quote)
            if author is None or author.uri != activity.actor or quote.state != ACCEPTED:
                continue
            await quote_queries.set_state(session, quote.id, REVOKED)
            revoked += 1
            status = await status_queries.by_id(session, quote.status_id)
            if status is not None and status.local:
                # FEP-044f: the quote post's owner forwards the news to its audience.
                await quote_updates.publish_update(services, session, status)
            elif status is not None:
                queue_event(session, await status_event(session, "status.update", status))
    if not revoked:
        raise Dropped("only the quoted post's author may revoke its quote authorization")
    return "quote authorization revoked"


async def verify(services: Services, payload: dict[str, Any]) -> str:
    """Fetch a third-party stamp and check it names this quote, the quoted post and its
    author (FEP-044f's rules, as Mastodon's VerifyQuoteService): accepted or rejected."""
    async with services.db.reader() as session:
        quote = await quote_queries.by_id(session, int(payload["quote_id"]))
        status = await status_queries.by_id(session, quote.status_id) if quote else None
    if quote is None or status is None or quote.state != PENDING or not quote.approval_uri:
        return "nothing to verify"
    if quote.quoted_status_id is None:
        await _fetch_quoted(services, quote.quoted_uri)
    try:
        doc, final_url = await fetch_document(services, quote.approval_uri)
    except RemoteGone:
        return await _settle(services, quote.id, REJECTED)  # revoked at its origin
    stamp = wire.parse_quote_authorization(doc)
    async with services.db.reader() as session:
        fresh = await quote_queries.by_id(session, quote.id)
        author = await quoted_author(session, fresh) if fresh else None
    valid = (stamp is not None and author is not None and stamp.id == quote.approval_uri
             and same_origin(final_url, stamp.id) and same_origin(stamp.id, author.uri)
             and stamp.attributed_to == author.uri and stamp.interacting_object == status.uri
             and stamp.interaction_target == quote.quoted_uri)
    return await _settle(services, quote.id, ACCEPTED if valid else REJECTED)


async def _fetch_quoted(services: Services, uri: str) -> None:
    """The quoted post, so its author is known (and its card can show)."""
    if same_origin(uri, services.config.base_url):
        return
    try:
        note = await fetch_posts.fetch_note(services, uri)
        author = await account_for_uri(services, note.attributed_to)
    except (Dropped, RemoteError):
        return
    await store_remote_note(services, note, author, fetched=True)


async def _settle(services: Services, quote_id: int, state: str) -> str:
    async with services.db.writer.begin() as session:
        await quote_queries.set_state(session, quote_id, state)
        quote = await quote_queries.by_id(session, quote_id)
        status = await status_queries.by_id(session, quote.status_id) if quote else None
        if status is not None:
            queue_event(session, await status_event(session, "status.update", status))
    return f"quote {state}"
