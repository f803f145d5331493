"""Rendered documents kept in memory: the actor, WebFinger, NodeInfo and instance documents
and the pages anonymous visitors see (profile, post, feeds), as Mastodon keeps its logged-out
pages and NodeInfo in Rails.cache.

One `DocumentCache` per web process, bounded by bytes and by entries (least recently used
goes first), so memory stays flat however many accounts are read. Each entry names what it
shows with tags ("account:ID", "status:ID"); the bus's events drop the entries of what they
changed, in every web process (`on_event`, a Hub listener). An entry also expires after
`ttl` seconds: what changes without an event (counters: likes, followers) is seen that late
at most. CLI commands publish their events too (server.cli.common.open_services).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from server.services.streaming.events import StreamEvent

# The longest a page shows counters (likes, followers) that change without an event.
FRESH_SECONDS = 2.0
# NodeInfo's usage counts: Mastodon renders NodeInfo through a 30-minute cache
# (well_known/node_info_controller.rb, render_with_cache expires_in: 30.minutes).
USAGE_SECONDS = 30 * 60.0
MAX_BYTES = 32 * 1024 * 1024
MAX_ENTRIES = 4096
# Events whose status_id names a post whose page (and its boosted post's) shows them.
_STATUS_KINDS = frozenset({"update", "status.update", "delete"})


def account_tag(account_id: int) -> str:
    return f"account:{account_id}"


def status_tag(status_id: int) -> str:
    return f"status:{status_id}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A response as it goes out: status, body, headers (with the ETag)."""
    status: int
    body: bytes
    headers: dict[str, str]
    etag: str
    expires: float
    tags: frozenset[str]


def etag_of(body: bytes) -> str:
    """A weak validator of the body (as Rails' fresh_when): same bytes, same ETag, in
    every process."""
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class DocumentCache:
    def __init__(self, *, max_bytes: int = MAX_BYTES, max_entries: int = MAX_ENTRIES,
                 fresh: float = FRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # How long an entry lives without an event dropping it (`put`'s default).
        self.fresh = fresh
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._tagged: dict[str, set[Hashable]] = {}
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._bytes = 0

    def get(self, key: Hashable, *, stale: bool = False) -> Entry | None:
        """The entry while fresh; with `stale`, also once expired (until replaced or
        dropped by an event): what others are answered while one request renders anew."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= self._clock() and not stale:
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, body: bytes, headers: dict[str, str], *, status: int = 200,
            tags: Iterable[str] = (), ttl: float | None = None) -> Entry:
        """Keep a response (its ETag added to `headers`); returns it as kept. One bigger
        than an eighth of the cap is answered but not kept."""
        etag = etag_of(body)
        expires = self._clock() + (self.fresh if ttl is None else ttl)
        entry = Entry(status, body, {**headers, "ETag": etag}, etag, expires, frozenset(tags))
        if len(body) > self._max_bytes // 8:
            return entry
        if key in self._entries:
            self._drop(key)
        self._entries[key] = entry
        self._bytes += len(body)
        for tag in entry.tags:
            self._tagged.setdefault(tag, set()).add(key)
        while self._bytes > self._max_bytes or len(self._entries) > self._max_entries:
            self._drop(next(iter(self._entries)))
        return entry

    def invalidate(self, tag: str) -> None:
        for key in self._tagged.pop(tag, ()):
            self._drop(key)

    def clear(self) -> None:
        self._entries.clear()
        self._tagged.clear()
        self._values.clear()
        self._bytes = 0

    def value(self, key: Hashable) -> Any | None:
        """A computed value kept with `remember` (None when absent or expired)."""
        found = self._values.get(key)
        if found is None or found[0] <= self._clock():
            return None
        return found[1]

    def remember(self, key: Hashable, value: Any, ttl: float) -> None:
        # A handful of keys (usage counts): no LRU needed, but never unbounded.
        if len(self._values) >= 64:
            self._values.clear()
        self._values[key] = (self._clock() + ttl, value)

    def on_event(self, event: StreamEvent) -> None:
        """A Hub listener: drop what the event changed (its account's documents and pages,
        its post's page and the boosted post's, and the pages of the account a reply
        answers, whose post page lists it)."""
        for account_id in (event.account_id, event.in_reply_to_account_id):
            if account_id is not None:
                self.invalidate(account_tag(account_id))
        if event.kind in _STATUS_KINDS:
            for status_id in (event.status_id, event.reblog_of_id):
                if status_id is not None:
                    self.invalidate(status_tag(status_id))

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held."""
        return len(self._entries), self._bytes

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= len(entry.body)
        for tag in entry.tags:
            keys = self._tagged.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tagged[tag]
