"""Pure builders for the activities and collections we send: dicts in, dicts out."""

from __future__ import annotations

from typing import Any

from activitypub.vocab import AS_CONTEXT


def _activity(kind: str, activity_id: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": activity_id, "type": kind,
                           "actor": actor, "object": obj}
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def follow(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return _activity("Follow", activity_id, actor, target)


def _embedded(activity: dict[str, Any]) -> dict[str, Any]:
    """An activity nested as an object: without its own @context."""
    return {k: v for k, v in activity.items() if k != "@context"}


def accept(activity_id: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    """Accept a Follow; the Follow is embedded (Mastodon matches it by id, others by content)."""
    return _activity("Accept", activity_id, actor, _embedded(follow_activity))


def reject(activity_id: str, actor: str, follow_activity: dict[str, Any]) -> dict[str, Any]:
    return _activity("Reject", activity_id, actor, _embedded(follow_activity))


def undo(activity_id: str, actor: str, activity: dict[str, Any]) -> dict[str, Any]:
    return _activity("Undo", activity_id, actor, _embedded(activity))


def block(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    return _activity("Block", activity_id, actor, target)


def ordered_collection(collection_id: str, total: int, first: str | None,
                       last: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": collection_id,
                           "type": "OrderedCollection", "totalItems": total}
    if first:
        doc["first"] = first
    if last:
        doc["last"] = last
    return doc


def ordered_collection_page(page_id: str, part_of: str, items: list[Any], *,
                            total: int | None = None, next_page: str | None = None,
                            prev_page: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": AS_CONTEXT, "id": page_id,
                           "type": "OrderedCollectionPage", "partOf": part_of,
                           "orderedItems": items}
    if total is not None:
        doc["totalItems"] = total
    if next_page:
        doc["next"] = next_page
    if prev_page:
        doc["prev"] = prev_page
    return doc
