"""Statuses on the wire: the Note and the Create, Update, Delete and Announce that carry it.
Pure functions over loaded rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from activitypub import builders, quotes
from activitypub import interaction_policy as policies
from activitypub.documents import AS_PUBLIC, format_datetime
from server.config import Config
from server.urls import Urls
from storage.models import Account, Status


@dataclass(frozen=True)
class AttachmentView:
    url: str
    media_type: str
    description: str
    width: int | None
    height: int | None
    blurhash: str | None


@dataclass(frozen=True)
class NoteParts:
    """What a Note needs besides its row, loaded by the caller."""

    author: Account
    attachments: list[AttachmentView] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    mentions: list[Account] = field(default_factory=list)
    remix_of_url: str | None = None
    # FEP-044f (services/statuses/quotes.py): the quoted post and its stamp, and our canQuote.
    quote_uri: str | None = None
    quote_authorization: str | None = None
    can_quote: dict[str, Any] | None = None
    # The author's first replies (up to 5, the Note's `replies.first` page, as Mastodon's),
    # and the id of the last one, where the next page starts.
    self_replies: list[str] = field(default_factory=list)
    self_replies_last_id: int | None = None
    # A local status's `interactionPolicy` (services/statuses/interaction_policy.py);
    # None: none stated.
    interaction_policy: policies.Policy | None = None


def addressing(visibility: str, followers: str,
               mentioned: list[str]) -> tuple[list[str], list[str]]:
    """(to, cc) by visibility, as Mastodon addresses: mentions ride in cc, or in to for
    direct posts."""
    if visibility == "public":
        return [AS_PUBLIC], [followers, *mentioned]
    if visibility == "unlisted":
        return [followers], [AS_PUBLIC, *mentioned]
    if visibility == "private":
        return [followers], mentioned
    return mentioned, []


def _collection(collection_id: str, total: int) -> dict[str, Any]:
    return {"id": collection_id, "type": "Collection", "totalItems": total}


def _replies(status: Status, parts: NoteParts) -> dict[str, Any]:
    """`replies` as Mastodon's NoteSerializer embeds it: the first page holds the author's
    first replies and leads on to the rest of theirs (min_id of the last), or, with none, to
    everyone else's (server.handlers.statuses serves the pages)."""
    collection_id = f"{status.uri}/replies"
    next_page = builders.replies_page_url(collection_id, min_id=parts.self_replies_last_id) \
        if parts.self_replies_last_id is not None \
        else builders.replies_page_url(collection_id, only_other_accounts=True)
    first = builders.collection_page(collection_id, parts.self_replies, next_page=next_page)
    return builders.replies_collection(collection_id, first, total=status.replies_count)


def note(status: Status, parts: NoteParts, config: Config) -> dict[str, Any]:
    """A post as a Note with its images, tags, mentions and AI provenance (INTEROP.md)."""
    urls = Urls(config.base_url)
    author = parts.author
    to, cc = addressing(status.visibility, urls.followers(author.username),
                        [a.uri for a in parts.mentions])
    tags: list[dict[str, Any]] = [builders.hashtag(name, urls.tag(name.lower()))
                                  for name in parts.tags]
    tags += [builders.mention(a.uri, f"{a.username}@{a.domain or config.instance.domain}")
             for a in parts.mentions]
    if status.remix_of_uri:
        tags.append(builders.object_link(status.remix_of_uri,
                                         f"Remix of {parts.remix_of_url or status.remix_of_uri}"))
    doc: dict[str, Any] = {
        "@context": builders.note_context(),
        "id": status.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "content": status.content,
        "summary": status.spoiler_text or None,
        "sensitive": status.sensitive,
        "published": format_datetime(status.created_at),
        "url": status.url or urls.status_page(author.username, status.id),
        "to": to,
        "cc": cc,
        "inReplyTo": status.in_reply_to_uri,
        "attachment": [builders.image_attachment(
            url=a.url, media_type=a.media_type, name=a.description, width=a.width,
            height=a.height, blurhash=a.blurhash) for a in parts.attachments],
        "tag": tags,
        "replies": _replies(status, parts),
        "likes": _collection(f"{status.uri}/likes", status.favourites_count),
        "shares": _collection(f"{status.uri}/shares", status.reblogs_count),
        "canRemix": status.can_remix,
    }
    if status.language:
        doc["contentMap"] = {status.language: status.content}
    if status.edited_at:
        doc["updated"] = format_datetime(status.edited_at)
    if status.generator_name:
        doc["generator"] = {"type": "Application", "name": status.generator_name}
    if status.remix_of_uri:
        doc["remixOf"] = status.remix_of_uri
    if parts.interaction_policy is not None:
        doc["@context"] = [*doc["@context"], policies.POLICY_TERMS]
        doc["interactionPolicy"] = policies.policy_document(parts.interaction_policy)
    if status.in_reply_to_uri and status.approved_by:
        policies.proved(doc, policies.REPLY, status.approved_by)
    for key in ("prompt", "model", "seed"):
        if getattr(status, key) is not None:
            doc[key] = getattr(status, key)
    return _with_quote(doc, parts)


