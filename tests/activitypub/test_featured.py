"""The featured collection's builders and parser against the recorded Mastodon and
GoToSocial payloads (tests/data/featured/), and the id an id-less Add/Remove is given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activitypub import featured
from activitypub.parse import ParseError, parse_activity, same_origin

DATA = Path(__file__).parent.parent / "data" / "featured"
ACTOR = "https://masto.example/users/carol"
NOTE1, NOTE2 = f"{ACTOR}/statuses/1", f"{ACTOR}/statuses/2"


def recorded(name: str) -> dict[str, Any]:
    text = (DATA / name).read_text()
    text = text.replace("{ACTOR}", ACTOR).replace("{NOTE1}", NOTE1).replace("{NOTE2}", NOTE2)
    doc: dict[str, Any] = json.loads(text)
    return doc


def test_mastodon_collection_inline_notes() -> None:
    page = featured.featured_page(recorded("mastodon_featured.json"), 10)
    assert page.first is None
    assert [item.uri for item in page.items] == [NOTE1, NOTE2]
    assert all(item.note is not None and item.note["type"] == "Note" for item in page.items)
    assert [item.uri for item in featured.featured_page(
        recorded("mastodon_featured.json"), 1).items] == [NOTE1]


def test_gotosocial_collection_ids() -> None:
    page = featured.featured_page(recorded("gotosocial_featured.json"), 10)
    assert [(item.uri, item.note) for item in page.items] == [(NOTE1, None), (NOTE2, None)]


def test_pages_hashtags_and_wrapped_creates() -> None:
    paged = {"type": "OrderedCollection", "first": f"{ACTOR}/collections/featured?page=1"}
    assert featured.featured_page(paged, 5).first == f"{ACTOR}/collections/featured?page=1"
    inline = {"type": "Collection", "first": {"type": "CollectionPage", "items": [NOTE1]}}
    assert [i.uri for i in featured.featured_page(inline, 5).items] == [NOTE1]
    mixed = {"type": "OrderedCollection", "orderedItems": [
        {"type": "Hashtag", "name": "#ai", "href": "https://masto.example/tags/ai"},
        {"type": "Create", "id": f"{NOTE2}/activity", "object": NOTE2}, NOTE1, 42, None]}
    assert [i.uri for i in featured.featured_page(mixed, 5).items] == [NOTE1]
    assert featured.featured_page("nonsense", 5).items == []


def test_built_collection_and_activities() -> None:
    note = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": NOTE1, "type": "Note"}
    doc = featured.featured_collection(f"{ACTOR}/collections/featured", [note])
    assert doc["type"] == "OrderedCollection" and doc["totalItems"] == 1
    assert doc["orderedItems"] == [{"id": NOTE1, "type": "Note"}]
    add = featured.add_featured(f"{ACTOR}#featured/add/1", ACTOR, NOTE1,
                                f"{ACTOR}/collections/featured")
    assert (add["type"], add["object"], add["target"]) == \
        ("Add", NOTE1, f"{ACTOR}/collections/featured")
    assert featured.remove_featured("x", ACTOR, NOTE1, "y")["type"] == "Remove"


def test_mastodon_idless_add_gets_a_stable_id_on_its_actors_origin() -> None:
    add = recorded("mastodon_add.json")
    assert "id" not in add
    first, again = parse_activity(add), parse_activity(dict(add))
    assert first.id == again.id and same_origin(first.id, ACTOR)
    assert first.id.startswith(f"{ACTOR}#add/")
    assert featured.featured_target(first.raw) == f"{ACTOR}/collections/featured"
    remove = parse_activity(recorded("mastodon_remove.json"))
    assert remove.id.startswith(f"{ACTOR}#remove/") and remove.id != first.id
    # Other activities still need their own id.
    with pytest.raises(ParseError):
        parse_activity({**add, "type": "Like"})
