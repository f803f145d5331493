"""SafeHttpClient against real aiohttp servers on loopback.

A "good" server listens on 127.0.0.2, which the tests' policy admits through `extra_allowed`;
an "evil" one on 127.0.0.1 stands for an internal service the policy must keep us away from.
Each records what reached it, so a test can assert a refused request never left.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler
from yarl import URL

from activitypub.addresses import AddressPolicy
from activitypub.http import (
    BlockedAddressError,
    ConnectError,
    FetchError,
    FetchTimeoutError,
    FilteringResolver,
    InvalidUrlError,
    ResponseTooLargeError,
    SafeHttpClient,
    TooManyRedirectsError,
)

UA = "Dreamfeed/0.1.0 (+https://dreamfeed.test/)"
GOOD_ONLY = AddressPolicy(extra_allowed=(ipaddress.ip_network("127.0.0.2/32"),))


@dataclass
class Seen:
    method: str
    path_qs: str
    headers: Mapping[str, str]
    body: bytes
    peer: int  # the client's port: one per connection it opened


@dataclass
class Recorder:
    server: TestServer
    seen: list[Seen] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str, **query: str) -> str:
        return str(self.server.make_url(path).with_query(query or None))


def make_app(recorder_box: list[Recorder]) -> web.Application:
    def rec() -> Recorder:
        return recorder_box[0]

    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        rec().seen.append(Seen(request.method, request.path_qs, dict(request.headers), body,
                               peer[1] if peer else -1))
        return await handler(request)

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def redirect(request: web.Request) -> web.Response:
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["to"]})

    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text="end of chain")
        return web.Response(status=302, headers={"Location": f"/chain/{n - 1}"})  # relative

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * int(request.query["size"]))

    async def stream(request: web.Request) -> web.StreamResponse:
        # Endless chunked body (no Content-Length): only an early abort ends it.
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        try:
            for _ in range(100_000):
                await resp.write(b"y" * 4096)
                await asyncio.sleep(0)
        except ConnectionResetError:
            pass
        return resp

    async def lying_length(request: web.Request) -> web.StreamResponse:
        # Announces a huge body, sends a little, then stalls: only Content-Length can tell.
        resp = web.StreamResponse()
        resp.content_length = 10**9
        await resp.prepare(request)
        await resp.write(b"z" * 100)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await rec().release.wait()
        return resp

    async def slow(request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await rec().release.wait()
        return web.Response(text="late")

    async def text(request: web.Request) -> web.Response:
        return web.Response(text=request.query["body"], content_type="application/json")

    app = web.Application(middlewares=[record])
    app.router.add_route("*", "/ok", ok)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_route("*", "/chain/{n}", chain)
    app.router.add_get("/big", big)
    app.router.add_get("/stream", stream)
    app.router.add_get("/slow", slow)
    app.router.add_get("/lying-length", lying_length)
    app.router.add_get("/text", text)
    return app


async def start_recorder(host: str) -> Recorder:
    box: list[Recorder] = []
    server = TestServer(make_app(box), host=host)
    await server.start_server()
    box.append(Recorder(server))
    return box[0]


async def stop_recorder(recorder: Recorder) -> None:
    recorder.release.set()
    await recorder.server.close()


@pytest.fixture
async def good() -> AsyncIterator[Recorder]:
    recorder = await start_recorder("127.0.0.2")
    yield recorder
    await stop_recorder(recorder)


@pytest.fixture
async def evil() -> AsyncIterator[Recorder]:
    recorder = await start_recorder("127.0.0.1")
    yield recorder
    await stop_recorder(recorder)


class FakeResolver(AbstractResolver):
    """Maps host names to fixed addresses, as a DNS server would."""

    def __init__(self, names: Mapping[str, list[str]]) -> None:
        self.names = names
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        if host not in self.names:
            raise OSError(None, f"unknown host {host}")
        return [
            ResolveResult(hostname=host, host=ip, port=port,
                          family=socket.AF_INET6 if ":" in ip else socket.AF_INET,
                          proto=0, flags=socket.AI_NUMERICHOST)
            for ip in self.names[host]
        ]

    async def close(self) -> None:
        pass


def fake_dns() -> FakeResolver:
    return FakeResolver({"good.test": ["127.0.0.2"], "evil.test": ["127.0.0.1"],
                         "mixed.test": ["10.0.0.7", "127.0.0.2"]})


@pytest.fixture
async def client() -> AsyncIterator[SafeHttpClient]:
    async with SafeHttpClient(UA, policy=GOOD_ONLY, resolver=fake_dns()) as c:
        yield c


# --- address checks ---------------------------------------------------------------------


async def test_fetches_allowed_address(client: SafeHttpClient, good: Recorder) -> None:
    resp = await client.get(good.url("/ok"))
    assert resp.status == 200
    assert resp.json() == {"ok": True}
    assert resp.url == good.url("/ok")
    assert resp.headers["Content-Type"].startswith("application/json")


async def test_requests_to_one_host_share_a_kept_alive_connection(
        client: SafeHttpClient, good: Recorder) -> None:
    # Deliveries sign in an awaitable hook; neither it nor the body may cost the connection.
    async def sign(_method: str, _url: str, _headers: dict[str, str],
                   _body: bytes | None) -> Mapping[str, str]:
        await asyncio.sleep(0)
        return {"Signature": "test"}

    for n in range(5):
        resp = await client.post(good.url("/ok"), f'{{"n": {n}}}'.encode(), sign=sign)
        assert resp.status == 200
    await client.get(good.url("/ok"))
    assert len(good.seen) == 6
    assert len({seen.peer for seen in good.seen}) == 1


async def test_literal_loopback_refused_before_sending(evil: Recorder) -> None:
    async with SafeHttpClient(UA, policy=AddressPolicy()) as client:
        for url in (evil.url("/ok"), f"http://[::ffff:127.0.0.1]:{evil.server.port}/ok"):
            with pytest.raises(BlockedAddressError) as info:
                await client.get(url)
            assert not info.value.retryable
    assert evil.seen == []


async def test_localhost_refused_via_dns(evil: Recorder) -> None:
    # The real system resolver: localhost resolves to loopback, which the filter removes.
    async with SafeHttpClient(UA, policy=AddressPolicy()) as client:
        with pytest.raises(BlockedAddressError) as info:
            await client.get(f"http://localhost:{evil.server.port}/ok")
    assert info.value.url == f"http://localhost:{evil.server.port}/ok"
    assert "localhost" in str(info.value)
    assert evil.seen == []


async def test_allow_private_fetches_loopback(evil: Recorder) -> None:
    async with SafeHttpClient(UA, policy=AddressPolicy(allow_private=True)) as client:
        assert (await client.get(evil.url("/ok"))).status == 200
        assert (await client.get(f"http://localhost:{evil.server.port}/ok")).status == 200
    assert len(evil.seen) == 2


async def test_host_names_filtered(client: SafeHttpClient, good: Recorder, evil: Recorder) -> None:
    assert (await client.get(f"http://good.test:{good.server.port}/ok")).status == 200
    # Refused twice: a refusal is not cached as a success.
    for _ in range(2):
        with pytest.raises(BlockedAddressError):
            await client.get(f"http://evil.test:{evil.server.port}/ok")
    # Only the allowed address of a mixed answer is used.
    assert (await client.get(f"http://mixed.test:{good.server.port}/ok")).status == 200
    assert evil.seen == []


async def test_redirect_to_refused_literal(
    client: SafeHttpClient, good: Recorder, evil: Recorder
) -> None:
    with pytest.raises(BlockedAddressError) as info:
        await client.get(good.url("/redirect", to=evil.url("/secret")))
    assert info.value.url == evil.url("/secret")
    assert len(good.seen) == 1
    assert evil.seen == []


async def test_redirect_to_refused_name(
    client: SafeHttpClient, good: Recorder, evil: Recorder
) -> None:
    start = f"http://good.test:{good.server.port}/redirect"
    target = f"http://evil.test:{evil.server.port}/secret"
    with pytest.raises(BlockedAddressError):
        await client.get(str(URL(start).with_query(to=target)))
    assert len(good.seen) == 1
    assert evil.seen == []


async def test_redirect_to_allowed_name(client: SafeHttpClient, good: Recorder) -> None:
    target = f"http://good.test:{good.server.port}/ok"
    resp = await client.get(good.url("/redirect", to=target))
    assert resp.status == 200
    assert resp.url == target


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.2/file",
    "file:///etc/passwd",
    "gopher://127.0.0.2:70/",
    "javascript:alert(1)",
    "http:///no-host",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://127.1/",
    "http://0x7f.0.0.1/",
])
async def test_unsafe_urls_refused(client: SafeHttpClient, url: str) -> None:
    with pytest.raises(InvalidUrlError):
        await client.get(url)


async def test_userinfo_refused(client: SafeHttpClient, good: Recorder) -> None:
    with pytest.raises(InvalidUrlError):
        await client.get(f"http://user:pw@127.0.0.2:{good.server.port}/ok")
    assert good.seen == []


async def test_redirect_to_other_scheme_refused(client: SafeHttpClient, good: Recorder) -> None:
    with pytest.raises(InvalidUrlError):
        await client.get(good.url("/redirect", to="file:///etc/passwd"))


# --- redirects ------------------------------------------------------------------------


async def test_max_redirects(good: Recorder) -> None:
    async with SafeHttpClient(UA, policy=GOOD_ONLY, max_redirects=3) as client:
        resp = await client.get(good.url("/chain/3"))
        assert resp.body == b"end of chain"
        assert resp.url == good.url("/chain/0")
        good.seen.clear()
        with pytest.raises(TooManyRedirectsError) as info:
            await client.get(good.url("/chain/4"))
    assert info.value.url == good.url("/chain/1")  # the last URL fetched
    assert [s.path_qs for s in good.seen] == ["/chain/4", "/chain/3", "/chain/2", "/chain/1"]


async def test_sign_hook_called_per_hop(client: SafeHttpClient, good: Recorder) -> None:
    calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    async def sign(
        method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, str]:
        calls.append((method, url, headers, body))
        return {"Signature": f"{method} {URL(url).path_qs}"}

    start = good.url("/redirect", to="/chain/0", status="307")
    resp = await client.post(start, b'{"type":"Follow"}',
                             headers={"Content-Type": "application/activity+json"}, sign=sign)
    assert resp.status == 200
    assert [(c[0], c[1], c[3]) for c in calls] == [
        ("POST", start, b'{"type":"Follow"}'),
        ("POST", good.url("/chain/0"), b'{"type":"Follow"}'),
    ]
    assert calls[0][2]["User-Agent"] == UA
    assert calls[0][2]["Content-Type"] == "application/activity+json"
    # Each hop carried the signature made for its own URL, and the body (307 keeps it).
    assert [(s.method, s.headers["Signature"], s.body) for s in good.seen] == [
        ("POST", f"POST {s.path_qs}", b'{"type":"Follow"}') for s in good.seen
    ]


async def test_303_switches_to_get_without_body(client: SafeHttpClient, good: Recorder) -> None:
    calls: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def sign(method: str, url: str, headers: dict[str, str], body: bytes | None) -> dict[str, str]:
        calls.append((method, url, headers, body))
        return {"Signature": "sig"}

    start = good.url("/redirect", to="/ok", status="303")
    await client.post(start, b"data", headers={"Content-Type": "text/plain", "Digest": "x"},
                      sign=sign)
    assert [(c[0], c[3]) for c in calls] == [("POST", b"data"), ("GET", None)]
    assert "Content-Type" not in calls[1][2] and "Digest" not in calls[1][2]
    assert [(s.method, s.body) for s in good.seen] == [("POST", b"data"), ("GET", b"")]
    assert good.seen[1].headers["Signature"] == "sig"


async def test_authorization_not_sent_to_other_origin(good: Recorder, evil: Recorder) -> None:
    async with SafeHttpClient(UA, policy=AddressPolicy(allow_private=True)) as client:
        await client.get(good.url("/redirect", to=evil.url("/ok")),
                         headers={"Authorization": "Bearer secret"})
    assert good.seen[0].headers["Authorization"] == "Bearer secret"
    assert "Authorization" not in evil.seen[0].headers


# --- limits and failures ---------------------------------------------------------------


async def test_size_limit_with_content_length(good: Recorder) -> None:
    async with SafeHttpClient(UA, policy=GOOD_ONLY, max_response_size=1000, timeout=5) as client:
        assert len((await client.get(good.url("/big", size="1000"))).body) == 1000
        with pytest.raises(ResponseTooLargeError):
            await client.get(good.url("/big", size="1001"))
        # A HEAD answer announces the size of a body it does not carry.
        head = await client.request("HEAD", good.url("/big", size="5000"))
        assert (head.status, head.headers["Content-Length"], head.body) == (200, "5000", b"")
        # Refused on the header alone, without waiting for a body that never comes.
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError):
            await client.get(good.url("/lying-length"))
        assert time.monotonic() - started < 2


async def test_size_limit_with_chunked_body(good: Recorder) -> None:
    # Without an early abort the endless body would end in a timeout instead.
    async with SafeHttpClient(UA, policy=GOOD_ONLY, max_response_size=100_000,
                              timeout=5) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            await client.get(good.url("/stream"))
    assert info.value.url == good.url("/stream")


async def test_timeout(good: Recorder) -> None:
    async with SafeHttpClient(UA, policy=GOOD_ONLY, timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError) as info:
            await client.get(good.url("/slow"))
    assert time.monotonic() - started < 3
    assert info.value.retryable
    assert info.value.url == good.url("/slow")


async def test_connection_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]  # closed again before the request: nobody listens
    async with SafeHttpClient(UA, policy=GOOD_ONLY) as client:
        with pytest.raises(ConnectError) as info:
            await client.get(f"http://127.0.0.2:{port}/")
    assert info.value.retryable
    assert info.value.url == f"http://127.0.0.2:{port}/"


async def test_unknown_host(client: SafeHttpClient) -> None:
    with pytest.raises(ConnectError):
        await client.get("http://nowhere.test/")


async def test_bad_json(client: SafeHttpClient, good: Recorder) -> None:
    resp = await client.get(good.url("/text", body="{not json"))
    with pytest.raises(FetchError, match="not valid JSON"):
        resp.json()
    deep = await client.get(good.url("/text", body="[" * 100_000))
    with pytest.raises(FetchError):
        deep.json()


async def test_user_agent(client: SafeHttpClient, good: Recorder) -> None:
    await client.get(good.url("/ok"))
    await client.get(good.url("/ok"), headers={"user-agent": "Other/1.0"})
    assert [s.headers["User-Agent"] for s in good.seen] == [UA, "Other/1.0"]


async def test_session_created_lazily_and_closed(good: Recorder) -> None:
    client = SafeHttpClient(UA, policy=GOOD_ONLY)
    assert (await client.get(good.url("/ok"))).status == 200
    await client.close()
    with pytest.raises(RuntimeError):
        await client.get(good.url("/ok"))


# --- the resolver alone ----------------------------------------------------------------


async def test_filtering_resolver() -> None:
    resolver = FilteringResolver(GOOD_ONLY, fake_dns())
    assert [r["host"] for r in await resolver.resolve("mixed.test", 80)] == ["127.0.0.2"]
    with pytest.raises(BlockedAddressError, match=r"evil\.test.*127\.0\.0\.1"):
        await resolver.resolve("evil.test", 80)
    with pytest.raises(OSError):
        await resolver.resolve("nowhere.test", 80)
    await resolver.close()
