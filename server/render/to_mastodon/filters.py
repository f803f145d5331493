"""Filter (v2, REST::FilterSerializer), FilterKeyword and V1::Filter
(REST::V1::FilterSerializer).

A Dreamfeed filter is one phrase (server.services.social.filters), so in Mastodon's terms
each is a filter with exactly one keyword: the v2 filter, its keyword and the v1 filter share
one id, and the v2 title is the phrase."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from server.render.to_mastodon.common import iso_or_none


class FilterLike(Protocol):
    """What the converters read (server.services.social.filters.FilterView has it)."""

    @property
    def id(self) -> int: ...
    @property
    def phrase(self) -> str: ...
    @property
    def whole_word(self) -> bool: ...
    @property
    def contexts(self) -> Sequence[str]: ...
    @property
    def action(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...


def keyword(row: FilterLike) -> dict[str, Any]:
    return {"id": str(row.id), "keyword": row.phrase, "whole_word": row.whole_word}


def filter_v2(row: FilterLike) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "title": row.phrase,
        "context": list(row.contexts),
        "expires_at": iso_or_none(row.expires_at),
        "filter_action": row.action,
        "keywords": [keyword(row)],
        "statuses": [],
    }


def filter_v1(row: FilterLike) -> dict[str, Any]:
    """V1::Filter: `irreversible` is the hide action (dropped by the server), otherwise warn."""
    return {
        "id": str(row.id),
        "phrase": row.phrase,
        "context": list(row.contexts),
        "whole_word": row.whole_word,
        "expires_at": iso_or_none(row.expires_at),
        "irreversible": row.action == "hide",
    }
