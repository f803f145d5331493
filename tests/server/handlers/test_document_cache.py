"""The cache of hot documents and anonymous pages (server.handlers.caching,
server.services.caching.documents): ETags and 304, invalidation by the bus's events in this
process and in another one on the same PostgreSQL database, nothing per-visitor in a shared
page, and the size bounds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from server import appkeys
from server.app import create_app
from server.config import Config
from server.handlers.caching import DOCUMENTS
from server.services.accounts import profile_settings
from server.services.caching.documents import DocumentCache, account_tag
from server.services.streaming.events import StreamEvent
from storage.database import is_sqlite
from tests.server.handlers.conftest import Client, add_user

AP = "application/activity+json"
WEBFINGER = "/.well-known/webfinger?resource=acct:alice@dreamfeed.test"
# Long enough that only an event can explain a fresh answer within the tests' deadlines.
NO_EXPIRY = 3600.0


def _keep_long(client: Client) -> None:
    assert client.app is not None
    client.app[DOCUMENTS].fresh = NO_EXPIRY


async def _rename(client: Client, account_id: int, name: str) -> None:
    assert client.app is not None
    services = client.app[appkeys.SERVICES]
    await profile_settings.update_profile(services, services.media, account_id,
                                          display_name=name)


async def _shows(client: Client, path: str, text: str, headers: dict[str, str] | None = None,
                 deadline: float = 0.0) -> bool:
    """Whether `path` shows `text`, now or (on PostgreSQL, where the event takes the trip
    through the database) within `deadline` seconds."""
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline
    while True:
        resp = await client.get(path, headers=headers or {})
        assert resp.status == 200
        if text in await resp.text():
            return True
        if loop.time() >= until:
            return False
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("path, headers", [
    (WEBFINGER, {}), ("/users/alice", {"Accept": AP}), ("/nodeinfo/2.1", {}),
    ("/api/v2/instance", {}), ("/@alice", {}), ("/@alice.rss", {})])
async def test_etag_round_trip(client: Client, path: str, headers: dict[str, str]) -> None:
    await add_user(client, "alice")
    first = await client.get(path, headers=headers)
    assert first.status == 200
    etag = first.headers["ETag"]
    body = await first.read()
    again = await client.get(path, headers={**headers, "If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag
    # A list naming it, and its strong spelling, validate too (weak comparison).
    listed = await client.get(path, headers={**headers,
                                             "If-None-Match": f'"other", {etag[2:]}'})
    assert listed.status == 304
    stale = await client.get(path, headers={**headers, "If-None-Match": '"other"'})
    assert stale.status == 200
    assert await stale.read() == body


async def test_logged_out_page_is_shared_and_signed_in_is_not(client: Client) -> None:
    await add_user(client, "alice")
    resp = await client.get("/@alice")
    assert resp.status == 200
    assert resp.headers["Cache-Control"].startswith("public, max-age=15")
    # Gzipped when asked; pages come in the reader's language.
    assert resp.headers["Vary"] == "Accept, Accept-Language, Cookie, Accept-Encoding"
    # Nothing of this visitor in a page everyone gets: no CSRF token, no cookie.
    assert '<meta name="csrf-token" content="">' in await resp.text()
    assert "Set-Cookie" not in resp.headers
    # A signed-in visitor's page is their own (never from, never into, the cache).
    signin = await client.get("/auth/sign_in")
    csrf = signin.cookies["dreamfeed_csrf"].value
    signed = await client.post("/auth/sign_in", data={
        "login": "alice", "password": "correct horse", "csrf_token": csrf},
        allow_redirects=False)
    assert signed.status in (302, 303)
    mine = await client.get("/@alice")
    assert "Edit profile" in await mine.text()
    assert "public" not in mine.headers.get("Cache-Control", "")


async def test_profile_edit_is_seen_at_once(client: Client, database_url: str) -> None:
    user = await add_user(client, "alice")
    _keep_long(client)
    await _rename(client, user.account_id, "Alice Before")
    assert await _shows(client, "/@alice", "Alice Before")
    assert await _shows(client, "/users/alice", "Alice Before", {"Accept": AP})
    await _rename(client, user.account_id, "Alice After")
    # The same process: at the commit on SQLite, after the NOTIFY's trip on PostgreSQL.
    deadline = 0.0 if is_sqlite(database_url) else 2.0
    assert await _shows(client, "/@alice", "Alice After", deadline=deadline)
    assert await _shows(client, "/users/alice", "Alice After", {"Accept": AP},
                        deadline=deadline)


async def test_other_process_sees_the_change(config: Config, database_url: str) -> None:
    """Two instances of the app on one PostgreSQL database, each with its bus (as two web
    processes): a change made through one drops the other's kept pages."""
    if is_sqlite(database_url):
        pytest.skip("one process serves SQLite: its bus is in-process")
    one: TestClient[Any, Any] = TestClient(TestServer(create_app(config)))
    other: TestClient[Any, Any] = TestClient(TestServer(create_app(config, migrate=False)))
    await one.start_server()
    await other.start_server()
    try:
        user = await add_user(one, "alice")
        _keep_long(other)
        await _rename(one, user.account_id, "Alice Before")
        assert await _shows(other, "/@alice", "Alice Before")
        assert await _shows(other, "/users/alice", "Alice Before", {"Accept": AP})
        assert await _shows(other, WEBFINGER, "acct:alice@")
        await _rename(one, user.account_id, "Alice After")
        assert await _shows(other, "/@alice", "Alice After", deadline=2.0)
        assert await _shows(other, "/users/alice", "Alice After", {"Accept": AP},
                            deadline=2.0)
    finally:
        await other.close()
        await one.close()


def test_bounded_by_bytes_and_entries() -> None:
    cache = DocumentCache(max_bytes=8000, max_entries=3)
    for n in range(5):
        cache.put(("page", n), b"x" * 100, {})
    assert cache.size == (3, 300)
    assert cache.get(("page", 0)) is None and cache.get(("page", 4)) is not None
    cache.get(("page", 2))  # used: the least recently used goes next
    cache.put(("page", 5), b"y" * 100, {})
    assert cache.get(("page", 2)) is not None and cache.get(("page", 3)) is None
    cache.put(("big", 0), b"z" * 900, {})
    assert cache.size[1] <= 8000
    # Bigger than an eighth of the cap: answered, never kept.
    cache.put(("huge", 0), b"h" * 2000, {})
    assert cache.get(("huge", 0)) is None


def test_expiry_and_events() -> None:
    now = [0.0]
    cache = DocumentCache(fresh=2.0, clock=lambda: now[0])
    cache.put("actor", b"{}", {}, tags=[account_tag(7)])
    cache.put("post", b"<p>", {}, tags=["status:9"])
    now[0] = 1.9
    assert cache.get("actor") is not None
    cache.on_event(StreamEvent("dreamfeed.account", account_id=7))
    assert cache.get("actor") is None
    cache.on_event(StreamEvent("update", account_id=3, status_id=10, reblog_of_id=9))
    assert cache.get("post") is None  # a boost of it changes its counts
    cache.put("actor", b"{}", {}, tags=[account_tag(7)])
    now[0] = 4.0
    assert cache.get("actor") is None
    # Expired, not dropped: answered to others while one request renders it anew.
    assert cache.get("actor", stale=True) is not None
    cache.on_event(StreamEvent("dreamfeed.account", account_id=7))
    assert cache.get("actor", stale=True) is None
    assert cache.size == (0, 0)
