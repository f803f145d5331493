"""Request-level behaviour: URLs never come from Host, client addresses, request ids."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from server import appkeys
from server.app import create_app, user_agent
from tests.conftest import make_test_config
from tests.server.handlers.conftest import Client, add_user


async def test_ids_ignore_the_host_header(client: Client) -> None:
    await add_user(client, "alice")
    resp = await client.get("/users/alice", headers={
        "Accept": "application/activity+json", "Host": "evil.example",
        "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"})
    doc = await resp.json(content_type=None)
    assert doc["id"] == "http://dreamfeed.test/users/alice"
    assert "evil.example" not in await resp.text()


async def test_client_ip_behind_trusted_proxy(
        database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        aiohttp_client: Callable[..., Awaitable[Client]]) -> None:
    config = make_test_config(database_url, tmp_path,
                              server={"trusted_proxies": ["127.0.0.1", "::1"]})
    client = await aiohttp_client(create_app(config))
    with caplog.at_level(logging.INFO, logger="dreamfeed.request"):
        await client.get("/", headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7",
                                       "X-Request-Id": "abc-123"})
    record = next(r for r in caplog.records if r.name == "dreamfeed.request")
    assert record.client == "198.51.100.7"  # type: ignore[attr-defined]
    assert record.request_id == "abc-123"  # type: ignore[attr-defined]
    assert record.status == 200  # type: ignore[attr-defined]


async def test_untrusted_forwarded_for_is_ignored(
        client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="dreamfeed.request"):
        resp = await client.get("/", headers={"X-Forwarded-For": "6.6.6.6",
                                              "X-Request-Id": "bad id with spaces"})
    record = next(r for r in caplog.records if r.name == "dreamfeed.request")
    assert record.client in ("127.0.0.1", "::1")  # type: ignore[attr-defined]
    assert resp.headers["X-Request-Id"] != "bad id with spaces"


async def test_unknown_path_is_404_with_request_id(client: Client) -> None:
    resp = await client.get("/no/such/page")
    assert resp.status == 404
    assert resp.headers["X-Request-Id"]


async def test_app_has_one_safe_http_client(client: Client) -> None:
    app = client.app
    assert app is not None
    http = app[appkeys.SERVICES].http
    assert http.user_agent == user_agent(app[appkeys.CONFIG])
    assert user_agent(app[appkeys.CONFIG]).startswith("Dreamfeed/")
    assert "(+http://dreamfeed.test/)" in user_agent(app[appkeys.CONFIG])


async def test_address_filter_follows_config(
        database_url: str, tmp_path: Path, aiohttp_client: Callable[..., Awaitable[Client]],
        client: Client) -> None:
    """federation.allow_private_addresses = false: the app's client will not reach loopback."""
    from activitypub.http import BlockedAddressError

    config = make_test_config(database_url.replace("dreamfeed.db", "strict.db"), tmp_path,
                              federation={"allow_private_addresses": False})
    strict = await aiohttp_client(create_app(config))
    target = str(client.make_url("/"))
    with pytest.raises(BlockedAddressError):
        await strict.app[appkeys.SERVICES].http.get(target)
    # The permissive test instance reaches the same address.
    resp = await client.app[appkeys.SERVICES].http.get(target)
    assert resp.status == 200
