"""Id-based pagination with the Mastodon client API's rules, for every list we serve.

- `max_id`: only rows with id < max_id (older than it), newest first.
- `since_id`: only rows with id > since_id, the *newest* `limit` of them, newest first.
- `min_id`: only rows with id > min_id, the `limit` rows *just after* min_id, newest first
  (used to page forwards without gaps).
- `limit`: page size, clamped to [1, maximum].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from storage.ids import parse_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 40

T = TypeVar("T")
S = TypeVar("S", bound="Select[*tuple[Any, ...]]")


class InvalidPage(ValueError):
    """A pagination parameter that is not a valid id or limit; the message names it (in
    English, for the client API). `parameter`, `value` and `expected` ("id" or "number") let
    a page say it in the reader's language (storage has no translations)."""

    def __init__(self, parameter: str, value: str, expected: Literal["id", "number"]) -> None:
        wanted = "an id" if expected == "id" else "a number"
        super().__init__(f"{parameter} must be {wanted}, not {value!r}")
        self.parameter = parameter
        self.value = value
        self.expected = expected


@dataclass(frozen=True)
class Page:
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
    limit: int = DEFAULT_LIMIT

    @property
    def ascending(self) -> bool:
        """min_id pages are fetched oldest-first, then reversed."""
        return self.min_id is not None


def parse_page(query: Mapping[str, str], *, default: int = DEFAULT_LIMIT,
               maximum: int = MAX_LIMIT) -> Page:
    ids: dict[str, int | None] = {}
    for name in ("max_id", "since_id", "min_id"):
        raw = query.get(name)
        value = parse_id(raw)
        if raw not in (None, "") and value is None:
            raise InvalidPage(name, str(raw), "id")
        ids[name] = value
    raw_limit = query.get("limit")
    limit = default
    if raw_limit not in (None, ""):
        try:
            limit = int(raw_limit)
        except ValueError:
            raise InvalidPage("limit", str(raw_limit), "number") from None
    return Page(max_id=ids["max_id"], since_id=ids["since_id"], min_id=ids["min_id"],
                limit=max(1, min(limit, maximum)))


def apply_page(stmt: S, id_column: InstrumentedAttribute[int], page: Page) -> S:
    """Add the page's bounds, order and limit to `stmt`."""
    if page.max_id is not None:
        stmt = stmt.where(id_column < page.max_id)
    if page.since_id is not None:
        stmt = stmt.where(id_column > page.since_id)
    if page.min_id is not None:
        stmt = stmt.where(id_column > page.min_id)
    order = id_column.asc() if page.ascending else id_column.desc()
    return stmt.order_by(order).limit(page.limit)


def finish_page(rows: Sequence[T], page: Page) -> list[T]:
    """Rows as clients expect them: always newest first."""
    return list(reversed(rows)) if page.ascending else list(rows)


@dataclass(frozen=True)
class PageLinks:
    """Where the next (older) and previous (newer) pages start, for a Link header."""

    next_max_id: int | None
    prev_min_id: int | None


def page_links(ids: Sequence[int]) -> PageLinks:
    if not ids:
        return PageLinks(None, None)
    return PageLinks(next_max_id=ids[-1], prev_min_id=ids[0])
