"""Dreamfeed's Generation entity (the client API extension: /api/v1/dreamfeed/generations,
documented in server.handlers.api.dreamfeed). Its images are Mastodon MediaAttachments."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.common import id_or_none, iso, iso_or_none
from server.render.to_mastodon.media import attachment
from server.render.to_mastodon.parts import MediaParts
from storage.models import Generation


def generation(row: Generation, media: list[MediaParts], *, source_media_id: int | None,
               remix_of_status_id: int | None) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "state": row.state,
        "prompt": row.prompt,
        "model": row.model,
        "size": row.size,
        "quality": row.quality,
        "style": row.style,
        "seed": row.seed,
        "n": row.n,
        "created_at": iso(row.created_at),
        "finished_at": iso_or_none(row.finished_at),
        "error": row.error,
        "error_code": row.error_code,
        "source_media_id": id_or_none(source_media_id),
        "remix_of": id_or_none(remix_of_status_id),
        "media_attachments": [attachment(m) for m in media],
    }
