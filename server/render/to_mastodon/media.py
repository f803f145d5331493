"""MediaAttachment (REST::MediaAttachmentSerializer). Only images here: `type` is "image"."""

from __future__ import annotations

from typing import Any

from server.render.to_mastodon.parts import MediaParts


def _size(width: int | None, height: int | None) -> dict[str, Any] | None:
    if not width or not height:
        return None
    return {"width": width, "height": height, "size": f"{width}x{height}",
            "aspect": round(width / height, 6)}


def _meta(parts: MediaParts) -> dict[str, Any] | None:
    meta: dict[str, Any] = {}
    original = _size(parts.width, parts.height)
    if original is not None:
        meta["original"] = original
    small = _size(parts.preview_width, parts.preview_height)
    if small is not None:
        meta["small"] = small
    if parts.focus is not None:
        meta["focus"] = {"x": parts.focus[0], "y": parts.focus[1]}
    return meta or None


def attachment(parts: MediaParts) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(parts.id),
        "type": "image",
        "url": parts.url,
        "preview_url": parts.preview_url,
        "remote_url": parts.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": _meta(parts),
        "description": parts.description,
        "blurhash": parts.blurhash,
    }
    if parts.ai_generated is not None:
        # Dreamfeed's provenance; the visible AI label stays in the status's content.
        entity["dreamfeed"] = {"ai_generated": parts.ai_generated,
                               "generator": parts.generator,
                               "digital_source_type": parts.digital_source_type}
    return entity