def _with_quote(doc: dict[str, Any], parts: NoteParts) -> dict[str, Any]:
    """The quote part: `quote` (and its older spellings, with the stamp) and `canQuote`
    beside whatever else the interaction policy says."""
    if parts.quote_uri is None and parts.can_quote is None:
        return doc
    doc["@context"] = [*doc["@context"], quotes.QUOTE_TERMS]
    if parts.quote_uri is not None:
        doc.update(quotes.note_fields(parts.quote_uri, parts.quote_authorization))
    if parts.can_quote is not None:
        policy = doc.get("interactionPolicy")
        doc["interactionPolicy"] = {**(policy if isinstance(policy, dict) else {}),
                                    "canQuote": parts.can_quote}
    return doc


def create_activity(status: Status, parts: NoteParts, config: Config) -> dict[str, Any]:
    obj = note(status, parts, config)
    context = obj.pop("@context")
    return builders.wrap("Create", f"{status.uri}/activity", parts.author.uri, obj,
                         to=obj["to"], cc=obj["cc"], context=context,
                         published=obj["published"])


def update_activity(status: Status, parts: NoteParts, config: Config, *,
                    at: datetime) -> dict[str, Any]:
    """An edit: the whole Note again, under an id naming the edit's time `at`."""
    obj = note(status, parts, config)
    context = obj.pop("@context")
    # Microseconds: two edits in one second (a quick typo fix) need distinct ids.
    version = int(at.timestamp() * 1_000_000)
    return builders.wrap("Update", f"{status.uri}#updates/{version}", parts.author.uri, obj,
                         to=obj["to"], cc=obj["cc"], context=context)


def delete_activity(status: Status, parts: NoteParts, config: Config) -> dict[str, Any]:
    """A deleted post: a Tombstone, sent to whoever its Note was addressed to."""
    obj = note(status, parts, config)
    return builders.wrap("Delete", f"{status.uri}#delete", parts.author.uri,
                         builders.tombstone(status.uri), to=obj["to"], cc=obj["cc"])


def announce(boost: Status, booster: Account, status: Status, author: Account,
             config: Config) -> dict[str, Any]:
    """A boost, in Mastodon's shape (ActivityPresenter.from_status with TagManager's to/cc
    for a public reblog): to Public, cc the boosted author then the booster's followers, and
    `published`, the boost's time (without it the receiver dates the boost on arrival)."""
    followers = Urls(config.base_url).followers(booster.username)
    doc = builders.wrap("Announce", f"{boost.uri}/activity", booster.uri, status.uri,
                        to=[AS_PUBLIC], cc=[author.uri, followers],
                        published=format_datetime(boost.created_at))
    return policies.proved(doc, policies.ANNOUNCE, boost.approved_by)


def undo_announce(boost: Status, booster: Account, status: Status, author: Account,
                  config: Config) -> dict[str, Any]:
    announced = announce(boost, booster, status, author, config)
    return builders.undo(f"{announced['id']}/undo", booster.uri, announced)


def archived_announce(boost: Status, booster: Account, boosted: Status) -> dict[str, Any]:
    """A boost as an archive's outbox lists it (Mastodon's export: no @context, to Public)."""
    return {"id": boost.uri, "type": "Announce", "actor": booster.uri,
            "published": format_datetime(boost.created_at), "object": boosted.uri,
            "to": [AS_PUBLIC]}
