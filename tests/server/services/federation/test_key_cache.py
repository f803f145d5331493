from __future__ import annotations

import asyncio

import pytest

from server.services.federation.key_cache import CachedKey, KeyCache


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
