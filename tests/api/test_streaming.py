"""Mastodon's streaming API over real connections: aiohttp's WebSocket client and
Mastodon.py's stream_user (server-sent events), on both kinds of database.

Events are the real ones: published when the change commits (server.services.streaming.
publish), carried by the in-process bus (SQLite) or LISTEN/NOTIFY (PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse, WSServerHandshakeError
from mastodon import Mastodon, StreamListener

from server import appkeys
from server.services.oauth import tokens
from server.services.social import follows
from server.services.statuses import posts
from server.services.streaming import dispatch
from storage import oauth_tokens
from storage.types import utcnow
from tests.api.harness import Api
from tests.federation.conftest import StartInstance
from tests.federation.conftest import start as start  # the fixture, used here
from tests.federation.harness import Instance, settle

WAIT = 10.0  # seconds an expected message may take
QUIET = 0.6  # seconds of silence that count as "nothing came"


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


def _ws_url(instance: Instance, query: str = "") -> str:
    return f"ws://{instance.domain}/api/v1/streaming{query}"


async def _open(http: ClientSession, instance: Instance, token: str,
                *streams: dict[str, str]) -> ClientWebSocketResponse:
    ws = await http.ws_connect(_ws_url(instance, f"?access_token={token}"))
    for stream in streams:
        await ws.send_json({"type": "subscribe", **stream})
    # Subscriptions are handled in order: one round trip makes sure they are in place.
    await ws.send_json({"type": "subscribe", "stream": "hashtag"})
    assert await _message(ws) == {"error": "No tag for stream provided"}
    return ws


async def _message(ws: ClientWebSocketResponse, timeout: float = WAIT) -> dict[str, Any]:
    message: dict[str, Any] = await asyncio.wait_for(ws.receive_json(), timeout)
    return message


async def _quiet(ws: ClientWebSocketResponse) -> None:
    with pytest.raises(TimeoutError):
        got = await _message(ws, QUIET)
        pytest.fail(f"unexpected message: {got}")


async def _images(api: Api, username: str) -> list[str]:
    account_id = api.users[username].account_id
    return [str(i) for i in await api.instance.make_images(account_id, "a lighthouse")]


async def _post(api: Api, token: str, username: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("media_ids[]", await _images(api, username))
    answer = await api.post("/api/v1/statuses", token=token, data=fields)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


async def test_followed_remote_post_and_its_delete(start: StartInstance,
                                                   http: ClientSession) -> None:
    a = await start("a", host="127.0.0.1")
    b = await start("b")
    async with ClientSession() as api_http:
        api = Api(a, api_http)
        alice = await api.user("alice")
        bob = await b.add_user("bob")
        await follows.follow(a.services, "alice", b.handle("bob"))
        await settle([a, b])
        ws = await _open(http, a, alice, {"stream": "user"})

        media = await b.make_images(bob.account_id, "a lighthouse at dusk")
        made = await posts.create_status(b.services, "bob", posts.NewStatus(
            media_ids=media, caption="Lighthouse #sea"))
        await settle([a, b])
        home = await api.get("/api/v1/timelines/home", token=alice)
        status = home.body[0]
        got = await _message(ws)
        assert got["stream"] == ["user"] and got["event"] == "update"
        payload = json.loads(got["payload"])
        assert payload["id"] == status["id"] and "Lighthouse" in payload["content"]
        assert payload["account"]["acct"] == b.handle("bob")

        await posts.delete_status(b.services, "bob", made.id)
        await settle([a, b])
        assert await _message(ws) == {"stream": ["user"], "event": "delete",
                                      "payload": status["id"]}
        await ws.close()


async def test_visibility_blocks_and_streams(api: Api, http: ClientSession) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    carol = await api.user("carol")
    await api.user("dave")
    dave = await api.user("dave")
    for target in ("bob", "dave"):
        assert (await api.post(f"/api/v1/accounts/{api.account_id(target)}/follow",
                               token=alice)).status == 200
    assert (await api.post(f"/api/v1/accounts/{api.account_id('dave')}/block",
                           token=alice)).status == 200
    watching = await _open(http, api.instance, alice, {"stream": "user"},
                           {"stream": "public:local"}, {"stream": "hashtag", "tag": "Sea"})
    stranger = await _open(http, api.instance, carol, {"stream": "user"},
                           {"stream": "public"})

    # a followers-only post: to its followers' home only
    private = await _post(api, bob, "bob", status="for friends", visibility="private")
    got = await _message(watching)
    assert (got["stream"], got["event"]) == (["user"], "update")
    assert json.loads(got["payload"])["id"] == private["id"]
    await _quiet(watching)
    await _quiet(stranger)

    # a public post with a tag: home, public:local and the hashtag stream, each labelled
    public = await _post(api, bob, "bob", status="out at #sea")
    seen = [await _message(watching) for _ in range(3)]
    assert sorted(tuple(m["stream"]) for m in seen) == [
        ("hashtag", "sea"), ("public:local",), ("user",)]
    assert {json.loads(m["payload"])["id"] for m in seen} == {public["id"]}
    assert (await _message(stranger))["stream"] == ["public"]
    await _quiet(stranger)

    # a blocked account's posts never arrive, though followed before the block
    await _post(api, dave, "dave", status="hello #sea")
    await _quiet(watching)
    assert (await _message(stranger))["stream"] == ["public"]

    # unsubscribing stops a stream
    await watching.send_json({"type": "unsubscribe", "stream": "public:local"})
    await watching.send_json({"type": "unsubscribe", "stream": "hashtag", "tag": "sea"})
    await _post(api, bob, "bob", status="more #sea")
    assert (await _message(watching))["stream"] == ["user"]
    await _quiet(watching)
    await watching.close()
    await stranger.close()


async def test_tokens_refused_and_protocol_echoed(api: Api, http: ClientSession) -> None:
    alice = await api.user("alice")
    for query in ("", "?access_token=nonsense"):
        with pytest.raises(WSServerHandshakeError) as refused:
            await http.ws_connect(_ws_url(api.instance, query))
        assert refused.value.status == 401
    answer = await api.get("/api/v1/streaming/user", params={"access_token": "nonsense"})
    assert answer.status == 401 and answer.body == {"error": "Invalid access token"}
    missing = await api.get("/api/v1/streaming/public")
    assert missing.status == 401 and missing.body == {"error": "Missing access token"}

    # the token as the WebSocket protocol (what browsers can send), echoed back
    ws = await http.ws_connect(_ws_url(api.instance, "?stream=user"), protocols=(alice,))
    assert ws.protocol == alice
    await ws.close()

    # a revoked token no longer opens a stream
    revoked = await api.user("alice")
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        assert await oauth_tokens.revoke(session, tokens.digest(revoked),
                                         await api._test_app(), utcnow())
    with pytest.raises(WSServerHandshakeError) as refused:
        await http.ws_connect(_ws_url(api.instance, f"?access_token={revoked}"))
    assert refused.value.status == 401

    # a token that may not read statuses gets no stream; health needs nothing
    narrow = await api.user("alice", scopes="write")
    answer = await api.get("/api/v1/streaming/user", token=narrow)
    assert answer.status == 401
    health = await api.get("/api/v1/streaming/health")
    assert (health.status, health.body) == (200, "OK")


class _Collector(StreamListener):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Any]] = []
        self.errors: list[BaseException] = []

    def on_abort(self, err: BaseException) -> None:
        self.errors.append(err)

    def on_update(self, status: Any) -> None:
        self.events.append(("update", status))

    def on_notification(self, notification: Any) -> None:
        self.events.append(("notification", notification))


async def _until(collector: _Collector, kind: str) -> Any:
    """The first event of this kind the listener got (waiting for it)."""
    for _ in range(int(WAIT * 10)):
        for got, payload in collector.events:
            if got == kind:
                return payload
        await asyncio.sleep(0.1)
    pytest.fail(f"no {kind} among {collector.events} ({collector.errors})")


async def test_mastodon_py_stream_user(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "HEARTBEAT_SECONDS", 0.2)
    alice = await api.user("alice")
    bob = await api.user("bob")
    assert (await api.post(f"/api/v1/accounts/{api.account_id('bob')}/follow",
                           token=alice)).status == 200
    collector = _Collector()
    # Not api.mastodon(): its schema hook reads the whole answer, which a stream never ends.
    client = Mastodon(access_token=alice, api_base_url=api.base, version_check_mode="none")
    handle = await asyncio.to_thread(client.stream_user, collector, run_async=True)
    try:
        for _ in range(50):  # connected when the hub has the subscription
            if api.instance.app[appkeys.STREAMING].connections:
                break
            await asyncio.sleep(0.1)
        assert api.instance.app[appkeys.STREAMING].connections == 1, collector.errors
        posted = await _post(api, bob, "bob", status="a lighthouse")
        status = await _until(collector, "update")
        assert str(status.id) == posted["id"]

        # bob favourites alice's post: her notification arrives on the same stream
        own = await _post(api, alice, "alice", status="mine")
        assert (await api.post(f"/api/v1/statuses/{own['id']}/favourite",
                               token=bob)).status == 200
        notification = await _until(collector, "notification")
        assert notification.type == "favourite"
        assert str(notification.status.id) == own["id"]
    finally:
        # In a thread: close() waits for the listener's read, which the next heartbeat ends.
        await asyncio.to_thread(handle.close)


async def test_sse_heartbeat_and_hashtag(api: Api, http: ClientSession,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatch, "HEARTBEAT_SECONDS", 0.2)
    alice = await api.user("alice")
    bob = await api.user("bob")
    url = f"{api.base}/api/v1/streaming/hashtag/local?tag=sea"
    async with http.get(url, headers={"Authorization": f"Bearer {alice}"}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/event-stream"
        assert await resp.content.readline() == b":)\n"
        assert await asyncio.wait_for(resp.content.readline(), WAIT) == b":thump\n"
        posted = await _post(api, bob, "bob", status="at #sea")
        lines: list[str] = []
        while len(lines) < 2:
            line = await asyncio.wait_for(resp.content.readline(), WAIT)
            if not line.startswith(b":"):
                lines.append(line.decode())
        assert lines[0] == "event: update\n"
        assert json.loads(lines[1].removeprefix("data: "))["id"] == posted["id"]
    # the client went: its subscription closes
    for _ in range(50):
        if not api.instance.app[appkeys.STREAMING].connections:
            break
        await asyncio.sleep(0.1)
    assert api.instance.app[appkeys.STREAMING].connections == 0


async def test_filters_lists_and_edits(api: Api, http: ClientSession) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    assert (await api.post(f"/api/v1/accounts/{api.account_id('bob')}/follow",
                           token=alice)).status == 200
    made = await api.post("/api/v1/lists", token=alice, data={"title": "Friends"})
    list_id = made.body["id"]
    assert (await api.post(f"/api/v1/lists/{list_id}/accounts", token=alice,
                           data={"account_ids[]": [api.account_id("bob")]})).status == 200
    ws = await _open(http, api.instance, alice, {"stream": "user"},
                     {"stream": "list", "list": list_id})
    # someone else's list is refused
    await ws.send_json({"type": "subscribe", "stream": "list", "list": "12345"})
    assert await _message(ws) == {"error": "Not authorized to stream this list"}

    # a new filter: filters_changed, payload-less
    warn = await api.post("/api/v2/filters", token=alice, json={
        "title": "Lights", "context": ["home"], "filter_action": "warn",
        "keywords_attributes": [{"keyword": "lighthouse"}]})
    assert warn.status == 200, warn.body
    assert await _message(ws) == {"stream": ["user"], "event": "filters_changed"}
    hide = await api.post("/api/v2/filters", token=alice, json={
        "title": "Secrets", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "secret"}]})
    assert hide.status == 200, hide.body
    assert await _message(ws) == {"stream": ["user"], "event": "filters_changed"}

    # a warned post comes marked filtered, on home and on the list
    posted = await _post(api, bob, "bob", status="a lighthouse")
    seen = sorted([await _message(ws) for _ in range(2)], key=lambda m: m["stream"])
    assert [m["stream"] for m in seen] == [["list", list_id], ["user"]]
    for message in seen:
        payload = json.loads(message["payload"])
        assert payload["id"] == posted["id"]
        assert [f["keyword_matches"] for f in payload["filtered"]] == [["lighthouse"]]

    # a hidden one never comes
    await _post(api, bob, "bob", status="a secret")
    await _quiet(ws)

    # an edit: status.update with the new words
    edited = await api.put(f"/api/v1/statuses/{posted['id']}", token=bob, json={
        "status": "a bright lighthouse",
        "media_ids": [m["id"] for m in posted["media_attachments"]]})
    assert edited.status == 200, edited.body
    updates = [await _message(ws) for _ in range(2)]
    assert {m["event"] for m in updates} == {"status.update"}
    assert all("bright" in json.loads(m["payload"])["content"] for m in updates)
    await ws.close()


async def test_notification_stream_scopes(api: Api, http: ClientSession) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    statuses_only = await api.user("alice", scopes="read:statuses")
    answer = await api.get("/api/v1/streaming/user/notification", token=statuses_only)
    assert answer.status == 401
    ws = await _open(http, api.instance, alice, {"stream": "user:notification"})
    own = await _post(api, alice, "alice", status="mine")
    assert (await api.post(f"/api/v1/statuses/{own['id']}/favourite", token=bob)).status == 200
    got = await _message(ws)
    assert (got["stream"], got["event"]) == (["user:notification"], "notification")
    notification = json.loads(got["payload"])
    assert notification["type"] == "favourite" and notification["status"]["id"] == own["id"]
    await _quiet(ws)  # its own post went to home, not here
    await ws.close()
