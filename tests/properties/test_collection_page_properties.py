"""Any JSON a remote server serves as a `replies` collection or one of its pages gives the
page reader storable ids, embedded objects only as dicts, a bounded item list and a `next`
that is a storable URL or an embedded object, or a ParseError, never another exception."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import example, given

from activitypub.collection_pages import MAX_PAGE_ITEMS, first_page, link, parse_page
from activitypub.parse import ParseError, remote_uri
from tests.properties.strategies import ANY_JSON, PROPERTY_SETTINGS, overriding

NOTE = "https://remote.example/users/dave/statuses/1"
PAGE = {"id": f"{NOTE}/replies?page=true", "type": "CollectionPage",
        "partOf": f"{NOTE}/replies", "next": f"{NOTE}/replies?page=2",
        "items": [f"{NOTE}0", {"id": f"{NOTE}1", "type": "Note"}]}
COLLECTION = {"id": f"{NOTE}/replies", "type": "Collection", "first": PAGE}


def _check_link(value: Any) -> None:
    assert value is None or isinstance(value, dict) or remote_uri(value) == value


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(PAGE) | overriding(COLLECTION))
@example({**PAGE, "items": ["x"] * (MAX_PAGE_ITEMS + 5)})
@example({**PAGE, "type": "OrderedCollectionPage", "items": None, "orderedItems": NOTE})
def test_any_page(doc: Any) -> None:
    try:
        page = parse_page(doc)
    except ParseError:
        return
    assert len(page.items) <= MAX_PAGE_ITEMS
    for item in page.items:
        assert remote_uri(item.id) == item.id
        assert item.body is None or isinstance(item.body, dict)
    _check_link(page.next)


@PROPERTY_SETTINGS
@given(ANY_JSON | overriding(COLLECTION))
def test_any_collection(doc: Any) -> None:
    _check_link(link(doc))
    if not isinstance(doc, dict):
        return
    with contextlib.suppress(ParseError):
        _check_link(first_page(doc))
