"""An in-memory cache of remote public keys by keyId, with single-flight loading.

Many requests signed with the same new key may arrive at once; only one of them fetches it,
the others wait on the same future.

Entries never expire: a key is kept until a "dreamfeed.keys" event (any process's, through
the bus: `on_event`) says its account's keys changed, or a signature fails with it (the inbox
refetches it once).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from server.services.streaming.events import StreamEvent


@dataclass(frozen=True)
class CachedKey:
    key_id: str
    public_key_pem: str
    owner_uri: str
    account_id: int


Loader = Callable[[str], Awaitable[CachedKey]]


class KeyCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: OrderedDict[str, CachedKey] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[CachedKey]] = {}
        # Loads under way when an event dropped keys: their result answers, but is not kept.
        self._stale: set[str] = set()
        self._max = max_entries

    def peek(self, key_id: str) -> CachedKey | None:
        entry = self._entries.get(key_id)
        if entry is not None:
            self._entries.move_to_end(key_id)
        return entry

    def put(self, entry: CachedKey) -> None:
        self._entries[entry.key_id] = entry
        self._entries.move_to_end(entry.key_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def invalidate(self, key_id: str) -> None:
        self._entries.pop(key_id, None)

    def invalidate_owner(self, owner_uri: str) -> None:
        for key_id in [k for k, v in self._entries.items() if v.owner_uri == owner_uri]:
            del self._entries[key_id]

    def clear(self) -> None:
        self._entries.clear()
        self._stale.update(self._inflight)

    def invalidate_account(self, account_id: int) -> None:
        for key_id in [k for k, v in self._entries.items() if v.account_id == account_id]:
            del self._entries[key_id]

    def on_event(self, event: StreamEvent) -> None:
        """A Hub listener: a "dreamfeed.keys" event drops its account's keys."""
        if event.kind == "dreamfeed.keys" and event.account_id is not None:
            self.invalidate_account(event.account_id)
            # A load under way may have read the old key: what it returns is not kept.
            self._stale.update(self._inflight)

    async def get(self, key_id: str, loader: Loader) -> CachedKey:
        """The cached key, or the result of one `loader(key_id)` shared by all waiters."""
        entry = self.peek(key_id)
        if entry is not None:
            return entry
        pending = self._inflight.get(key_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedKey] = asyncio.get_running_loop().create_future()
        self._inflight[key_id] = future
        try:
            entry = await loader(key_id)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            # Nobody else may be waiting; don't let the loop log "exception never retrieved".
            future.exception()
            raise
        else:
            if key_id not in self._stale:
                self.put(entry)
            future.set_result(entry)
            return entry
        finally:
            del self._inflight[key_id]
            self._stale.discard(key_id)
