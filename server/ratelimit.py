"""Rate limits: the one module that knows about the `limits` library.

One `RateLimiter` per process, built from `[ratelimits]`: counters live in `storage`
("memory://" for one process, "redis://..." when several processes share the budget), and
each limit uses a moving window, so a burst cannot straddle a window edge to get twice the
budget. Callers name the limit ("login", "posting", ...) and the key (an IP, a user id, a
remote host); over the limit, `hit` raises RateLimited with the seconds until a slot frees.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from server.config import RateLimitsConfig
from server.errors import RateLimited

LimitName = Literal["signup", "login", "generation", "posting", "inbox", "fetch", "lookup",
                    "api"]

# What each limit counts, for the message a refused client sees.
_WHAT: dict[str, str] = {
    "signup": "sign-up attempts",
    "login": "sign-in attempts",
    "generation": "image generations",
    "posting": "posts",
    "inbox": "deliveries to this inbox",
    "fetch": "fetches",
    "lookup": "lookups of remote accounts",
    "api": "API requests",
}


@dataclass(frozen=True)
class Budget:
    """What is left of a limit after a hit: the client API sends it as X-RateLimit-*."""

    limit: int
    remaining: int
    reset_at: float  # Unix time when the window frees a slot


class RateLimiter:
    """Counts hits per (limit, key); does nothing at all when `enabled` is false."""

    def __init__(self, config: RateLimitsConfig) -> None:
        self.enabled = config.enabled
        self._items: dict[str, RateLimitItem] = {
            name: parse(getattr(config, name)) for name in _WHAT}
        storage = storage_from_string("async+" + config.storage)
        if not isinstance(storage, Storage):  # the "async+" prefix guarantees it
            raise TypeError(f"not an async rate limit storage: {config.storage}")
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)

    async def hit(self, name: LimitName, key: str) -> None:
        """Count one request of kind `name` from `key`; raises RateLimited when over."""
        if not self.enabled:
            return
        item = self._items[name]
        if await self._strategy.hit(item, name, key):
            return
        retry = await self._retry_after(item, name, key)
        raise RateLimited(f"too many {_WHAT[name]}: at most {item.amount} per "
                          f"{_describe(item)}; try again in {retry} s", retry_after=retry)

    async def hit_with_budget(self, name: LimitName, key: str) -> Budget | None:
        """`hit`, answering what is left (None when limits are off). Over the limit it
        raises RateLimited as `hit` does."""
        if not self.enabled:
            return None
        await self.hit(name, key)
        item = self._items[name]
        stats = await self._strategy.get_window_stats(item, name, key)
        return Budget(limit=item.amount, remaining=max(0, stats.remaining),
                      reset_at=stats.reset_time)

    def amount(self, name: LimitName) -> int:
        """How many requests the limit allows per window."""
        return int(self._items[name].amount)

    async def check(self, name: LimitName, key: str) -> None:
        """Raise RateLimited if `key` has no budget left, without counting a hit (to refuse
        cheaply before doing expensive work that is counted only when it fails)."""
        if not self.enabled:
            return
        item = self._items[name]
        if not await self._strategy.test(item, name, key):
            retry = await self._retry_after(item, name, key)
            raise RateLimited(f"too many {_WHAT[name]}: try again in {retry} s",
                              retry_after=retry)

    async def clear(self, name: LimitName, key: str) -> None:
        await self._strategy.clear(self._items[name], name, key)

    async def close(self) -> None:
        # The in-memory store schedules an expiry task; cancel it with the loop still alive.
        if isinstance(self._storage, MemoryStorage):
            await self._storage.reset()

    async def _retry_after(self, item: RateLimitItem, name: str, key: str) -> int:
        stats = await self._strategy.get_window_stats(item, name, key)
        return max(1, math.ceil(stats.reset_time - time.time()))


def _describe(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"
