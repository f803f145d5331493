"""Reading a remote collection page by page (a post's `replies`, as Mastodon and GoToSocial
serve them): where its items start, the items of one page, and the link to the next page.

The shapes met (recorded in tests/data/replies/):
- Mastodon: a Note's `replies` is an embedded Collection whose `first` is an embedded
  CollectionPage without an id (`items`: ids of the author's own replies) and `next` a URL;
  the pages at those URLs are CollectionPages whose `items` embed the replies written on
  that server as whole Notes and name the others by id.
- GoToSocial: a Note's `replies` is an embedded Collection whose `first` is an embedded
  CollectionPage without items and `next` a URL; the collection at its own URL is an
  OrderedCollection whose `first` is a URL, and its pages are OrderedCollectionPages of ids
  in `orderedItems`, with `next` until the last one.

Pure: dicts in, frozen values out, nothing fetched. Which origin may speak for an embedded
item is the caller's decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitypub.parse import ParseError, first_type, object_id, remote_uri

COLLECTION_TYPES = frozenset({"Collection", "OrderedCollection", "CollectionPage",
                              "OrderedCollectionPage"})
# More than any server puts on one page (Mastodon 60 replies, GoToSocial 20): the rest of a
# longer page is ignored.
MAX_PAGE_ITEMS = 200

# Another document, named by its URL or embedded whole.
Link = str | dict[str, Any]


@dataclass(frozen=True)
class PageItem:
    id: str
    body: dict[str, Any] | None  # the object itself when the page embeds it


@dataclass(frozen=True)
class CollectionPage:
    items: list[PageItem]
    next: Link | None


def link(value: Any) -> Link | None:
    """A property that names another document (`replies`, `first`, `next`): its URL, or
    the object when embedded (with or without an id: Mastodon's first page has none)."""
    if isinstance(value, dict):
        return value
    return remote_uri(value)


def is_collection(doc: Any) -> bool:
    return isinstance(doc, dict) and first_type(doc) in COLLECTION_TYPES


def first_page(collection: dict[str, Any]) -> Link | None:
    """Where a collection's items start: its `first` page, or the collection itself when it
    holds its items inline; None when it has neither (only a count)."""
    if not is_collection(collection):
        raise ParseError(f"not a collection: {str(collection.get('type'))[:40]}")
    first = link(collection.get("first"))
    if first is not None:
        return first
    if "items" in collection or "orderedItems" in collection:
        return collection
    return None


def parse_page(doc: Any) -> CollectionPage:
    """One page's items (ids, with the body when embedded) and its `next` link. Items
    without a usable id are skipped, as Mastodon's value_or_id leaves them out; a `next`
    naming the page itself is no next page."""
    if not is_collection(doc):
        raise ParseError("not a collection page")
    ordered = first_type(doc).startswith("Ordered")
    raw = doc.get("orderedItems" if ordered else "items")
    if raw is None:  # some servers use the other key than their type says
        raw = doc.get("items" if ordered else "orderedItems")
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    items: list[PageItem] = []
    for value in values[:MAX_PAGE_ITEMS]:
        item_id = object_id(value)
        if item_id is not None:
            items.append(PageItem(item_id, value if isinstance(value, dict) else None))
    following = link(doc.get("next"))
    page_id = object_id(doc)
    if page_id is not None and object_id(following) == page_id:
        following = None
    return CollectionPage(items=items, next=following)
