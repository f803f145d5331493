"""An actor's `featured` collection (its pinned posts) and the Add/Remove that change it.

The way out follows Mastodon: the collection is an OrderedCollection with every item inline
(ActivityPub::CollectionsController#show, `featured`: the Notes embedded, newest pin first,
no pages), and a pin or unpin is an `Add`/`Remove` whose `object` is the post's id and whose
`target` is the collection (ActivityPub::AddNoteSerializer, RemoveNoteSerializer).

The way in reads what Mastodon's FetchFeaturedCollectionService reads: `items` or
`orderedItems` of the collection or of its `first` page (inline or a URL), each a post's id
or an inline Note (GoToSocial lists bare ids, Mastodon inline Notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from activitypub.parse import first_type, object_id
from activitypub.vocab import AS_CONTEXT


def featured_collection(collection_id: str, notes: list[dict[str, Any]],
                        context: Any = AS_CONTEXT) -> dict[str, Any]:
    """The collection with `notes` inline (their own @context dropped: `context`, the
    Notes' context, stands for them all, as Mastodon's adapter puts one on top)."""
    return {"@context": context, "id": collection_id, "type": "OrderedCollection",
            "totalItems": len(notes),
            "orderedItems": [{k: v for k, v in note.items() if k != "@context"}
                             for note in notes]}


def _featured_change(kind: str, activity_id: str, actor: str, object_uri: str,
                     collection_id: str) -> dict[str, Any]:
    # Mastodon sends these without an id and without addressing (its receivers match by
    # `target`); ours carry an id, which our outgoing store and other readers need.
    return {"@context": AS_CONTEXT, "id": activity_id, "type": kind, "actor": actor,
            "object": object_uri, "target": collection_id}


def add_featured(activity_id: str, actor: str, object_uri: str,
                 collection_id: str) -> dict[str, Any]:
    """A post pinned: `Add` of its id to the actor's featured collection."""
    return _featured_change("Add", activity_id, actor, object_uri, collection_id)


def remove_featured(activity_id: str, actor: str, object_uri: str,
                    collection_id: str) -> dict[str, Any]:
    """A post unpinned: `Remove` of its id from the actor's featured collection."""
    return _featured_change("Remove", activity_id, actor, object_uri, collection_id)


@dataclass(frozen=True)
class FeaturedItem:
    """One post of a featured collection: its id, and the Note when it came inline."""

    uri: str
    note: dict[str, Any] | None = None


@dataclass(frozen=True)
class FeaturedPage:
    """What one fetched document gives: its items, or where the first page is."""

    items: list[FeaturedItem]
    first: str | None = None  # a URL to fetch for the items (the collection had none inline)


_COLLECTION_TYPES = {"Collection": "items", "CollectionPage": "items",
                     "OrderedCollection": "orderedItems", "OrderedCollectionPage": "orderedItems"}


def featured_page(doc: Any, limit: int) -> FeaturedPage:
    """The first `limit` posts of a featured collection (or of its page). Items that are
    neither an id nor a Note (a Hashtag, a wrapped Create) are skipped, as Mastodon skips
    them. A collection with a `first` page is read from that page (inline, or `first` to
    fetch), as Mastodon reads it."""
    if not isinstance(doc, dict):
        return FeaturedPage([])
    first = doc.get("first")
    if isinstance(first, dict):
        return featured_page(first, limit)
    if first is not None:
        return FeaturedPage([], first=object_id(first))
    items: list[FeaturedItem] = []
    for item in _items_of(doc):
        if len(items) >= limit:
            break
        uri = object_id(item)
        if uri is None:
            continue
        if isinstance(item, str):
            items.append(FeaturedItem(uri))
        elif isinstance(item, dict) and first_type(item) == "Note":
            items.append(FeaturedItem(uri, item))
    return FeaturedPage(items)


def _items_of(doc: dict[str, Any]) -> list[Any]:
    key = _COLLECTION_TYPES.get(first_type(doc))
    value = doc.get(key) if key else None
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, (str, dict)) else []


def featured_target(activity: dict[str, Any]) -> str | None:
    """The collection an Add/Remove changes (`target`, an id or an object with one)."""
    return object_id(activity.get("target"))
