"""List (REST::ListSerializer)."""

from __future__ import annotations

from typing import Any

from storage.models import AccountList


def list_entity(row: AccountList) -> dict[str, Any]:
    return {"id": str(row.id), "title": row.title, "replies_policy": row.replies_policy,
            "exclusive": row.exclusive}
