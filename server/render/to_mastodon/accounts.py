"""Account and CredentialAccount (REST::AccountSerializer, REST::CredentialAccountSerializer)."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.common import day, midnight
from server.render.to_mastodon.parts import AccountParts


def account(parts: AccountParts) -> dict[str, Any]:
    row = parts.account
    # A deleted account shows as suspended, as Mastodon keeps a deleted one (suspended).
    suspended = row.suspended_at is not None or row.deleted_at is not None
    entity: dict[str, Any] = {
        "id": str(row.id),
        "username": row.username,
        "acct": parts.acct,
        "url": parts.url,
        "uri": row.uri,
        "display_name": "" if suspended else row.display_name,
        "note": "" if suspended else parts.note_html,
        "avatar": parts.avatar_url,
        "avatar_static": parts.avatar_url,
        "avatar_description": "",
        "header": parts.header_url,
        "header_static": parts.header_url,
        "header_description": "",
        "locked": row.manually_approves_followers,
        "fields": [] if suspended else [
            {"name": name, "value": value, "verified_at": verified_at}
            for name, value, verified_at in parts.fields],
        "emojis": [],
        "bot": row.actor_type in ("Service", "Application"),
        "group": row.actor_type == "Group",
        "discoverable": row.discoverable,
        "indexable": row.discoverable and row.is_local,
        "noindex": not row.discoverable,
        "hide_collections": False,
        "created_at": midnight(row.created_at),
        "last_status_at": None if parts.last_status_at is None else day(parts.last_status_at),
        "statuses_count": parts.statuses_count,
        "followers_count": parts.followers_count,
        "following_count": parts.following_count,
        "roles": [],
    }
    if suspended:
        entity["suspended"] = True
    if parts.moved is not None:
        entity["moved"] = account(parts.moved)
    return entity


def credential_account(parts: AccountParts, *, note_source: str, privacy: str,
                       sensitive: bool, language: str | None,
                       follow_requests_count: int, admin: bool) -> dict[str, Any]:
    """verify_credentials and update_credentials: the account with its editable `source`
    and the user's role."""
    entity = account(parts)
    entity["source"] = {
        "privacy": privacy,
        "sensitive": sensitive,
        "language": language,
        "note": note_source,
        "fields": [{"name": f.get("name", ""), "value": f.get("value", ""),
                    "verified_at": f.get("verified_at")}
                   for f in parts.account.fields or [] if isinstance(f, dict)],
        "follow_requests_count": follow_requests_count,
        "hide_collections": False,
        "discoverable": parts.account.discoverable,
        "indexable": parts.account.discoverable,
        "attribution_domains": [],
    }
    entity["role"] = _role(admin)
    return entity


def _role(admin: bool) -> dict[str, Any]:
    # Mastodon's built-in roles: Owner/Admin carry every permission bit; "" is the
    # everyone role (id -99 in Mastodon).
    if admin:
        return {"id": "3", "name": "Admin", "color": "", "permissions": "1048575",
                "highlighted": True}
    return {"id": "-99", "name": "", "color": "", "permissions": "65536",
            "highlighted": False}


def mention(account_id: int, username: str, acct: str, url: str) -> dict[str, Any]:
    return {"id": str(account_id), "username": username, "acct": acct, "url": url}

