"""When a remote object happened, as ids and lists use it."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.ids import new_id
from storage.types import utcnow


def clamped(at: datetime | None) -> datetime:
    """A remote timestamp, never in the future (ids sort by it: a post dated next year would
    stay on top of every list until then); now when there is none."""
    now = utcnow()
    return min(at, now) if at is not None else now


def id_dated(published: datetime | None) -> int:
    """A row id for a remote post or boost published at `published`. Most servers send
    `published` to the whole second; read as the start of it, a reply or boost made in the same
    second as its post would sort before it (a conversation would show the post as its newest).
    A whole-second time is read as the end of its second, never later than now."""
    if published is not None and published.microsecond == 0:
        published += timedelta(milliseconds=999)
    return new_id(clamped(published))
