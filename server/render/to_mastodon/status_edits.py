"""StatusEdit (REST::StatusEditSerializer): one version of a status, as
GET /api/v1/statuses/:id/history lists them."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.common import iso
from server.render.to_mastodon.media import attachment
from server.render.to_mastodon.parts import StatusParts


def status_edit(parts: StatusParts) -> dict[str, Any]:
    """The current version, dated by its last edit (or its creation): earlier versions are
    not stored."""
    row = parts.status
    return {
        "content": parts.content_html,
        "spoiler_text": row.spoiler_text,
        "sensitive": row.sensitive,
        "created_at": iso(row.edited_at or row.created_at),
        "account": account(parts.account),
        "poll": None,
        "media_attachments": [attachment(m) for m in parts.media],
        "emojis": [],
    }
