"""ActivityStreams names and media types used across the wire code."""

from __future__ import annotations

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
# Other spellings of the public collection that servers send (compacted forms).
PUBLIC_ALIASES = frozenset({PUBLIC, "as:Public", "Public"})

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# What we send as Accept when fetching objects (Mastodon sends the same pair).
ACCEPT_ACTIVITY = f"{ACTIVITY_JSON}, {LD_JSON_PROFILE}"

ACTOR_TYPES = frozenset({"Person", "Service", "Application", "Group", "Organization"})
