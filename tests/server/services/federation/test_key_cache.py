from __future__ import annotations

import asyncio

import pytest

from server.services.federation.key_cache import CachedKey, KeyCache
from server.services.streaming.events import StreamEvent


def _key(key_id: str) -> CachedKey:
    return CachedKey(key_id, "PEM", "https://r.example/users/a", 1)


async def test_many_waiters_fetch_a_key_once() -> None:
    cache = KeyCache()
    calls = 0
    release = asyncio.Event()

    async def loader(key_id: str) -> CachedKey:
        nonlocal calls
        calls += 1
        await release.wait()
        return _key(key_id)

    waiters = [asyncio.create_task(cache.get("k", loader)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*waiters)
    assert calls == 1
    assert {r.key_id for r in results} == {"k"}
    assert await cache.get("k", loader) is results[0]  # cached now
    assert calls == 1


async def test_failures_reach_every_waiter_and_are_not_cached() -> None:
    cache = KeyCache()
    calls = 0

    async def loader(key_id: str) -> CachedKey:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError("origin down")

    results = await asyncio.gather(*(cache.get("k", loader) for _ in range(5)),
                                   return_exceptions=True)
    assert calls == 1 and all(isinstance(r, LookupError) for r in results)
    with pytest.raises(LookupError):
        await cache.get("k", loader)
    assert calls == 2


async def test_invalidate_and_lru_bound() -> None:
    cache = KeyCache(max_entries=2)
    for key_id in ("a", "b", "c"):
        cache.put(_key(key_id))
    assert cache.peek("a") is None and cache.peek("c") is not None
    cache.invalidate_owner("https://r.example/users/a")
    assert cache.peek("b") is None and cache.peek("c") is None


def _owned(key_id: str, account_id: int) -> CachedKey:
    return CachedKey(key_id, "PEM", f"https://r.example/users/{account_id}", account_id)


async def test_a_keys_event_drops_that_accounts_keys_only() -> None:
    cache = KeyCache()
    cache.put(_owned("a1", 1))
    cache.put(_owned("a2", 1))
    cache.put(_owned("b", 2))
    cache.on_event(StreamEvent("dreamfeed.account", account_id=1))  # not about keys
    assert cache.peek("a1") is not None
    cache.on_event(StreamEvent("dreamfeed.keys", account_id=1))
    assert cache.peek("a1") is None and cache.peek("a2") is None
    assert cache.peek("b") is not None


async def test_a_load_under_way_when_keys_change_is_not_kept() -> None:
    """The load may have read the old key before the change committed: it answers its
    caller, but the next request loads again."""
    cache = KeyCache()
    release = asyncio.Event()
    calls = 0

    async def loader(key_id: str) -> CachedKey:
        nonlocal calls
        calls += 1
        await release.wait()
        return _owned(key_id, 1)

    waiting = asyncio.create_task(cache.get("a1", loader))
    await asyncio.sleep(0)
    cache.on_event(StreamEvent("dreamfeed.keys", account_id=1))
    release.set()
    assert (await waiting).key_id == "a1"
    assert cache.peek("a1") is None
    await cache.get("a1", loader)
    assert calls == 2 and cache.peek("a1") is not None
