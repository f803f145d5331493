"""Our rows -> ActivityStreams documents (the way out). Pure functions over loaded rows."""

from __future__ import annotations

from html import escape
from typing import Any

from activitypub.documents import ActorFields, actor_document
from server.config import Config
from server.urls import Urls
from storage.models import Account, AccountKey


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
