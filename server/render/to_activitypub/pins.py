"""Pins on the wire: a local account's `featured` collection and the Add/Remove its followers
get when it pins or unpins a post (Mastodon's CollectionsController `featured`,
AddNoteSerializer, RemoveNoteSerializer). Pure functions over loaded rows."""

from __future__ import annotations

from typing import Any

from activitypub import builders, featured
from server.config import Config
from server.render.to_activitypub.statuses import NoteParts, note
from server.urls import Urls
from storage.models import Account, Status


def featured_collection(account: Account, pinned: list[tuple[Status, NoteParts]],
                        config: Config) -> dict[str, Any]:
    """The account's pinned posts, each Note inline, newest pin first."""
    return featured.featured_collection(
        Urls(config.base_url).featured(account.username),
        [note(status, parts, config) for status, parts in pinned],
        context=builders.note_context())


def _activity_id(account: Account, kind: str, serial: int) -> str:
    # A fragment of the actor, as Mastodon's Update ids (`<actor>#updates/<n>`).
    return f"{account.uri}#featured/{kind}/{serial}"


def pin_add(account: Account, status: Status, config: Config, *, serial: int) -> dict[str, Any]:
    return featured.add_featured(_activity_id(account, "add", serial), account.uri,
                                 status.uri, Urls(config.base_url).featured(account.username))


def pin_remove(account: Account, status: Status, config: Config, *,
               serial: int) -> dict[str, Any]:
    return featured.remove_featured(_activity_id(account, "remove", serial), account.uri,
                                    status.uri, Urls(config.base_url).featured(account.username))
