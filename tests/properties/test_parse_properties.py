"""Any JSON a remote server sends gives the parsers a value or a ParseError, never another
exception; and what they return is storable (URIs that pass remote_uri, UTF-8 text)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given

from activitypub.parse import (
    ParseError,
    collection_total,
    object_id,
    parse_activity,
    parse_actor,
    parse_key,
)
from activitypub.parse_note import parse_note
from tests.properties.strategies import ANY_JSON, PROPERTY_SETTINGS, overriding

# The longest URI we keep (issue 14: longer ones are refused, as browsers and proxies do).
MAX_URI = 2048
ACTOR_ID = "https://remote.example/users/carol"
KEY = {"id": f"{ACTOR_ID}#main-key", "owner": ACTOR_ID,
       "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"}
ACTOR = {"id": ACTOR_ID, "type": "Person", "preferredUsername": "carol",
         "inbox": f"{ACTOR_ID}/inbox", "publicKey": KEY, "name": "Carol",
         "endpoints": {"sharedInbox": "https://remote.example/inbox"},
         "icon": {"type": "Image", "url": "https://remote.example/a.png"}}
NOTE = {"id": "https://remote.example/notes/1", "type": "Note", "attributedTo": ACTOR_ID,
        "content": "<p>hi</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "published": "2024-01-01T00:00:00Z",
        "attachment": [{"type": "Document", "mediaType": "image/png",
                        "url": "https://remote.example/i.png", "name": "alt"}],
        "tag": [{"type": "Hashtag", "name": "#AI", "href": "https://remote.example/tags/ai"}]}
ACTIVITY = {"id": "https://remote.example/activities/1", "type": "Create", "actor": ACTOR_ID,
            "object": NOTE}


def kept(uri: str) -> bool:
    """What issue 14 asks of every URI taken from a remote document: absolute http(s) with a
    host, at most MAX_URI characters, no whitespace, control characters or lone surrogates.
    Written out here, not imported, so the test holds the parser to it."""
    if len(uri) > MAX_URI or not uri.isprintable() or any(c.isspace() for c in uri):
        return False
    if any("\ud800" <= c <= "\udfff" for c in uri):
        return False
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 -- raises ValueError on a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _strings(value: Any) -> list[str]:
    """Every string inside a parse result (dataclasses, lists, dicts), `raw` excluded."""
    if isinstance(value, str):
        return [value]
    if is_dataclass(value) and not isinstance(value, type):
        return [s for f in fields(value) if f.name != "raw"
                for s in _strings(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    return []


def _storable(result: Any) -> None:
    for text in _strings(result):
        text.encode("utf-8")  # a lone surrogate raises here
        assert "\x00" not in text


@PROPERTY_SETTINGS
@given(ANY_JSON)
@example("https://remote.example/" + "a" * MAX_URI)
@example("https://remote.example/\ud800")
@example("https://remote.example/a\x00b")
@example("https://remote.example:99999/")
@example("http://[::1")
def test_object_id_keeps_only_storable_urls(value: Any) -> None:
    found = object_id(value)
    assert found is None or kept(found), found


@PROPERTY_SETTINGS
@given(ANY_JSON)
def test_collection_total(value: Any) -> None:
    total = collection_total(value)
    assert total is None or (isinstance(total, int) and total >= 0)


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(ACTIVITY))
@example({**ACTIVITY, "id": "https://remote.example/\ud800"})
@example({**ACTIVITY, "actor": "https://remote.example/a\x00"})
def test_parse_activity(doc: Any) -> None:
    try:
        activity = parse_activity(doc)
    except ParseError:
        return
    assert kept(activity.id) and kept(activity.actor)
    _storable([activity.id, activity.type, activity.actor, activity.object_id])


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(ACTOR))
def test_parse_actor(doc: Any) -> None:
    try:
        actor = parse_actor(doc, fetched_from=ACTOR_ID)
    except ParseError:
        return
    _storable(actor)
    for key in actor.keys:
        assert key.owner == actor.id


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(KEY))
def test_parse_key(doc: Any) -> None:
    try:
        key = parse_key(doc, ACTOR_ID)
    except ParseError:
        return
    _storable(key)


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(NOTE))
def test_parse_note(doc: Any) -> None:
    try:
        note = parse_note(doc)
    except ParseError:
        return
    _storable(note)


def test_base_documents_parse() -> None:
    """The documents the strategies start from are valid, so mutations reach deep checks."""
    assert parse_actor(ACTOR, fetched_from=ACTOR_ID).keys
    assert parse_note(NOTE).attachments
    assert parse_activity(ACTIVITY).object_id == NOTE["id"]
    assert parse_key(KEY).owner == ACTOR_ID
    with pytest.raises(ParseError):
        parse_activity({})
