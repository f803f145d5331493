"""Receiving activities: the checks an inbox makes, in order, before it answers 202.

1. body size (the handler; 413), then JSON of bounded depth (400)
2. Delete/Update of an actor we don't know -> 202 without fetching its key: the key is gone
   with the account, and a 401 would make the sender retry for days
   then moderation, still before any key fetch: an actor or keyId on a server suspended here
   (or off the allow-list) -> 403; an actor suspended here -> 202, dropped
3. HTTP signature (cavage or RFC 9421) with the key fetched or cached -> 401
4. digest of the body (checked with the signature) -> 401
5. activity shape (ids are URIs we can store) -> 400
6. durable store of the activity and its apply job, idempotent on (id, signer's origin)
   -> 202
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from activitypub import jsonbody
from activitypub.jsonbody import JSONInputError
from activitypub.parse import (
    ParseError,
    first_type,
    host_of,
    object_id,
    origin_of,
    parse_activity,
)
from activitypub.signatures import SignatureError, SignatureRequest, parse_request_signature
from server.metrics import InboxReasons
from server.services.context import Services
from server.services.errors import RateLimited
from server.services.federation.inbound.inbox_writer import InboxWriter
from server.services.federation.key_cache import CachedKey
from server.services.federation.remote import RemoteError, fetch_key, load_key
from storage import accounts as account_queries
from storage.inbox import NewActivity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboxRequest:
    method: str
    path_qs: str
    headers: Mapping[str, str]
    body: bytes
    # The local account whose inbox was posted to; None for the shared inbox.
    inbox_account_id: int | None
    # The client address (behind trusted proxies): the rate limit key of unsigned requests.
    client_ip: str = ""


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    message: str
    # Why, for /metrics: one of InboxReasons.
    reason: str
    # Seconds to wait, with a 429.
    retry_after: int | None = None


def _json(body: bytes) -> Any:
    try:
        return jsonbody.loads(body)
    except JSONInputError:
        return None


async def _unknown_actor_goodbye(services: Services, doc: Any) -> bool:
    """An actor deleting or updating itself that we have never seen (or already removed):
    nothing to do, nothing to fetch (Mastodon's rule)."""
    if not isinstance(doc, dict) or first_type(doc) not in ("Delete", "Update"):
        return False
    actor = object_id(doc.get("actor"))
    if actor is None or object_id(doc.get("object")) != actor:
        return False
    async with services.db.reader() as session:
        account = await account_queries.account_by_uri(session, actor)
    return account is None or (not account.is_local and account.deleted_at is not None)


class SenderRefused(SignatureError):
    """The signer's server is suspended or not on the allow-list: 403 from an inbox; a
    signed GET from it is served as to an anonymous reader."""


async def moderation_refusal(services: Services, doc: Any) -> InboxAnswer | None:
    """Refuse, before any key fetch, an activity whose actor's server is suspended or not
    allowed: 403, as Mastodon answers a blocked domain (a 4xx other than 401/408/429 is not
    retried by Mastodon's or our delivery). An actor suspended here one by one is answered
    202 and dropped, as Mastodon's ProcessCollectionService drops a suspended actor's
    activities (its key is gone with its data: fetching it again would be wasted)."""
    actor = object_id(doc.get("actor")) if isinstance(doc, dict) else None
    if actor is None:
        return None
    rules = await services.domains.rules()
    if not rules.url_allowed(actor):
        return InboxAnswer(403, f"activities from {host_of(actor)!r} are refused by this "
                                "instance", InboxReasons.DOMAIN_REFUSED)
    if actor in rules.suspended_actors:
        return InboxAnswer(202, "ignored: the actor is suspended on this instance",
                           InboxReasons.IGNORED)
    return None


def _parse_signature(services: Services, request: InboxRequest) -> SignatureRequest:
    return parse_request_signature(
        method=request.method, path_with_query=request.path_qs, headers=request.headers,
        target_uri=services.config.base_url + request.path_qs, body=request.body)


async def verified_signer(services: Services, request: InboxRequest,
                          signed: SignatureRequest | None = None) -> CachedKey:
    """Verify the request's signature (`signed`, when the caller has parsed it already);
    returns the key (and so the signer). Raises SignatureError or RemoteError, both answered
    with 401."""
    if signed is None:
        signed = _parse_signature(services, request)
    # A cavage signature covers the Host it was made for; it must be ours, or a request
    # signed for another server could be replayed here.
    host = request.headers.get("Host", "").lower()
    if signed.scheme == "cavage" and host != services.config.instance.domain:
        raise SignatureError(f"signed for host {host!r}, not {services.config.instance.domain}")
    if not (await services.domains.rules()).url_allowed(signed.key_id):
        # Before any key fetch, as Mastodon's SignatureVerification#keypair_from_key_id.
        raise SenderRefused(f"requests from {host_of(signed.key_id) or signed.key_id!r} "
                            "are refused by this instance")
    key = await services.keys.get(signed.key_id, lambda kid: load_key(services, kid))
    # Verified inline: an RSA-2048 verify (~50 us) costs less than a hop to a thread.
    try:
        signed.verify(key.public_key_pem)
        return key
    except SignatureError:
        # The sender may have rotated its key: refetch once, then refuse.
        services.keys.invalidate(signed.key_id)
        fresh = await fetch_key(services, signed.key_id)
        services.keys.put(fresh)
        if fresh.public_key_pem == key.public_key_pem:
            raise
        signed.verify(fresh.public_key_pem)
        return fresh


def _key_is_cached(services: Services, signed: SignatureRequest | SignatureError) -> bool:
    if isinstance(signed, SignatureError):
        return False
    return services.keys.peek(signed.key_id) is not None


def signer_host(key: CachedKey) -> str:
    """The verified signer's host[:port]: the rate limit key of signed requests."""
    return urlsplit(key.key_id).netloc.lower()


async def receive(services: Services, writer: InboxWriter,
                  request: InboxRequest) -> InboxAnswer:
    doc = _json(request.body)
    if doc is None:
        # Refused before the signature check: costs no key fetch, and says what is wrong.
        return InboxAnswer(400, "body is not JSON (or is nested too deeply)",
                           InboxReasons.BAD_JSON)
    if await _unknown_actor_goodbye(services, doc):
        return InboxAnswer(202, "unknown actor: nothing to do", InboxReasons.IGNORED)
    refusal = await moderation_refusal(services, doc)
    if refusal is not None:
        return refusal
    limiter = services.limiter
    ip_key = f"ip:{request.client_ip}"
    # Parsed once for both the rate limit's question and the verification: parsing (the
    # digest of the body, the header fields, the dates) cost as much as verifying.
    signed: SignatureRequest | SignatureError
    try:
        signed = _parse_signature(services, request)
    except SignatureError as exc:
        signed = exc
    try:
        if limiter is not None and not _key_is_cached(services, signed):
            # An address whose unverifiable requests used up its budget is refused before
            # the key fetch this one would cost. Servers whose keys we hold are not: their
            # signatures are cheap to check, and junk from a shared address must not
            # block them.
            await limiter.check("inbox", ip_key)
        try:
            if isinstance(signed, SignatureError):
                raise signed
            key = await verified_signer(services, request, signed)
        except SenderRefused as exc:
            return InboxAnswer(403, str(exc), InboxReasons.DOMAIN_REFUSED)
        except (SignatureError, RemoteError) as exc:
            # Counted per client address, never per the claimed keyId host: a forged keyId
            # must not spend a real server's budget.
            if limiter is not None:
                await limiter.hit("inbox", ip_key)
            if isinstance(exc, SignatureError):
                return InboxAnswer(401, f"signature refused: {exc}",
                                   InboxReasons.BAD_SIGNATURE)
            return InboxAnswer(401, f"signature key unavailable: {exc}",
                               InboxReasons.KEY_UNAVAILABLE)
        if limiter is not None:
            await limiter.hit("inbox", f"host:{signer_host(key)}")
    except RateLimited as exc:
        return InboxAnswer(429, str(exc), InboxReasons.RATE_LIMITED, exc.retry_after)
    try:
        activity = parse_activity(doc)
    except ParseError as exc:
        return InboxAnswer(400, str(exc), InboxReasons.BAD_ACTIVITY)
    created = await writer.store(NewActivity(
        activity_id=activity.id, activity_type=activity.type, actor_uri=activity.actor,
        origin=origin_of(key.key_id), signer_key_id=key.key_id, signer_uri=key.owner_uri,
        inbox_account_id=request.inbox_account_id, body=doc))
    if created:
        return InboxAnswer(202, "accepted", InboxReasons.ACCEPTED)
    return InboxAnswer(202, "already received", InboxReasons.DUPLICATE)
