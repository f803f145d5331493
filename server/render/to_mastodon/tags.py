"""Tag (REST::TagSerializer): a hashtag with its page here. Usage history is not kept here,
so `history` is empty (a list, as the entity requires)."""

from __future__ import annotations

from typing import Any


def tag(tag_id: int, name: str, base_url: str) -> dict[str, Any]:
    return {"id": str(tag_id), "name": name, "url": f"{base_url}/tags/{name}", "history": []}
