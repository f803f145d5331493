"""Parsing what other servers send, with shapes from Mastodon's and GoToSocial's docs."""

from __future__ import annotations

from typing import Any

import pytest

from activitypub.parse import (
    ParseError,
    collection_total,
    host_of,
    object_id,
    parse_activity,
    parse_actor,
    same_origin,
)

PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"


def mastodon_actor(**overrides: Any) -> dict[str, Any]:
    """Shape of docs.joinmastodon.org/spec/activitypub (Person with Key and fields)."""
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://mastodon.example/users/Gargron",
        "type": "Person",
        "preferredUsername": "Gargron",
        "name": "Eugen 🐘",
        "summary": "<p>Founder</p>",
        "url": "https://mastodon.example/@Gargron",
        "inbox": "https://mastodon.example/users/Gargron/inbox",
        "outbox": "https://mastodon.example/users/Gargron/outbox",
        "followers": "https://mastodon.example/users/Gargron/followers",
        "following": "https://mastodon.example/users/Gargron/following",
        "endpoints": {"sharedInbox": "https://mastodon.example/inbox"},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "icon": {"type": "Image", "mediaType": "image/png",
                 "url": "https://files.mastodon.example/avatar.png"},
        "image": {"type": "Image", "url": "https://files.mastodon.example/header.png"},
        "attachment": [{"type": "PropertyValue", "name": "Patreon",
                        "value": "<a href=\"https://patreon.com/x\">patreon.com/x</a>"}],
        "publicKey": {"id": "https://mastodon.example/users/Gargron#main-key",
                      "owner": "https://mastodon.example/users/Gargron",
                      "publicKeyPem": PEM},
    }
    doc.update(overrides)
    return doc


def test_mastodon_actor() -> None:
    actor = parse_actor(mastodon_actor(), fetched_from="https://mastodon.example/users/Gargron")
    assert actor.host == "mastodon.example"
    assert actor.preferred_username == "Gargron" and actor.name == "Eugen 🐘"
    assert actor.shared_inbox == "https://mastodon.example/inbox"
    assert actor.avatar_url == "https://files.mastodon.example/avatar.png"
    assert actor.header_url == "https://files.mastodon.example/header.png"
    assert actor.fields[0]["name"] == "Patreon"
    assert [k.key_id for k in actor.keys] == ["https://mastodon.example/users/Gargron#main-key"]


def test_gotosocial_actor_key_without_fragment() -> None:
    """GoToSocial: keyId is a path (…/main-key), no sharedInbox."""
    doc = mastodon_actor(
        id="https://gts.example/users/tobi", preferredUsername="tobi",
        inbox="https://gts.example/users/tobi/inbox", endpoints=None,
        publicKey={"id": "https://gts.example/users/tobi/main-key",
                   "owner": "https://gts.example/users/tobi", "publicKeyPem": PEM})
    actor = parse_actor(doc)
    assert actor.shared_inbox is None
    assert actor.keys[0].key_id == "https://gts.example/users/tobi/main-key"


def test_keys_of_other_origins_or_owners_are_ignored() -> None:
    doc = mastodon_actor(publicKey=[
        {"id": "https://evil.example/k", "owner": "https://mastodon.example/users/Gargron",
         "publicKeyPem": PEM},
        {"id": "https://mastodon.example/users/Other#main-key",
         "owner": "https://mastodon.example/users/Other", "publicKeyPem": PEM},
    ])
    assert parse_actor(doc).keys == []


@pytest.mark.parametrize(("overrides", "message"), [
    ({"id": None}, "actor id must be"),
    ({"type": "Note"}, "not an actor type"),
    ({"preferredUsername": ""}, "preferredUsername is required"),
    ({"inbox": "https://elsewhere.example/inbox"}, "inbox must be a URL on the actor's origin"),
    ({"inbox": None}, "inbox must be"),
])
def test_bad_actors(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_actor(mastodon_actor(**overrides))


def test_actor_must_come_from_its_origin() -> None:
    with pytest.raises(ParseError, match="not on the origin"):
        parse_actor(mastodon_actor(), fetched_from="https://evil.example/actor")


def test_activity_envelope() -> None:
    act = parse_activity({"id": "https://m.example/a/1", "type": "Follow",
                          "actor": {"id": "https://m.example/users/a"},
                          "object": "https://d.example/users/b"})
    assert (act.type, act.actor, act.object_id, act.object) == (
        "Follow", "https://m.example/users/a", "https://d.example/users/b", None)
    for bad in ([], {"type": "Follow"}, {"id": "x", "type": "Follow", "actor": "a"},
                {"id": "https://m.example/1", "actor": "https://m.example/u"},
                {"id": "https://m.example/1", "type": "Like"}):
        with pytest.raises(ParseError):
            parse_activity(bad)


def test_url_helpers() -> None:
    assert host_of("https://Example.COM:8443/x") == "example.com:8443"
    assert host_of("ftp://example.com/") == "" and host_of("not a url") == ""
    assert same_origin("https://a.example/x", "https://a.example/y#z")
    assert not same_origin("https://a.example/x", "http://a.example/x")
    assert not same_origin("https://a.example/x", "https://a.example:444/x")
    assert object_id({"id": "https://a.example/1"}) == "https://a.example/1"
    assert object_id(["https://a.example/1"]) is None


@pytest.mark.parametrize(("doc", "expected"), [
    ({"type": "OrderedCollection", "totalItems": 340}, 340),
    ({"type": "OrderedCollection", "totalItems": 0}, 0),
    ({"type": "OrderedCollection"}, None),  # hidden (GoToSocial hide_collections)
    ({"totalItems": "340"}, None),
    ({"totalItems": True}, None),
    ({"totalItems": 3.5}, None),
    ({"totalItems": -1}, None),
    ({"totalItems": 10**13}, None),
    (["not", "a", "collection"], None),
])
def test_collection_total(doc: object, expected: int | None) -> None:
    assert collection_total(doc) == expected
