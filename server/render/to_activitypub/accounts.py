"""Accounts on the wire: the actor document, and the Update, Delete and Move an account sends
about itself. Pure functions over loaded rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from activitypub import builders
from activitypub.documents import ActorFields, actor_document
from server.config import Config
from server.render.text import MentionTarget, bio_html, field_html
from server.urls import Urls
from storage.models import Account, AccountKey


def _media_type(url: str) -> str:
    return "image/png" if url.endswith(".png") else "image/jpeg"


def local_actor(account: Account, key: AccountKey, config: Config, *,
                mentions: Mapping[str, MentionTarget] | None = None) -> dict[str, Any]:
    """The actor document of a local account or of the instance actor. `mentions`: the
    accounts its bio mentions that are known here (services.accounts.bio.bio_mentions),
    linked in `summary` as Mastodon links them; the others stay text."""
    urls = Urls(config.base_url)
    instance_actor = account.actor_type == "Application"
    username = account.username
    # The instance actor has no face (as Mastodon's); people always show one.
    avatar = account.avatar_url or (None if instance_actor else urls.default_avatar)
    header = account.header_url or (None if instance_actor else urls.default_header)
    fields = ActorFields(
        id=account.uri,
        type=account.actor_type,
        preferred_username=username,
        webfinger=f"{username}@{config.instance.domain}",
        # Suspended: no profile beyond the name and key (Mastodon's ActorSerializer).
        name=username if account.suspended_at else account.display_name or username,
        summary_html="" if account.suspended_at else bio_html(
            account.note, tag_url=urls.tag, local_domain=config.instance.domain,
            mentions=mentions or {}),
        url=account.url or account.uri,
        inbox=account.inbox_url,
        outbox=account.outbox_url or (urls.instance_outbox if instance_actor
                                      else urls.outbox(username)),
        followers=None if instance_actor else urls.followers(username),
        following=None if instance_actor else urls.following(username),
        featured=None if instance_actor else urls.featured(username),
        shared_inbox=urls.shared_inbox,
        key_id=key.key_id,
        public_key_pem=key.public_key_pem,
        manually_approves_followers=account.manually_approves_followers,
        discoverable=account.discoverable,
        published=account.created_at,
        suspended=account.suspended_at is not None,
        also_known_as=tuple(account.also_known_as or ()),
        moved_to=account.moved_to_uri,
        # Avatar and header: JPEGs we made (server.services.accounts.profile_settings), or
        # for a person without them the default PNGs the client API shows too.
        icon_url=None if account.suspended_at else avatar,
        icon_media_type=None if avatar is None else _media_type(avatar),
        image_url=None if account.suspended_at else header,
        image_media_type=None if header is None else _media_type(header),
        property_values=() if account.suspended_at else tuple(
            (str(f.get("name", "")), field_html(str(f.get("value", "")), tag_url=urls.tag,
                                                local_domain=config.instance.domain))
            for f in account.fields or [] if isinstance(f, dict)),
    )
    return actor_document(fields)


def actor_update(account: Account, key: AccountKey, config: Config, *, at: datetime,
                 serial: int, mentions: Mapping[str, MentionTarget] | None = None
                 ) -> dict[str, Any]:
    """A profile change (Mastodon's Update of the actor, id `<actor>#updates/<time>`);
    `serial` keeps two changes in one second apart."""
    return builders.update_actor(f"{account.uri}#updates/{int(at.timestamp())}-{serial}",
                                 local_actor(account, key, config, mentions=mentions))


def actor_delete(account_uri: str) -> dict[str, Any]:
    """An account deleting itself (Mastodon's DeleteActorSerializer)."""
    return builders.delete_actor(account_uri)


def move(origin: Account, target: Account, *, serial: int) -> dict[str, Any]:
    """`origin` moves to `target` (Mastodon's MoveSerializer)."""
    return builders.move(f"{origin.uri}#moves/{serial}", origin.uri, target.uri)
