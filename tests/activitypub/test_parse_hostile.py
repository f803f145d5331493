"""The parsers against tests/data/hostile/: every URI we keep passes remote_uri, and text we
store holds no NUL and no lone surrogate (PostgreSQL and UTF-8 encoders refuse them)."""

from __future__ import annotations

import pytest

from activitypub.parse import (
    MAX_URI,
    ParseError,
    clean_text,
    origin_of,
    parse_activity,
    parse_actor,
    remote_uri,
)
from activitypub.parse_note import parse_note
from tests.federation.hostile_payloads import document

PLACES = {"ORIGIN": "https://hostile.example", "ACTOR": "https://hostile.example/users/eve",
          "TARGET": "https://dreamfeed.test/users/alice",
          "NOTE": "https://hostile.example/users/eve/statuses/1"}


def storable(text: str) -> bool:
    return "\x00" not in text and text.encode("utf-8") is not None


@pytest.mark.parametrize("name", ["activity-id-nul-byte.json", "activity-id-lone-surrogate.json",
                                  "activity-id-too-long.json"])
def test_activity_ids_we_cannot_store_are_refused(name: str) -> None:
    with pytest.raises(ParseError, match="activity id"):
        parse_activity(document(name, **PLACES))


def test_activity_type_is_cleaned() -> None:
    activity = parse_activity(document("activity-type-nul-lone-surrogate.json", **PLACES))
    assert activity.type == "Bite\ufffd"


def test_actor_text_is_cleaned_and_bad_uris_dropped() -> None:
    actor = parse_actor(document("actor-text-nul-lone-surrogate.json"))
    assert (actor.name, actor.summary) == ("Eve \ufffd", "<p>bio \ufffd</p>")
    assert actor.fields == [{"name": "site", "value": "x\ufffd"}]
    assert (actor.outbox, actor.followers, actor.shared_inbox, actor.avatar_url) == (
        None, None, None, None)
    assert all(storable(t) for t in (actor.name, actor.summary))


def test_note_text_is_cleaned() -> None:
    activity = parse_activity(document("note-content-lone-surrogate.json", **PLACES))
    parsed = parse_note(activity.object)
    assert parsed.content == "<p>broken \ufffd text here</p>"
    assert parsed.summary == "cw \ufffd"


@pytest.mark.parametrize("uri", [
    "https://a.example/x\x00", "https://a.example/\ud800", "https://a.example/ x",
    "https://a.example/\tx", "https://a.example/\u2028", "https://a.example/" + "x" * MAX_URI,
    "ftp://a.example/", "https:///path", "http://a.example:99999/", "//a.example/x", 42, None,
])
def test_remote_uri_refuses(uri: object) -> None:
    assert remote_uri(uri) is None


def test_remote_uri_keeps_real_ones() -> None:
    for uri in ("https://mastodon.social/users/Gargron#main-key",
                "http://a.test:8000/users/x/statuses/1?page=true",
                "https://пример.рф/users/ё"):
        assert remote_uri(uri) == uri
    assert origin_of("https://User@Masto.Example:8443/users/a#k") == \
        "https://masto.example:8443"
    assert origin_of("not a url") == ""
    assert clean_text("a\x00b\udfffc") == "ab\ufffdc"
