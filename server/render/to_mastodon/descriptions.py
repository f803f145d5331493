"""Dreamfeed's Description entity: a vision model's draft of an image's alt text
(POST /api/v1/dreamfeed/media/:id/describe, documented in server.handlers.api.dreamfeed).
A draft only: nothing is saved until the client PUTs it as the media's description."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.render.to_mastodon.common import iso


@dataclass(frozen=True)
class DescriptionParts:
    media_id: int
    description: str
    caption: str
    model: str
    used_prompt: bool
    daily_limit: int  # 0: no limit
    remaining_today: int | None  # None without a limit
    resets_at: datetime


def description(parts: DescriptionParts) -> dict[str, Any]:
    return {
        "media_id": str(parts.media_id),
        "description": parts.description,
        "caption": parts.caption or None,
        "model": parts.model,
        "used_prompt": parts.used_prompt,
        "daily_limit": parts.daily_limit,
        "remaining_today": parts.remaining_today,
        "resets_at": iso(parts.resets_at),
    }
