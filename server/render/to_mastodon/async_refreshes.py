"""AsyncRefresh (Mastodon 4.4's app/models/async_refresh.rb#to_json): a background refresh a
client may poll, such as the fetch of a remote status's thread that its context started."""

from __future__ import annotations

from typing import Any


def async_refresh(refresh_id: str, status: str) -> dict[str, Any]:
    # result_count: null, as Mastodon's for a refresh that does not count its results.
    return {"async_refresh": {"id": refresh_id, "status": status, "result_count": None}}


def refresh_header(refresh_id: str, retry_seconds: int = 3) -> str:
    """The Mastodon-Async-Refresh header of an answer whose refresh is running
    (AsyncRefreshesConcern#add_async_refresh_header: id, and seconds before asking again)."""
    return f'id="{refresh_id}", retry={retry_seconds}'
