"""Tag (REST::TagSerializer): a hashtag with its page here and its daily use. Search
answers keep no history (an empty list, as the entity requires); trends carry theirs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from server.urls import Urls


@dataclass(frozen=True)
class TagDay:
    day: date
    uses: int
    accounts: int


def tag(tag_id: int, name: str, base_url: str,
        history: Sequence[TagDay] = ()) -> dict[str, Any]:
    return {
        "id": str(tag_id),
        "name": name,
        "url": Urls(base_url).tag(name),
        # Each day as the Unix time of its midnight UTC, and the counts, all as strings.
        "history": [{"day": str(int(datetime.combine(d.day, time.min, UTC).timestamp())),
                     "uses": str(d.uses), "accounts": str(d.accounts)} for d in history],
    }
