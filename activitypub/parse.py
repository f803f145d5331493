"""Parsers for what arrives from other servers (the way in). They validate shape, never trust.

Every parser raises ParseError with a message that says which field is wrong, so an inbox can
answer 400 with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from activitypub.usernames import is_valid_remote_username
from activitypub.vocab import ACTOR_TYPES

MAX_NAME = 255
MAX_SUMMARY = 20_000
MAX_FIELDS = 16
# The activity_type column's size.
MAX_TYPE = 64
# The size of every URI column: a longer one could not be stored (PostgreSQL refuses it).
MAX_URI = 2048
# Control characters and whitespace (urlsplit silently drops tabs and newlines; PostgreSQL
# cannot store NUL) and surrogates: a str from JSON holds only lone ones ("\ud800"),
# which cannot be encoded as UTF-8, so SQLite and every encoder refuse them.
_BAD_URI_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f\s\ud800-\udfff]")
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


class ParseError(ValueError):
    """A document that does not have the shape we require."""


def remote_uri(value: Any) -> str | None:
    """`value` if it is a URI we can keep: absolute http(s) with a host, at most MAX_URI
    characters, no whitespace, control characters or lone surrogates; else None. Every
    URI taken from a remote document passes here before it is stored or fetched."""
    if not isinstance(value, str) or len(value) > MAX_URI or _BAD_URI_CHARS.search(value):
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return value


def clean_text(value: str) -> str:
    """Remote text made storable: NUL removed (PostgreSQL text cannot hold it), lone
    surrogates replaced with U+FFFD (they cannot be encoded as UTF-8)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return _LONE_SURROGATE.sub("\ufffd", value)


def host_of(url: str) -> str:
    """The authority (host[:port], lowercase) of an http(s) URL; '' if it is not one we
    would keep (see remote_uri)."""
    if remote_uri(url) is None:
        return ""
    return urlsplit(url).netloc.rpartition("@")[2].lower()


