"""GoToSocial's interaction controls on the wire (docs/federation/interaction_controls.md):
a post's `interactionPolicy`, the `*Request` activities that ask its author for approval,
the `*Authorization` objects that prove it, and the Accept/Reject that answer a request.

Pure: dicts in, dicts out. One sub-policy per kind of interaction, named as on the wire
(`canLike`, `canReply`, `canAnnounce`); FEP-044f's `canQuote` and Dreamfeed's `canRemix`
are more sub-policies of the same shape, so they take a row in INTERACTIONS and nothing else
changes here. Who matches an entry (a follower, a mentioned account) is the caller's
decision: server/services/statuses/interaction_policy.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from activitypub.parse import object_id, remote_uri
from activitypub.vocab import AS_CONTEXT, PUBLIC, PUBLIC_ALIASES

GTS_CONTEXT = "https://gotosocial.org/ns"
GTS_NS = "https://gotosocial.org/ns#"
# The terms, inline (as Mastodon 4.5 sends them), so JSON-LD readers fetch nothing.
POLICY_TERMS: dict[str, Any] = {
    "gts": GTS_NS,
    "interactionPolicy": {"@id": "gts:interactionPolicy", "@type": "@id"},
    "canLike": {"@id": "gts:canLike", "@type": "@id"},
    "canReply": {"@id": "gts:canReply", "@type": "@id"},
    "canAnnounce": {"@id": "gts:canAnnounce", "@type": "@id"},
    "automaticApproval": {"@id": "gts:automaticApproval", "@type": "@id"},
    "manualApproval": {"@id": "gts:manualApproval", "@type": "@id"},
    "always": {"@id": "gts:always", "@type": "@id"},
    "approvalRequired": {"@id": "gts:approvalRequired", "@type": "@id"},
    "approvedBy": {"@id": "gts:approvedBy", "@type": "@id"},
    "likeAuthorization": {"@id": "gts:likeAuthorization", "@type": "@id"},
    "replyAuthorization": {"@id": "gts:replyAuthorization", "@type": "@id"},
    "announceAuthorization": {"@id": "gts:announceAuthorization", "@type": "@id"},
}


@dataclass(frozen=True)
class Interaction:
    """One kind of interaction and its words on the wire."""

    key: str  # ours: like, reply, announce (quote, remix later)
    sub_policy: str  # canLike...
    request: str  # LikeRequest...
    authorization: str  # LikeAuthorization...
    proof: str  # the property of the interaction that carries the authorization's id


LIKE = Interaction("like", "canLike", "LikeRequest", "LikeAuthorization",
                   "likeAuthorization")
REPLY = Interaction("reply", "canReply", "ReplyRequest", "ReplyAuthorization",
                    "replyAuthorization")
ANNOUNCE = Interaction("announce", "canAnnounce", "AnnounceRequest",
                       "AnnounceAuthorization", "announceAuthorization")
INTERACTIONS: dict[str, Interaction] = {i.key: i for i in (LIKE, REPLY, ANNOUNCE)}
# Dreamfeed's remix consent, a sub-policy of the same shape (no requests: a remote remix is
# asked for as a quote, FEP-044f).
CAN_REMIX = "canRemix"
BY_REQUEST: dict[str, Interaction] = {i.request: i for i in INTERACTIONS.values()}

# Older GoToSocial (before v0.20) reads and writes only `always`/`approvalRequired`; v0.20
# both; v0.21 the new names only. We write both and read both.
_AUTOMATIC = ("automaticApproval", "always")
_MANUAL = ("manualApproval", "approvalRequired")
MAX_ENTRIES = 200  # a policy naming more actors than this is cut (a post names few)


@dataclass(frozen=True)
class Rule:
    """Who may do one kind of interaction: at once, or after the author approves."""

    automatic: tuple[str, ...] = (PUBLIC,)
    manual: tuple[str, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {"automatic": list(self.automatic), "manual": list(self.manual)}

    @classmethod
    def from_json(cls, value: Any) -> Rule:
        """A rule as stored by Rule.to_json (our own column, trusted shape)."""
        if not isinstance(value, dict):
            return cls()
        return cls(tuple(value.get("automatic") or ()), tuple(value.get("manual") or ()))


@dataclass(frozen=True)
class Policy:
    """A post's rules by sub-policy name; a name absent here is the open default."""

    rules: dict[str, Rule] = field(default_factory=dict)

    def rule(self, interaction: Interaction) -> Rule:
        return self.rules.get(interaction.sub_policy, Rule())

    def to_json(self) -> dict[str, Any]:
        return {name: rule.to_json() for name, rule in self.rules.items()}

    @classmethod
    def from_json(cls, value: Any) -> Policy | None:
        if not isinstance(value, dict):
            return None
        return cls({name: Rule.from_json(rule) for name, rule in value.items()})


def policy_document(policy: Policy) -> dict[str, Any]:
    """The `interactionPolicy` value: every sub-policy we enforce set explicitly (a set
    sub-policy is the promise that its server enforces it), in both spellings."""
    doc: dict[str, Any] = {}
    for name, rule in policy.rules.items():
        entry: dict[str, list[str]] = {}
        for key in _AUTOMATIC:
            entry[key] = list(rule.automatic)
        if rule.manual:
            for key in _MANUAL:
                entry[key] = list(rule.manual)
        doc[name] = entry
    return doc


