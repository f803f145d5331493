"""Our rows -> ActivityStreams documents (the way out). Pure functions over loaded rows."""

from __future__ import annotations

from html import escape
from typing import Any

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
        name=account.display_name or username,
        summary_html=note_to_html(account.note),
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
    )
    return actor_document(fields)


def note(status: Status, author: Account, config: Config) -> dict[str, Any]:
    """A post as a Note. The posts issue adds attachments, tags and the AI label."""
    urls = Urls(config.base_url)
    followers = urls.followers(author.username)
    to, cc = {
        "public": ([AS_PUBLIC], [followers]),
        "unlisted": ([followers], [AS_PUBLIC]),
        "private": ([followers], []),
    }.get(status.visibility, ([], []))
    doc: dict[str, Any] = {
        "id": status.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "content": status.content,
        "published": format_datetime(status.created_at),
        "url": status.url or urls.status_page(author.username, status.id),
        "to": to,
        "cc": cc,
        "sensitive": status.sensitive,
        "summary": status.spoiler_text or None,
    }
    if status.language:
        doc["contentMap"] = {status.language: status.content}
    return doc


def create_activity(status: Status, author: Account, config: Config) -> dict[str, Any]:
    obj = note(status, author, config)
    return {
        "id": f"{status.uri}/activity",
        "type": "Create",
        "actor": author.uri,
        "published": obj["published"],
        "to": obj["to"],
        "cc": obj["cc"],
        "object": obj,
    }
