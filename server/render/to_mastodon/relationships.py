"""Relationship and FamiliarFollowers (REST::RelationshipSerializer,
REST::FamiliarFollowersSerializer)."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.parts import AccountParts, RelationshipParts


def relationship(parts: RelationshipParts) -> dict[str, Any]:
    # Per-account languages, endorsements and private notes do not exist here: their fields
    # say so (null, false, "").
    return {
        "id": str(parts.account_id),
        "following": parts.following,
        "showing_reblogs": parts.showing_reblogs,
        "notifying": parts.notifying,
        "languages": None,
        "followed_by": parts.followed_by,
        "blocking": parts.blocking,
        "blocked_by": parts.blocked_by,
        "muting": parts.muting,
        "muting_notifications": parts.muting_notifications,
        "requested": parts.requested,
        "requested_by": parts.requested_by,
        "domain_blocking": parts.domain_blocking,
        "endorsed": False,
        "note": "",
    }


def familiar_followers(account_id: int, followers: list[AccountParts]) -> dict[str, Any]:
    return {"id": str(account_id), "accounts": [account(parts) for parts in followers]}
