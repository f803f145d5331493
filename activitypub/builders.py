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


def replies_page_url(collection_id: str, *, min_id: int | None = None,
                     only_other_accounts: bool = False) -> str:
    """A page of a post's replies, with Mastodon's query (replies_controller.rb): the
    author's own replies after `min_id`, or, with `only_other_accounts`, everyone else's."""
    params = [f"min_id={min_id}"] if min_id is not None else []
    if only_other_accounts:
        params.append("only_other_accounts=true")
    return f"{collection_id}?{'&'.join([*params, 'page=true'])}"


def collection_page(part_of: str, items: list[Any], *, page_id: str | None = None,
                    next_page: str | None = None) -> dict[str, Any]:
    """An unordered CollectionPage, as Mastodon's replies pages: with an id when served at
    its URL, without one when embedded as a Note's `replies.first`."""
    doc: dict[str, Any] = {"id": page_id} if page_id else {}
    doc.update({"type": "CollectionPage", "partOf": part_of, "items": items})
    if next_page:
        doc["next"] = next_page
    return doc


def replies_collection(collection_id: str, first: dict[str, Any],
                       total: int | None = None) -> dict[str, Any]:
    """A post's `replies`: a Collection whose first page is embedded (Mastodon's; GoToSocial
    warns "replies without collection page" and fetches no thread without one).
    `totalItems`, which Mastodon leaves out, is kept for the readers that show a count."""
    doc: dict[str, Any] = {"id": collection_id, "type": "Collection"}
    if total is not None:
        doc["totalItems"] = total
    doc["first"] = first
    return doc


# Posts --------------------------------------------------------------------------------------

# Dreamfeed's own terms, defined inline as Mastodon defines its `toot:` terms, so JSON-LD
# processors need to fetch nothing. Mastodon ignores them; Dreamfeed instances read them.
DREAMFEED_NS = "https://dreamfeed.dev/ns#"
NOTE_CONTEXT_TERMS: dict[str, Any] = {
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "toot": "http://joinmastodon.org/ns#",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "dreamfeed": DREAMFEED_NS,
    "prompt": "dreamfeed:prompt",
    "model": "dreamfeed:model",
    "seed": "dreamfeed:seed",
    "canRemix": "dreamfeed:canRemix",
    "remixOf": {"@id": "dreamfeed:remixOf", "@type": "@id"},
}


def note_context() -> list[Any]:
    return [AS_CONTEXT, NOTE_CONTEXT_TERMS]


def image_attachment(*, url: str, media_type: str, name: str, width: int | None,
                     height: int | None, blurhash: str | None) -> dict[str, Any]:
    """An image as Mastodon's MediaAttachmentSerializer sends it (`Document` + mediaType)."""
    doc: dict[str, Any] = {"type": "Document", "mediaType": media_type, "url": url,
                           "name": name or None, "focalPoint": [0.0, 0.0]}
    if width and height:
        doc["width"], doc["height"] = width, height
    if blurhash:
        doc["blurhash"] = blurhash
    return doc


def hashtag(name: str, href: str) -> dict[str, Any]:
    return {"type": "Hashtag", "href": href, "name": f"#{name}"}


def mention(actor: str, handle: str) -> dict[str, Any]:
    return {"type": "Mention", "href": actor, "name": f"@{handle}"}


def object_link(href: str, name: str) -> dict[str, Any]:
    """FEP-e232 object link (a `Link` tag whose target is an ActivityStreams object)."""
    return {"type": "Link",
            "mediaType": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
            "href": href, "name": name}


def tombstone(object_id: str, former_type: str = "Note") -> dict[str, Any]:
    return {"id": object_id, "type": "Tombstone", "formerType": former_type}


def wrap(kind: str, activity_id: str, actor: str, obj: Any, *, to: list[str],
         cc: list[str], context: Any = AS_CONTEXT, **extra: Any) -> dict[str, Any]:
    """Create/Update/Delete/Announce with the object's addressing copied onto the activity."""
    doc: dict[str, Any] = {"@context": context, "id": activity_id, "type": kind,
                           "actor": actor, "to": to, "cc": cc, "object": obj}
    doc.update({k: v for k, v in extra.items() if v is not None})
    return doc


def like(activity_id: str, actor: str, object_id: str) -> dict[str, Any]:
    return _activity("Like", activity_id, actor, object_id)


def flag(activity_id: str, actor: str, target: str, statuses: list[str],
         content: str) -> dict[str, Any]:
    """A report, as Mastodon's ActivityPub::FlagSerializer sends it: `object` is the
    reported account's id followed by the reported posts' ids, `content` the comment."""
    return _activity("Flag", activity_id, actor, [target, *statuses], content=content)


# Account lifecycle --------------------------------------------------------------------------


def delete_actor(actor: str) -> dict[str, Any]:
    """An account deleting itself, as Mastodon's ActivityPub::DeleteActorSerializer: id
    `<actor>#delete`, object = the actor's own id, addressed to Public."""
    return _activity("Delete", f"{actor}#delete", actor, actor,
                     to=["https://www.w3.org/ns/activitystreams#Public"])


def update_actor(activity_id: str, actor_doc: dict[str, Any]) -> dict[str, Any]:
    """A profile change (Mastodon's UpdateSerializer): the whole actor, to Public."""
    doc = _activity("Update", activity_id, actor_doc["id"], _embedded(actor_doc),
                    to=["https://www.w3.org/ns/activitystreams#Public"])
    doc["@context"] = actor_doc.get("@context", AS_CONTEXT)  # the actor's terms, kept first
    return doc


def move(activity_id: str, actor: str, target: str) -> dict[str, Any]:
    """Account migration, as Mastodon's ActivityPub::MoveSerializer: object = the moving
    actor itself, target = the new account."""
    return _activity("Move", activity_id, actor, actor, target=target)
