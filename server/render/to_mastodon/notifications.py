"""Notification (REST::NotificationSerializer) and grouped notifications
(REST::DedupNotificationGroupSerializer, REST::NotificationGroupSerializer).

Our notification types onto Mastodon's (NotificationTypeEnum):
- follow, follow_request, favourite, reblog, mention, status, admin.sign_up: the same.
- reply -> mention: Mastodon has no reply type; a reply reaches you as a mention, and
  clients show the replying status.
- remix -> quote: a remix is a new status of someone else's made from yours and pointing
  back at it, which is what a quote is; the notification's status is the remix, as a quote
  notification's status is the quoting one. Clients that know quotes show "X quoted your
  post" with the remix; the others leave the type out, as they do with any type they do not
  know.
- admin.report is not served: Mastodon's carries a Report entity that clients read
  unconditionally, and ours does not point at its report (the web app shows them).
Every notification and group also carries our own type under `dreamfeed.type`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.common import iso, iso_or_none
from server.render.to_mastodon.parts import AccountParts, StatusParts
from server.render.to_mastodon.statuses import status

# Ours -> Mastodon's (see above); a type missing here is not served.
MASTODON_TYPES = {
    "follow": "follow",
    "follow_request": "follow_request",
    "favourite": "favourite",
    "reblog": "reblog",
    "mention": "mention",
    "reply": "mention",
    "remix": "quote",
    "quote": "quote",
    "status": "status",
    "admin.sign_up": "admin.sign_up",
}


def stored_types(include: Iterable[str], exclude: Iterable[str]) -> frozenset[str]:
    """Our types answering a client's types[] (all when empty) less its exclude_types[],
    both in Mastodon's names; names we do not serve are ignored (as Mastodon ignores
    unknown ones)."""
    wanted = set(include)
    unwanted = set(exclude)
    return frozenset(ours for ours, theirs in MASTODON_TYPES.items()
                     if (not wanted or theirs in wanted) and theirs not in unwanted)


@dataclass(frozen=True)
class NotificationParts:
    id: int
    type: str  # ours
    created_at: datetime
    group_key: str
    account: AccountParts
    status: StatusParts | None


@dataclass(frozen=True)
class GroupParts:
    """One notification group of a page (a single notification is a group of one)."""

    group_key: str
    type: str  # ours
    notifications_count: int
    most_recent_notification_id: int
    sample_account_ids: list[int]
    status_id: int | None
    # Where the group sits in the page (None outside a page: a group fetched by its key).
    page_min_id: int | None = None
    page_max_id: int | None = None
    latest_page_notification_at: datetime | None = None


def notification(parts: NotificationParts, base_url: str) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(parts.id),
        "type": MASTODON_TYPES[parts.type],
        "created_at": iso(parts.created_at),
        "group_key": parts.group_key,
        "account": account(parts.account),
        "dreamfeed": {"type": parts.type},
    }
    if parts.status is not None:
        entity["status"] = status(parts.status, base_url)
    return entity


def group(parts: GroupParts) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "group_key": parts.group_key,
        "notifications_count": parts.notifications_count,
        "type": MASTODON_TYPES[parts.type],
        "most_recent_notification_id": parts.most_recent_notification_id,
        "sample_account_ids": [str(i) for i in parts.sample_account_ids],
        "dreamfeed": {"type": parts.type},
    }
    if parts.page_max_id is not None:
        entity["page_min_id"] = str(parts.page_min_id or parts.page_max_id)
        entity["page_max_id"] = str(parts.page_max_id)
        entity["latest_page_notification_at"] = iso_or_none(parts.latest_page_notification_at)
    if parts.status_id is not None:
        entity["status_id"] = str(parts.status_id)
    return entity


def partial_account(parts: AccountParts) -> dict[str, Any]:
    """PartialAccountWithAvatar: enough for a row of avatars."""
    return {"id": str(parts.account.id), "acct": parts.acct,
            "locked": parts.account.manually_approves_followers,
            "bot": parts.account.actor_type in ("Service", "Application"),
            "url": parts.url, "avatar": parts.avatar_url, "avatar_static": parts.avatar_url,
            "avatar_description": ""}


def grouped_results(groups: list[GroupParts], accounts: list[AccountParts],
                    statuses: list[StatusParts], base_url: str, *,
                    partial_accounts: list[AccountParts] | None = None) -> dict[str, Any]:
    """GroupedNotificationsResults: the groups, and each account and status they name once."""
    entity: dict[str, Any] = {
        "accounts": [account(a) for a in accounts],
        "statuses": [status(s, base_url) for s in statuses],
        "notification_groups": [group(g) for g in groups],
    }
    if partial_accounts is not None:
        entity["partial_accounts"] = [partial_account(a) for a in partial_accounts]
    return entity
