"""Marker (REST::MarkerSerializer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.render.to_mastodon.common import iso


def marker(last_read_id: int, updated_at: datetime, version: int) -> dict[str, Any]:
    return {"last_read_id": str(last_read_id), "version": version,
            "updated_at": iso(updated_at)}
