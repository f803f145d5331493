"""Conversation (REST::ConversationSerializer): id (a string), unread, the participants
(accounts: the others, or the owner alone in a note to itself) and the newest status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.parts import AccountParts, StatusParts
from server.render.to_mastodon.statuses import status


@dataclass(frozen=True)
class ConversationParts:
    id: int
    unread: bool
    accounts: list[AccountParts]
    last_status: StatusParts | None


def conversation(parts: ConversationParts, base_url: str) -> dict[str, Any]:
    return {
        "id": str(parts.id),
        "unread": parts.unread,
        "accounts": [account(a) for a in parts.accounts],
        "last_status": status(parts.last_status, base_url)
        if parts.last_status is not None else None,
    }
