"""The hot discovery documents (WebFinger, NodeInfo) once cached: answered without a database
statement, even to a request carrying a session cookie, and still with everything every
response gets (request id, security headers, CORS, ETag and 304, the request's log line)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from server import appkeys
from server.handlers.session import SESSION_COOKIE
from tests.server.handlers.conftest import Client, add_user

WEBFINGER = "/.well-known/webfinger?resource=acct:alice@dreamfeed.test"


@contextmanager
def statements(client: Client) -> Iterator[list[str]]:
    """Every SQL statement the app's engines run meanwhile."""
    assert client.app is not None
    database = client.app[appkeys.DATABASE]
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engines = {database.write_engine.sync_engine, database.read_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", [WEBFINGER, "/nodeinfo/2.1", "/nodeinfo/2.0"])
async def test_cached_discovery_reads_no_database(
        client: Client, path: str, caplog: pytest.LogCaptureFixture) -> None:
    await add_user(client, "alice")
    first = await client.get(path)
    assert first.status == 200
    etag = first.headers["ETag"]
    with statements(client) as seen, caplog.at_level(logging.INFO, logger="dreamfeed.request"):
        # A browser signed in elsewhere (or with a stale cookie) asks too: no session read.
        again = await client.get(path, cookies={SESSION_COOKIE: "x" * 43})
        body = await again.read()
        revalidated = await client.get(path, headers={"If-None-Match": etag})
    assert seen == []
    assert again.status == 200 and body == await first.read()
    for resp in (again, revalidated):
        assert resp.headers["X-Request-Id"]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "same-origin"
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["ETag"] == etag
        assert SESSION_COOKIE not in resp.cookies
    assert revalidated.status == 304
    lines = [r for r in caplog.records if r.name == "dreamfeed.request"]
    assert [(r.getMessage(), r.status) for r in lines] == [  # type: ignore[attr-defined]
        (f"GET {path}", 200), (f"GET {path}", 304)]
    assert [r.request_id for r in lines] == [  # type: ignore[attr-defined]
        again.headers["X-Request-Id"], revalidated.headers["X-Request-Id"]]


async def test_unknown_resource_is_still_404_when_asked_again(client: Client) -> None:
    """The resource -> account name lookup is remembered, its misses too."""
    await add_user(client, "alice")
    for _ in range(2):
        resp = await client.get("/.well-known/webfinger?resource=acct:alice@elsewhere.test")
        assert resp.status == 404
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.headers["X-Request-Id"]
    resp = await client.get("/.well-known/webfinger?resource=acct:nobody@dreamfeed.test")
    assert resp.status == 404
