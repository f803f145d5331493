"""Any JSON a remote server serves as a `featured` collection, or sends as an Add/Remove,
gives the pins' parser a bounded list of storable ids, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given

from activitypub.featured import featured_page, featured_target
from activitypub.parse import ParseError, parse_activity, remote_uri
from tests.properties.strategies import ANY_JSON, PROPERTY_SETTINGS, overriding

ACTOR_ID = "https://remote.example/users/carol"
COLLECTION = {"id": f"{ACTOR_ID}/collections/featured", "type": "OrderedCollection",
              "totalItems": 2, "orderedItems": [
                  f"{ACTOR_ID}/statuses/1",
                  {"id": f"{ACTOR_ID}/statuses/2", "type": "Note", "content": "<p>hi</p>"}]}
ADD = {"type": "Add", "actor": ACTOR_ID, "object": f"{ACTOR_ID}/statuses/1",
       "target": f"{ACTOR_ID}/collections/featured"}


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(COLLECTION))
@example({**COLLECTION, "first": {"type": "OrderedCollectionPage", "orderedItems": ["x"]}})
def test_featured_page(doc: Any) -> None:
    page = featured_page(doc, 3)
    assert len(page.items) <= 3
    for item in page.items:
        assert remote_uri(item.uri) == item.uri
        assert item.note is None or isinstance(item.note, dict)
    assert page.first is None or remote_uri(page.first) == page.first


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(ADD))
@example({**ADD, "actor": "https://remote.example/" + "a" * 2040})
def test_idless_add_and_remove(doc: Any) -> None:
    try:
        activity = parse_activity(doc)
    except ParseError:
        return
    assert remote_uri(activity.id) == activity.id
    target = featured_target(activity.raw)
    assert target is None or remote_uri(target) == target
