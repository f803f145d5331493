"""Our rows -> ActivityStreams documents (the way out). Pure functions over loaded rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from activitypub import builders
from activitypub.documents import AS_PUBLIC, ActorFields, actor_document, format_datetime
from server.config import Config
from server.urls import Urls
from storage.models import Account, AccountKey, Status


def note_to_html(note: str) -> str:
    """Plain-text bio -> the small HTML Mastodon expects in `summary`."""
    if not note.strip():
        return ""
    paragraphs = [p for p in note.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def local_actor(account: Account, key: AccountKey, config: Config) -> dict[str, Any]:
    """The actor document of a local account or of the instance actor."""
    urls = Urls(config.base_url)
    instance_actor = account.actor_type == "Application"
    username = account.username
    fields = ActorFields(
        id=account.uri,
        type=account.actor_type,
        preferred_username=username,
        webfinger=f"{username}@{config.instance.domain}",
        # Suspended: no profile beyond the name and key (Mastodon's ActorSerializer).
        name=username if account.suspended_at else account.display_name or username,
        summary_html="" if account.suspended_at else note_to_html(account.note),
        url=account.url or account.uri,
        inbox=account.inbox_url,
        outbox=account.outbox_url or (urls.instance_outbox if instance_actor
                                      else urls.outbox(username)),
        followers=None if instance_actor else urls.followers(username),
        following=None if instance_actor else urls.following(username),
        shared_inbox=urls.shared_inbox,
        key_id=key.key_id,
        public_key_pem=key.public_key_pem,
        manually_approves_followers=account.manually_approves_followers,
        discoverable=account.discoverable,
        published=account.created_at,
        suspended=account.suspended_at is not None,
        also_known_as=tuple(account.also_known_as or ()),
        moved_to=account.moved_to_uri,
        # Avatar and header: JPEGs we made (server.services.accounts.profile_settings).
        icon_url=None if account.suspended_at else account.avatar_url,
        icon_media_type="image/jpeg" if account.avatar_url else None,
        image_url=None if account.suspended_at else account.header_url,
        image_media_type="image/jpeg" if account.header_url else None,
    )
    return actor_document(fields)


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
        "replies": _collection(f"{status.uri}/replies", status.replies_count),
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
    for key in ("prompt", "model", "seed"):
        if getattr(status, key) is not None:
            doc[key] = getattr(status, key)
    return doc


def create_activity(status: Status, parts: NoteParts, config: Config) -> dict[str, Any]:
    obj = note(status, parts, config)
    context = obj.pop("@context")
    return builders.wrap("Create", f"{status.uri}/activity", parts.author.uri, obj,
                         to=obj["to"], cc=obj["cc"], context=context,
                         published=obj["published"])