def _uris(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    found: list[str] = []
    for item in items[:MAX_ENTRIES]:
        if isinstance(item, str) and item in PUBLIC_ALIASES:
            found.append(PUBLIC)
        elif (uri := remote_uri(object_id(item))) is not None:
            found.append(uri)
    return tuple(dict.fromkeys(found))


def _rule(value: Any) -> Rule | None:
    """A sub-policy as sent; None for null or {} (the open default)."""
    if not isinstance(value, dict):
        return None
    automatic = next((value[k] for k in _AUTOMATIC if k in value), None)
    manual = next((value[k] for k in _MANUAL if k in value), None)
    if automatic is None and manual is None:
        return None
    return Rule(_uris(automatic) if automatic is not None else (), _uris(manual))


def parse_policy(doc: dict[str, Any]) -> Policy | None:
    """A post's `interactionPolicy`; None when absent or empty (its server does not know
    interaction controls, and everyone who can see the post may interact with it).
    Sub-policies we do not know are kept, so a later reader can honour them."""
    value = doc.get("interactionPolicy")
    if not isinstance(value, dict) or not value:
        return None
    rules = {name: rule for name, raw in value.items()
             if isinstance(name, str) and name.startswith("can") and len(name) <= 64
             and (rule := _rule(raw)) is not None}
    return Policy(rules)


def remix_allowed(policy: Policy | None) -> bool | None:
    """Whether anyone may remix a post, by its stated `canRemix` (None: not stated)."""
    rule = policy.rules.get(CAN_REMIX) if policy is not None else None
    return None if rule is None else PUBLIC in rule.automatic


def proved(doc: dict[str, Any], interaction: Interaction,
           authorization_id: str | None) -> dict[str, Any]:
    """An interaction (a Note, Like or Announce) carrying its approval: the authorization's
    id under both the current property and the older `approvedBy`."""
    if authorization_id:
        doc[interaction.proof] = authorization_id
        doc["approvedBy"] = authorization_id
    return doc


def proof_of(doc: dict[str, Any], interaction: Interaction) -> str | None:
    """The authorization an interaction carries: `replyAuthorization` (and its kin) or the
    older `approvedBy`."""
    return remote_uri(object_id(doc.get(interaction.proof))) \
        or remote_uri(object_id(doc.get("approvedBy")))


# Requests and answers --------------------------------------------------------------------


def request(interaction: Interaction, request_id: str, actor: str, target_author: str,
            target: str, instrument: Any) -> dict[str, Any]:
    """Ask `target_author` to approve: `object` the post, `instrument` the interaction (a
    Note, a Like or an Announce). Sent only to the author's inbox."""
    return {"@context": [GTS_CONTEXT, AS_CONTEXT], "type": interaction.request,
            "id": request_id, "actor": actor, "to": target_author, "object": target,
            "instrument": instrument}


def authorization(interaction: Interaction, authorization_id: str, author: str,
                  interacting: str, target: str) -> dict[str, Any]:
    """The proof, served at its id so that third servers can check it."""
    return {"@context": [GTS_CONTEXT, AS_CONTEXT], "type": interaction.authorization,
            "id": authorization_id, "attributedTo": author, "interactingObject": interacting,
            "interactionTarget": target}


def answer(kind: str, answer_id: str, author: str, requester: str, *, request_id: str | None,
           interaction: Interaction, interacting: str, target: str,
           result: str | None, cc: list[str]) -> dict[str, Any]:
    """An Accept (with the authorization as `result`) or a Reject. A polite request is
    answered with the request inlined; an impolite one (a bare Create/Like/Announce) with
    the interaction as `object` and the post as `target`, cc the author's followers so
    that their servers learn of it too."""
    obj: Any
    if request_id is not None:
        obj = {"type": interaction.request, "id": request_id, "actor": requester,
               "object": target, "instrument": interacting}
    else:
        obj = interacting
    doc: dict[str, Any] = {"@context": [GTS_CONTEXT, AS_CONTEXT], "type": kind,
                           "id": answer_id, "actor": author, "to": requester, "object": obj,
                           "target": target}
    if cc and request_id is None:
        doc["cc"] = cc
    if result is not None:
        doc["result"] = result
    return doc


@dataclass(frozen=True)
class ParsedAnswer:
    """What an Accept or Reject of an interaction names: the interaction it answers (its
    id: a Note, Like or Announce of ours), the request, and the authorization."""

    interacting: str | None
    request_id: str | None
    result: str | None


def parse_answer(doc: dict[str, Any]) -> ParsedAnswer:
    obj = doc.get("object")
    result = remote_uri(object_id(doc.get("result")))
    if isinstance(obj, dict) and obj.get("type") in BY_REQUEST:
        return ParsedAnswer(remote_uri(object_id(obj.get("instrument"))),
                            remote_uri(object_id(obj)), result)
    return ParsedAnswer(remote_uri(object_id(obj)), None, result)


@dataclass(frozen=True)
class ParsedRequest:
    interaction: Interaction
    target: str
    instrument_id: str
    instrument: dict[str, Any] | None  # inline when sent so


def parse_request(doc: dict[str, Any]) -> ParsedRequest | None:
    interaction = BY_REQUEST.get(str(doc.get("type")))
    target = remote_uri(object_id(doc.get("object")))
    raw = doc.get("instrument")
    instrument_id = remote_uri(object_id(raw))
    if interaction is None or target is None or instrument_id is None:
        return None
    return ParsedRequest(interaction, target, instrument_id,
                         raw if isinstance(raw, dict) else None)
