"""Relationships and favourites on the wire: Follow and its Undo, the Accept or Reject of
someone's Follow, Block and its Undo, Like and its Undo. Pure functions over loaded rows."""

from __future__ import annotations

from typing import Any

from activitypub import builders, interaction_policy
from server.urls import Urls
from storage.models import Account, Favourite, Follow, Status


def follow(row: Follow, follower: Account, target: Account, urls: Urls) -> dict[str, Any]:
    """A local account's Follow: its id is the row's, or the one we give our follows."""
    activity_id = row.uri or urls.follow_activity(follower.username, row.id)
    return builders.follow(activity_id, follower.uri, target.uri)


def undo_follow(row: Follow, follower: Account, target: Account,
                urls: Urls) -> dict[str, Any]:
    followed = follow(row, follower, target, urls)
    return builders.undo(f"{followed['id']}/undo", follower.uri, followed)


def _their_follow(row: Follow, follower: Account, target: Account) -> dict[str, Any]:
    """A remote account's Follow of a local one, named by the id it came with."""
    return builders.follow(row.uri or "", follower.uri, target.uri)


def accept_follow(row: Follow, follower: Account, target: Account, *,
                  serial: int) -> dict[str, Any]:
    """`target` (local) accepts `follower`'s Follow, embedded (Mastodon matches it by id)."""
    return builders.accept(f"{target.uri}#accepts/{serial}", target.uri,
                           _their_follow(row, follower, target))


def reject_follow(row: Follow, follower: Account, target: Account, *,
                  serial: int) -> dict[str, Any]:
    """`target` (local) rejects `follower`'s Follow, or ends an accepted one."""
    return builders.reject(f"{target.uri}#rejects/{serial}", target.uri,
                           _their_follow(row, follower, target))


def block(block_id: str, blocker: Account, target: Account) -> dict[str, Any]:
    return builders.block(block_id, blocker.uri, target.uri)


def undo_block(block_id: str, blocker: Account, target: Account) -> dict[str, Any]:
    return builders.undo(f"{block_id}/undo", blocker.uri, block(block_id, blocker, target))


def like(row: Favourite, actor: Account, status: Status) -> dict[str, Any]:
    """A favourite on the wire: a Like of the status."""
    return interaction_policy.proved(builders.like(row.uri or "", actor.uri, status.uri),
                                     interaction_policy.LIKE, row.approved_by)


def undo_like(row: Favourite, actor: Account, status: Status) -> dict[str, Any]:
    liked = like(row, actor, status)
    return builders.undo(f"{liked['id']}/undo", actor.uri, liked)
