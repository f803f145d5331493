"""Quote posts on the wire (FEP-044f, as Mastodon 4.5 sends and reads them): the `quote`
property and its older spellings, the `canQuote` part of `interactionPolicy`, and the
`QuoteRequest`, `QuoteAuthorization`, Accept/Reject and Delete (revocation) documents.

Pure: dicts in, dicts or frozen values out. Mastodon's sources of truth:
app/lib/activitypub/parser/status_parser.rb (quote_uri, quote_policy, quote_approval_uri),
app/serializers/activitypub/{quote_request,accept_quote_request,reject_quote_request,
quote_authorization,delete_quote_authorization}_serializer.rb and the context terms of
app/serializers/activitypub/context_helper.rb.

The `canQuote` builder and parser here are the quote part of the interaction policy; the
other parts (canLike, canReply, canAnnounce) are GoToSocial's and live beside this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitypub.parse import object_id, remote_uri
from activitypub.vocab import AS_CONTEXT, PUBLIC, PUBLIC_ALIASES

FEP_044F = "https://w3id.org/fep/044f#"
GTS_NS = "https://gotosocial.org/ns#"

# Mastodon reads the quoted post from the first of these that is set (StatusParser#quote_uri).
QUOTE_KEYS = ("quote", "_misskey_quote", "quoteUrl", "quoteUri")

# The terms a Note with a quote or a policy needs (Mastodon's :quotes and
# :interaction_policies context extensions).
QUOTE_TERMS: dict[str, Any] = {
    "quote": {"@id": f"{FEP_044F}quote", "@type": "@id"},
    "quoteUri": "http://fedibird.com/ns#quoteUri",
    "_misskey_quote": "https://misskey-hub.net/ns#_misskey_quote",
    "quoteAuthorization": {"@id": f"{FEP_044F}quoteAuthorization", "@type": "@id"},
    "gts": GTS_NS,
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canQuote": {"@id": "gts:canQuote", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
}
_REQUEST_TERMS: dict[str, Any] = {"QuoteRequest": f"{FEP_044F}QuoteRequest"}
_AUTHORIZATION_TERMS: dict[str, Any] = {
    "QuoteAuthorization": f"{FEP_044F}QuoteAuthorization",
    "gts": GTS_NS,
    "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
    "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"},
}

# Who a policy names, as Mastodon's flags do (InteractionPolicy::POLICY_FLAGS).
PUBLIC_SCOPE = "public"
FOLLOWERS_SCOPE = "followers"
FOLLOWING_SCOPE = "following"
UNSUPPORTED_SCOPE = "unsupported_policy"
# A hostile policy could list thousands of actors; nothing real lists more than a few.
MAX_POLICY_ENTRIES = 64


@dataclass(frozen=True)
class CanQuote:
    """A post's `interactionPolicy.canQuote`, as the URIs it lists."""

    automatic: tuple[str, ...]
    manual: tuple[str, ...]


def _ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items[:MAX_POLICY_ENTRIES]:
        if isinstance(item, str) and item in PUBLIC_ALIASES:
            found.append(PUBLIC)
            continue
        uri = object_id(item)
        if uri is not None:
            found.append(uri)
    return list(dict.fromkeys(found))


def quote_of(doc: dict[str, Any]) -> str | None:
    """The post a Note quotes, from `quote` or the older spellings Mastodon still reads."""
    for key in QUOTE_KEYS:
        value = doc.get(key)
        first = value[0] if isinstance(value, list) and value else value
        uri = object_id(first)
        if uri is not None:
            return uri
    return None


def quote_authorization_of(doc: dict[str, Any]) -> str | None:
    value = doc.get("quoteAuthorization")
    first = value[0] if isinstance(value, list) and value else value
    return object_id(first)


def parse_can_quote(doc: dict[str, Any]) -> CanQuote | None:
    """`interactionPolicy.canQuote`, or None where the post states no quote policy (then
    Mastodon lets nobody quote it: its policy flags are 0)."""
    policy = doc.get("interactionPolicy")
    sub = policy.get("canQuote") if isinstance(policy, dict) else None
    if not isinstance(sub, dict):
        return None
    return CanQuote(automatic=tuple(_ids(sub.get("automaticApproval"))),
                    manual=tuple(_ids(sub.get("manualApproval"))))


def scopes(uris: tuple[str, ...], *, author: str, followers: str | None,
           following: str | None) -> frozenset[str]:
    """The URIs of a sub-policy as Mastodon's flags (quote_subpolicy): Public, the author's
    followers and following collections; the author itself means nobody else; any other
    actor is a policy Mastodon does not support."""
    found: set[str] = set()
    for uri in uris:
        if uri == PUBLIC:
            found.add(PUBLIC_SCOPE)
        elif followers and uri == followers:
            found.add(FOLLOWERS_SCOPE)
        elif following and uri == following:
            found.add(FOLLOWING_SCOPE)
        elif uri != author:
            found.add(UNSUPPORTED_SCOPE)
    return frozenset(found)


