"""The instance actor's outbox: the actor advertises it, so a GET of it answers an empty
OrderedCollection (issue 18: it answered 404)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance

AP = {"Accept": "application/activity+json"}


async def _get(instance: Instance, url: str) -> tuple[int, str, Any]:
    local = url.replace(instance.base,
                        f"http://127.0.0.1:{instance.domain.rpartition(':')[2]}")
    async with aiohttp.ClientSession() as session, session.get(local, headers=AP) as resp:
        body = await resp.json(content_type=None) if resp.status == 200 else None
        return resp.status, resp.headers.get("Content-Type", ""), body


async def test_the_advertised_outbox_answers_an_empty_collection(start: StartInstance) -> None:
    a = await start("a")
    status, _, actor = await _get(a, f"{a.base}/actor")
    assert status == 200
    assert actor["outbox"] == f"{a.base}/actor/outbox"
    status, content_type, outbox = await _get(a, actor["outbox"])
    assert status == 200
    assert content_type.startswith("application/activity+json")
    assert outbox["id"] == actor["outbox"]
    assert outbox["type"] == "OrderedCollection"
    assert outbox["totalItems"] == 0 and outbox["orderedItems"] == []
