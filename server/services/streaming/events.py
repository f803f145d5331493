"""The events that cross the bus: small, JSON-serializable, carrying what routing needs so a
web process can decide which of its streams an event concerns without a query per stream;
the payload (the Status or Notification entity) is built only for the streams it reaches.

Kinds (Mastodon's streaming event names where one exists):
- "update": a status was made visible (created, or a boost); `status_id`, `account_id`
  (author), `visibility`, `local`, `tags`, `reblog_of_id`, `in_reply_to_account_id`.
- "status.update": a status was edited (same fields as "update").
- "delete": a status was deleted; `status_id`, `account_id` (author), `visibility`.
- "notification": `notification_id` for the local account `account_id` (the recipient).
- "filters_changed": the local account `account_id` changed its filters.
- "dreamfeed.generation": generation `generation_id` of account `account_id` changed state
  (`state`).
- "conversation": conversation `conversation_id` of the local account `account_id` (its
  owner) changed: a direct status joined or left it, its newest status was edited, it was
  read (server.services.social.conversations); its payload for the owner:
  server.services.streaming.conversations.conversation_payload.
- "dreamfeed.account": the account `account_id` changed what its actor, profile and
  WebFinger show (a local actor Update, a remote actor stored or its counts read); no stream
  shows it, the caches of rendered documents drop its entries
  (server.services.caching.documents), and the inbox owners' cache forgets it.
- "dreamfeed.domains": the federation rules changed (a domain block or allow-list entry, a
  remote account suspended or unsuspended, a domain's accounts purged); no stream shows it,
  every process reloads its rules (server.services.moderation.domain_policy) at once.
- "dreamfeed.keys": the public keys of the account `account_id` changed or went away (a
  remote actor's new key, a suspension, a deletion); every process's key cache
  (server.services.federation.key_cache) drops its keys, so a retired key verifies nothing.
These last three are how a change made in one process (or by the CLI, which publishes on the
bus without listening) takes effect in every other within the bus's latency, not a TTL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = frozenset({"update", "status.update", "delete", "notification", "filters_changed",
                   "dreamfeed.generation", "conversation", "dreamfeed.account",
                   "dreamfeed.domains", "dreamfeed.keys"})


class BadEvent(ValueError):
    """A message on the bus that is not one of ours (ignored, logged)."""


@dataclass(frozen=True)
class StreamEvent:
    kind: str
    account_id: int | None = None
    status_id: int | None = None
    notification_id: int | None = None
    generation_id: int | None = None
    visibility: str | None = None
    local: bool | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    reblog_of_id: int | None = None
    in_reply_to_account_id: int | None = None
    state: str | None = None
    conversation_id: int | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, ())},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> StreamEvent:
        try:
            raw: Any = json.loads(text)
        except ValueError as exc:
            raise BadEvent(f"not JSON: {exc}") from None
        if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
            raise BadEvent("not a stream event")
        try:
            return cls(**{**raw, "tags": tuple(raw.get("tags", ()))})
        except TypeError as exc:
            raise BadEvent(str(exc)) from None