def can_quote(*, author: str, followers: str, following: str,
              automatic: frozenset[str]) -> dict[str, Any]:
    """Our `canQuote`, as Mastodon's NoteSerializer#interaction_policy writes it: automatic
    approval only; nobody is written as the author alone (an empty list is a missing
    property once canonicalized: FEP-044f)."""
    approved: list[str] = []
    if PUBLIC_SCOPE in automatic:
        approved.append(PUBLIC)
    if FOLLOWERS_SCOPE in automatic:
        approved.append(followers)
    if FOLLOWING_SCOPE in automatic:
        approved.append(following)
    return {"automaticApproval": approved or [author], "manualApproval": []}


def note_fields(quoted_uri: str, authorization: str | None) -> dict[str, Any]:
    """A quote post's fields: `quote`, its fallbacks for older readers, and the stamp."""
    fields: dict[str, Any] = {"quote": quoted_uri, "_misskey_quote": quoted_uri,
                              "quoteUri": quoted_uri}
    if authorization:
        fields["quoteAuthorization"] = authorization
    return fields


def quote_request(request_id: str, actor: str, quoted: str,
                  instrument: dict[str, Any] | str) -> dict[str, Any]:
    """Asking `quoted`'s author to approve the quote post `instrument` (inlined when ours,
    as Mastodon's QuoteRequestSerializer does, so the author can read it at once)."""
    if isinstance(instrument, dict):
        instrument = {k: v for k, v in instrument.items() if k != "@context"}
    return {"@context": [AS_CONTEXT, {**_REQUEST_TERMS, **QUOTE_TERMS}], "id": request_id,
            "type": "QuoteRequest", "actor": actor, "object": quoted,
            "instrument": instrument}


def quote_authorization(authorization_id: str, author: str, quoting: str,
                        quoted: str) -> dict[str, Any]:
    """The stamp proving `author` approved `quoting` as a quote of `quoted`."""
    return {"@context": [AS_CONTEXT, _AUTHORIZATION_TERMS], "id": authorization_id,
            "type": "QuoteAuthorization", "attributedTo": author,
            "interactingObject": quoting, "interactionTarget": quoted}


def _request_object(request_id: str, requester: str, quoted: str,
                    quoting: str) -> dict[str, Any]:
    return {"id": request_id, "type": "QuoteRequest", "actor": requester, "object": quoted,
            "instrument": quoting}


def accept_quote_request(accept_id: str, author: str, request_id: str, requester: str,
                         quoted: str, quoting: str, authorization_id: str) -> dict[str, Any]:
    """The approval: the QuoteRequest embedded, the stamp's id as `result`."""
    return {"@context": [AS_CONTEXT, _REQUEST_TERMS], "id": accept_id, "type": "Accept",
            "actor": author, "to": requester,
            "object": _request_object(request_id, requester, quoted, quoting),
            "result": authorization_id}


def reject_quote_request(reject_id: str, author: str, request_id: str, requester: str,
                         quoted: str, quoting: str) -> dict[str, Any]:
    return {"@context": [AS_CONTEXT, _REQUEST_TERMS], "id": reject_id, "type": "Reject",
            "actor": author, "to": requester,
            "object": _request_object(request_id, requester, quoted, quoting)}


def delete_quote_authorization(author: str, authorization_id: str) -> dict[str, Any]:
    """Revoking a stamp (Mastodon's DeleteQuoteAuthorizationSerializer): the object by id
    only, so nothing of either post leaks."""
    return {"@context": AS_CONTEXT, "id": f"{authorization_id}#delete", "type": "Delete",
            "actor": author, "to": [PUBLIC], "object": authorization_id}


@dataclass(frozen=True)
class ParsedAuthorization:
    id: str
    attributed_to: str
    interacting_object: str
    interaction_target: str


def parse_quote_authorization(doc: Any) -> ParsedAuthorization | None:
    """A fetched `QuoteAuthorization`, or None when it is not one (FEP-044f's checks of what
    it names are the caller's)."""
    if not isinstance(doc, dict):
        return None
    kinds = doc.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "QuoteAuthorization" not in kinds:
        return None
    values = (remote_uri(doc.get("id")), object_id(doc.get("attributedTo")),
              object_id(doc.get("interactingObject")), object_id(doc.get("interactionTarget")))
    if any(value is None for value in values):
        return None
    auth_id, author, interacting, target = (str(v) for v in values)
    return ParsedAuthorization(auth_id, author, interacting, target)
