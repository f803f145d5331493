"""Receiving activities: the checks an inbox makes, in order, before it answers 202.

1. body size (the handler; 413)
2. Delete/Update of an actor we don't know -> 202 without fetching its key: the key is gone
   with the account, and a 401 would make the sender retry for days
3. HTTP signature (cavage or RFC 9421) with the key fetched or cached -> 401
4. digest of the body (checked with the signature) -> 401
5. JSON shape -> 400
6. durable, idempotent store of the activity and its apply job -> 202
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activitypub.parse import ParseError, first_type, object_id, parse_activity
from activitypub.signatures import SignatureError, parse_request_signature
from server.services.context import Services
from server.services.inbox_writer import InboxWriter
from server.services.key_cache import CachedKey
from server.services.remote import RemoteError, fetch_key, load_key
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


@dataclass(frozen=True)
class InboxAnswer:
    status: int
    message: str


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
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


async def verified_signer(services: Services, request: InboxRequest) -> CachedKey:
    """Verify the request's signature; returns the key (and so the signer). Raises
    SignatureError or RemoteError, both answered with 401."""
    signed = parse_request_signature(
        method=request.method, path_with_query=request.path_qs, headers=request.headers,
        target_uri=services.config.base_url + request.path_qs, body=request.body)
    # A cavage signature covers the Host it was made for; it must be ours, or a request
    # signed for another server could be replayed here.
    host = request.headers.get("Host", "").lower()
    if signed.scheme == "cavage" and host != services.config.instance.domain:
        raise SignatureError(f"signed for host {host!r}, not {services.config.instance.domain}")
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


async def receive(services: Services, writer: InboxWriter,
                  request: InboxRequest) -> InboxAnswer:
    doc = _json(request.body)
    if await _unknown_actor_goodbye(services, doc):
        return InboxAnswer(202, "unknown actor: nothing to do")
    try:
        key = await verified_signer(services, request)
    except SignatureError as exc:
        return InboxAnswer(401, f"signature refused: {exc}")
    except RemoteError as exc:
        return InboxAnswer(401, f"signature key unavailable: {exc}")
    if doc is None:
        return InboxAnswer(400, "body is not JSON")
    try:
        activity = parse_activity(doc)
    except ParseError as exc:
        return InboxAnswer(400, str(exc))
    created = await writer.store(NewActivity(
        activity_id=activity.id, activity_type=activity.type, actor_uri=activity.actor,
        signer_key_id=key.key_id, signer_uri=key.owner_uri,
        inbox_account_id=request.inbox_account_id, body=doc))
    return InboxAnswer(202, "accepted" if created else "already received")
