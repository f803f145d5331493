"""64-bit, time-sortable row ids.

An id is the creation time in milliseconds since the Unix epoch shifted left 16 bits, plus 16
bits that keep ids minted in the same millisecond apart (as Mastodon's snowflake ids do). Ids
therefore sort by time, and a remote post can take its id from its `published` date. They fit a
signed 64-bit column until the year 10889. They are exposed to clients as strings.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

_SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def new_id(at: datetime | None = None) -> int:
    """A fresh id for a row created now, or at `at` (a remote object's published time).

    Ids made "now" are strictly increasing within this process. Ids made from a past date get
    random low bits, so two remote posts published in the same millisecond stay distinct.
    """
    global _last_ms, _sequence
    if at is not None:
        ms = int(_aware(at).timestamp() * 1000)
        return (max(ms, 0) << _SEQUENCE_BITS) | secrets.randbelow(_SEQUENCE_MASK + 1)
    with _lock:
        ms = _now_ms()
        if ms > _last_ms:
            _last_ms = ms
            # Start at a random point so separate processes rarely collide in the same ms.
            _sequence = secrets.randbelow(1 << (_SEQUENCE_BITS - 1))
        else:
            _sequence += 1
            if _sequence > _SEQUENCE_MASK:
                _last_ms += 1
                _sequence = 0
        return (_last_ms << _SEQUENCE_BITS) | _sequence


def id_floor(at: datetime) -> int:
    """The smallest id that could have been minted at `at` (for time-range queries)."""
    return int(_aware(at).timestamp() * 1000) << _SEQUENCE_BITS


def id_time(row_id: int) -> datetime:
    """The creation time encoded in an id."""
    return datetime.fromtimestamp((row_id >> _SEQUENCE_BITS) / 1000, tz=UTC)


def parse_id(text: str | int | None) -> int | None:
    """A client-supplied id string -> int, or None when absent or not a valid id."""
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < (1 << 63) else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