def same_origin(a: str, b: str) -> bool:
    """Same scheme and authority: the rule for who may speak for an object."""
    try:
        pa, pb = urlsplit(a), urlsplit(b)
    except ValueError:
        return False
    return bool(host_of(a)) and (pa.scheme, host_of(a)) == (pb.scheme, host_of(b))


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL we would keep; '' for anything else."""
    host = host_of(url)
    return f"{urlsplit(url).scheme.lower()}://{host}" if host else ""


def strip_fragment(url: str) -> str:
    return url.partition("#")[0]


def object_id(value: Any) -> str | None:
    """`"https://..."` or `{"id": "https://..."}` -> the id; anything else -> None."""
    if isinstance(value, dict):
        return remote_uri(value.get("id"))
    return remote_uri(value)


def _types(doc: dict[str, Any]) -> list[str]:
    kind = doc.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def first_type(doc: dict[str, Any]) -> str:
    types = _types(doc)
    return types[0] if types else ""


def _text(doc: dict[str, Any], key: str, limit: int) -> str:
    value = doc.get(key)
    if isinstance(value, str):
        return clean_text(value[:limit])
    return ""


def _url(value: Any) -> str | None:
    """A URL from `url`/`icon`-style values: a string, a Link/Image object, or a list."""
    if isinstance(value, list):
        for item in value:
            found = _url(item)
            if found:
                return found
        return None
    if isinstance(value, str):
        return remote_uri(value)
    if isinstance(value, dict):
        return _url(value.get("href")) or _url(value.get("url"))
    return None


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    owner: str
    public_key_pem: str


@dataclass(frozen=True)
class ParsedActor:
    id: str
    type: str
    preferred_username: str
    name: str
    summary: str
    url: str | None
    inbox: str
    shared_inbox: str | None
    outbox: str | None
    followers: str | None
    following: str | None
    manually_approves_followers: bool
    discoverable: bool
    avatar_url: str | None
    header_url: str | None
    fields: list[dict[str, str]] = field(default_factory=list)
    keys: list[ParsedKey] = field(default_factory=list)
    # Account migration: the actors this one says it also is, and where it moved.
    also_known_as: list[str] = field(default_factory=list)
    moved_to: str | None = None
    # Its pinned posts (Mastodon's `featured` collection).
    featured: str | None = None

    @property
    def host(self) -> str:
        return host_of(self.id)


def parse_key(doc: Any, default_owner: str | None = None) -> ParsedKey:
    """A `publicKey` object (Mastodon's Key, or a CryptographicKey)."""
    if not isinstance(doc, dict):
        raise ParseError("publicKey must be an object")
    key_id = remote_uri(doc.get("id"))
    owner = remote_uri(doc.get("owner") or default_owner)
    pem = doc.get("publicKeyPem")
    if key_id is None:
        raise ParseError("publicKey.id must be a URL")
    if owner is None:
        raise ParseError("publicKey.owner must be a URL")
    if not isinstance(pem, str) or "PUBLIC KEY" not in pem:
        raise ParseError("publicKey.publicKeyPem must be a PEM public key")
    return ParsedKey(key_id=key_id, owner=owner, public_key_pem=pem)


def _keys(doc: dict[str, Any], actor_id: str) -> list[ParsedKey]:
    raw = doc.get("publicKey")
    items = raw if isinstance(raw, list) else [raw] if raw is not None else []
    keys: list[ParsedKey] = []
    for item in items:
        try:
            key = parse_key(item, actor_id)
        except ParseError:
            continue
        # A key counts only if it names this actor as owner and lives on its origin.
        if key.owner == actor_id and same_origin(key.key_id, actor_id):
            keys.append(key)
    return keys


def _fields(doc: dict[str, Any]) -> list[dict[str, str]]:
    attachments = doc.get("attachment")
    if not isinstance(attachments, list):
        attachments = [attachments] if isinstance(attachments, dict) else []
    fields: list[dict[str, str]] = []
    for item in attachments:
        if isinstance(item, dict) and first_type(item) == "PropertyValue":
            name, value = item.get("name"), item.get("value")
            if isinstance(name, str) and isinstance(value, str):
                fields.append({"name": clean_text(name[:MAX_NAME]),
                               "value": clean_text(value[:2048])})
        if len(fields) >= MAX_FIELDS:
            break
    return fields


def parse_actor(doc: Any, fetched_from: str | None = None) -> ParsedActor:
    """An actor document. `fetched_from`: the URL it was fetched from, whose origin the id
    must share (so one server cannot speak for another's actors)."""
    if not isinstance(doc, dict):
        raise ParseError("actor must be a JSON object")
    actor_id = remote_uri(doc.get("id"))
    if actor_id is None:
        raise ParseError("actor id must be an http(s) URL")
    if fetched_from is not None and not same_origin(actor_id, fetched_from):
        raise ParseError(f"actor id {actor_id} is not on the origin it was fetched from")
    kind = next((t for t in _types(doc) if t in ACTOR_TYPES), None)
    if kind is None:
        raise ParseError(f"not an actor type: {doc.get('type')!r}")
    username = doc.get("preferredUsername")
    if not isinstance(username, str) or not username.strip() or len(username) > MAX_NAME:
        raise ParseError("preferredUsername is required")
    if not is_valid_remote_username(username.strip(), host_of(actor_id)):
        raise ParseError("preferredUsername must be letters, digits, _ . - (as Mastodon's)")
    inbox = remote_uri(doc.get("inbox"))
    if inbox is None or not same_origin(inbox, actor_id):
        raise ParseError("inbox must be a URL on the actor's origin")
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    return ParsedActor(
        id=actor_id,
        type=kind,
        preferred_username=username.strip(),
        name=_text(doc, "name", MAX_NAME),
        summary=_text(doc, "summary", MAX_SUMMARY),
        url=_url(doc.get("url")),
        inbox=inbox,
        shared_inbox=remote_uri(shared),
        outbox=object_id(doc.get("outbox")),
        followers=object_id(doc.get("followers")),
        following=object_id(doc.get("following")),
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,
        avatar_url=_url(doc.get("icon")),
        header_url=_url(doc.get("image")),
        fields=_fields(doc),
        keys=_keys(doc, actor_id),
        also_known_as=_ids(doc.get("alsoKnownAs")),
        moved_to=object_id(doc.get("movedTo")),
        featured=object_id(doc.get("featured")),
    )


def _ids(value: Any, limit: int = 20) -> list[str]:
    """A list of object ids (`alsoKnownAs`): strings or objects with an id, in order."""
    items = value if isinstance(value, list) else [value]
    found = [i for i in (object_id(item) for item in items) if i is not None]
    return list(dict.fromkeys(found))[:limit]


@dataclass(frozen=True)
class ParsedActivity:
    id: str
    type: str
    actor: str
    object_id: str | None
    # The embedded object, when the activity carries one rather than a bare id.
    object: dict[str, Any] | None
    raw: dict[str, Any]

    @property
    def object_type(self) -> str:
        return first_type(self.object) if self.object else ""


def parse_activity(doc: Any) -> ParsedActivity:
    """The envelope every inbox accepts: an object with an id, a type and an actor."""
    if not isinstance(doc, dict):
        raise ParseError("activity must be a JSON object")
    activity_id = remote_uri(doc.get("id")) or _id_for_idless(doc)
    if activity_id is None:
        raise ParseError(f"activity id must be an http(s) URL of at most {MAX_URI} "
                         "characters, without spaces or control characters")
    kind = clean_text(first_type(doc))[:MAX_TYPE]
    if not kind:
        raise ParseError("activity type is required")
    actor = object_id(doc.get("actor"))
    if actor is None:
        raise ParseError("activity actor must be a URL or an object with an id")
    obj = doc.get("object")
    return ParsedActivity(
        id=activity_id,
        type=kind,
        actor=actor,
        object_id=object_id(obj),
        object=obj if isinstance(obj, dict) else None,
        raw=doc,
    )


# Activities Mastodon sends without an id (ActivityPub::AddNoteSerializer and its Remove:
# a pin or unpin, matched by `target`).
_IDLESS_TYPES = frozenset({"Add", "Remove"})


def _id_for_idless(doc: dict[str, Any]) -> str | None:
    """An id for an Add/Remove that has none: on its actor's origin (so only its actor's
    signature can vouch for it) and derived from its content, so the same activity delivered
    twice is stored once."""
    actor = object_id(doc.get("actor"))
    if doc.get("id") is not None or first_type(doc) not in _IDLESS_TYPES or actor is None:
        return None
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
    return remote_uri(f"{strip_fragment(actor)}#{first_type(doc).lower()}/{digest[:32]}")


# Larger counts are not believed (a hostile server could claim anything; Mastodon's own
# columns are bigints, but no real account comes near this).
MAX_TOTAL_ITEMS = 10**12


def collection_total(doc: Any) -> int | None:
    """A collection's `totalItems`, or None when it has none we can use: missing, not a
    whole number (booleans included), negative or absurd. Servers may hide the count of a
    followers collection (GoToSocial, Mastodon's "hide network"); then there is nothing to
    show. Mastodon's ProcessAccountService reads these the same way."""
    if not isinstance(doc, dict):
        return None
    total = doc.get("totalItems")
    if isinstance(total, bool) or not isinstance(total, int):
        return None
    return total if 0 <= total <= MAX_TOTAL_ITEMS else None


def published_at(doc: dict[str, Any]) -> datetime | None:
    """An activity's `published` (an Announce's: when the boost was made), timezone-aware;
    None when it is missing or not an ISO 8601 date (the receiver's clock then dates it)."""
    value = doc.get("published")
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
