"""The replies collections as Mastodon and GoToSocial serve them (tests/data/replies/, each
file naming its source) read by activitypub.collection_pages: where the items start, each
page's items (ids, and embedded Notes), and the next page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from activitypub.collection_pages import PageItem, first_page, link, parse_page
from activitypub.parse import ParseError

REPLIES = Path(__file__).parent.parent / "data" / "replies"
MASTO = "https://mastodon.example/users"
GTS = "http://localhost:8080/users"
ZORK_REPLIES = f"{GTS}/the_mighty_zork/statuses/01F8MHAMCHF6Y650WCRSCP4WMY/replies"


def recorded(name: str) -> dict[str, Any]:
    return dict(json.loads((REPLIES / name).read_text()))


def test_mastodon_note_embeds_its_first_page_of_self_replies() -> None:
    replies = link(recorded("mastodon_note.json")["replies"])
    assert isinstance(replies, dict)
    first = first_page(replies)
    assert isinstance(first, dict) and "id" not in first  # Mastodon's first page has none
    page = parse_page(first)
    assert page.items == [PageItem(f"{MASTO}/dave/statuses/110000000000000002", None)]
    assert page.next == (f"{MASTO}/dave/statuses/110000000000000001/replies"
                         "?min_id=110000000000000002&page=true")


def test_mastodon_page_embeds_local_replies_and_names_the_others() -> None:
    page = parse_page(recorded("mastodon_replies_page.json"))
    [local, remote] = page.items
    assert local.id == f"{MASTO}/erin/statuses/110000000000000003"
    assert local.body is not None and local.body["type"] == "Note"
    assert remote == PageItem(
        "https://gotosocial.example/users/admin/statuses/01JEKQ2V8Y2N6B3X4T5R7S9W0Z", None)
    assert page.next is None  # the last page


def test_gotosocial_note_first_page_has_no_items_and_links_the_replies() -> None:
    first = first_page(recorded("gotosocial_note.json")["replies"])
    assert isinstance(first, dict)
    page = parse_page(first)
    assert page.items == []
    assert page.next == f"{ZORK_REPLIES}?only_other_accounts=false&page=true"


def test_gotosocial_collection_and_its_ordered_pages() -> None:
    assert first_page(recorded("gotosocial_replies_collection.json")) == \
        f"{ZORK_REPLIES}?limit=20&only_other_accounts=false"
    page = parse_page(recorded("gotosocial_replies_page.json"))
    assert page.items == [PageItem(f"{GTS}/admin/statuses/01FF25D5Q0DH7CHD57CTRS6WK0", None)]
    assert page.next == (f"{ZORK_REPLIES}?limit=20&max_id=01FF25D5Q0DH7CHD57CTRS6WK0"
                         "&only_other_accounts=false")
    last = parse_page(recorded("gotosocial_replies_last.json"))
    assert (last.items, last.next) == ([], None)


def test_items_inline_without_pages_a_count_alone_and_odd_items() -> None:
    inline = {"type": "OrderedCollection", "orderedItems": [f"{MASTO}/a/statuses/1"]}
    assert first_page(inline) is inline
    assert first_page({"type": "Collection", "totalItems": 3}) is None
    with pytest.raises(ParseError):
        first_page({"type": "Note"})
    with pytest.raises(ParseError):
        parse_page({"type": "Person", "items": []})
    odd = parse_page({"id": f"{MASTO}/p", "type": "CollectionPage", "next": f"{MASTO}/p",
                      "items": ["javascript:alert(1)", {"type": "Note"}, 7,
                                {"id": f"{MASTO}/a/statuses/2", "type": "Note"}]})
    assert [i.id for i in odd.items] == [f"{MASTO}/a/statuses/2"]
    assert odd.next is None  # a page whose next is itself ends there
    # Ordered pages that use `items` (and the other way round) are read all the same.
    assert [i.id for i in parse_page({"type": "OrderedCollectionPage",
                                      "items": [f"{MASTO}/a/statuses/3"]}).items] == \
        [f"{MASTO}/a/statuses/3"]
