"""/metrics, /livez, /readyz and /health on a real instance over loopback HTTP, on SQLite
and PostgreSQL: the token, the values moving after real requests, inbox posts, jobs,
generations and streams (read back with prometheus-client's own parser), and readiness
failing with 503 when the database goes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server import appkeys, metrics
from server.services.oauth import apps, tokens
from storage.models import DeliveryHost, Job
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, TestResolver
from tests.server.test_database_unavailable import _lose_database

TOKEN = "scrape-me"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def client() -> aiohttp.ClientSession:
    """Resolves the instances' *.test names to loopback."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=TestResolver()))


@pytest.fixture
async def masto() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("masto") as fake:
        yield fake


async def _metered(start: StartInstance, **metrics: object) -> Instance:
    a = await start("a", metrics={"enabled": True, "token": TOKEN, **metrics})
    await a.add_user("alice")
    return a


async def scrape(http: aiohttp.ClientSession, base: str, token: str = TOKEN) -> Samples:
    async with http.get(base + "/metrics",
                        headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        assert resp.headers["Cache-Control"] == "no-store"
        text = await resp.text()
    return parse(text)


def parse(text: str) -> Samples:
    """Every sample of the exposition, keyed by name and labels (the official parser)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def requests(samples: Samples, route: str, method: str = "GET", status: str = "2xx") -> float:
    return value(samples, "dreamfeed_http_request_duration_seconds_count", route=route,
                 method=method, status=status)


async def test_metrics_are_off_by_default_and_the_probes_answer(start: StartInstance) -> None:
    a = await start("a")
    async with client() as http:
        async with http.get(a.base + "/metrics") as resp:
            assert resp.status == 404
        async with http.get(a.base + "/livez") as resp:
            assert (resp.status, await resp.text()) == (200, "ok\n")
            assert resp.headers["Cache-Control"] == "no-store"
        for path in ("/readyz", "/health"):
            async with http.get(a.base + path) as resp:
                assert resp.status == 200
                assert resp.headers["Cache-Control"] == "no-store"
                assert await resp.json() == {"status": "ok", "checks": {"database": "ok"}}
        async with http.head(a.base + "/readyz") as resp:
            assert resp.status == 200


async def test_the_token_is_required(start: StartInstance) -> None:
    a = await _metered(start)
    async with client() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                        {"Authorization": f"Basic {TOKEN}"}):
            async with http.get(a.base + "/metrics", headers=headers) as resp:
                assert resp.status == 401, headers
                assert resp.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
                assert "dreamfeed_" not in await resp.text()
        samples = await scrape(http, a.base)
    assert value(samples, "dreamfeed_info", version="0.1.0") == 1


async def test_an_empty_token_is_made_and_logged(start: StartInstance,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    a = await start("a", metrics={"enabled": True})
    lines = [r.getMessage() for r in caplog.records if "metrics on at" in r.getMessage()]
    assert len(lines) == 1
    made = re.search(r"bearer token .*: (\S+)$", lines[0])
    assert made is not None and len(made[1]) >= 32
    assert a.app[appkeys.CONFIG].metrics.token == made[1]
    async with client() as http:
        await scrape(http, a.base, made[1])


async def test_requests_are_counted_by_route_pattern(start: StartInstance) -> None:
    a = await _metered(start)
    async with client() as http:
        before = await scrape(http, a.base)
        for _ in range(3):
            async with http.get(a.actor("alice"), headers={"Accept": "text/html"}) as resp:
                assert resp.status == 200
        async with http.get(a.actor("nobody"), headers={"Accept": "text/html"}) as resp:
            assert resp.status == 404
        async with http.get(a.base + "/no/such/page") as resp:
            assert resp.status == 404
        after = await scrape(http, a.base)
    # A browser asking for /users/alice is sent to /@alice.
    route, page = "/users/{username}", "/@{username}"
    assert requests(after, route, status="3xx") - requests(before, route, status="3xx") == 3
    assert requests(after, page) - requests(before, page) == 3
    assert requests(after, route, status="4xx") - requests(before, route, status="4xx") == 1
    assert requests(after, "unmatched", status="4xx") \
        - requests(before, "unmatched", status="4xx") == 1
    # The raw paths never become labels.
    assert not any("alice" in dict(labels).get("route", "") for _, labels in after)
    # The scrape before this one is counted too, under its own route.
    assert requests(after, "/metrics") >= 1
    assert value(after, "dreamfeed_http_request_duration_seconds_bucket", route=page,
                 method="GET", status="2xx", le="+Inf") == requests(after, page)


async def test_inbox_answers_by_reason_and_jobs_from_the_database(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await _metered(start)
    carol = masto.add_actor("carol")
    inbox = f"{a.actor('alice')}/inbox"
    async with client() as http:
        before = await scrape(http, a.base)
        body = json.dumps(carol.activity("Follow", a.actor("alice"))).encode()
        assert (await masto.send(inbox, body, masto.sign(carol, inbox, body))).status == 202
        # The same activity again, then a bad signature, then a body that is not JSON.
        assert (await masto.send(inbox, body, masto.sign(carol, inbox, body))).status == 202
        other = json.dumps(carol.activity("Follow", a.actor("alice"))).encode()
        assert (await masto.send(inbox, other, masto.sign(carol, inbox, body))).status == 401
        async with http.post(inbox, data=b"{not json") as resp:
            assert resp.status == 400
        async with http.post(f"{a.actor('nobody')}/inbox", data=body) as resp:
            assert resp.status == 404
        after = await scrape(http, a.base)

    def delta(result: str, reason: str) -> float:
        name = "dreamfeed_inbox_activities_total"
        return value(after, name, result=result, reason=reason) \
            - value(before, name, result=result, reason=reason)

    assert delta("accepted", "accepted") == 1
    assert delta("accepted", "duplicate") == 1
    assert delta("refused", "bad_signature") == 1
    assert delta("refused", "bad_json") == 1
    assert delta("refused", "no_such_inbox") == 1
    # Workers are off in these tests: the Follow's apply job waits in the queue.
    assert value(after, "dreamfeed_jobs", kind="inbox.apply", state="queued") >= 1
    await a.run_jobs()
    async with client() as http:
        done = await scrape(http, a.base)
    assert value(done, "dreamfeed_jobs", kind="inbox.apply", state="queued") == 0


async def test_failed_and_dead_jobs_and_troubled_hosts(start: StartInstance) -> None:
    a = await _metered(start)
    now = utcnow()
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add_all([
            Job(kind="deliver", payload={}, state="queued", attempts=2,
                run_at=now + timedelta(hours=1)),
            Job(kind="deliver", payload={}, state="dead", attempts=9),
            Job(kind="deliver", payload={}, state="dead", attempts=9),
            Job(kind="deliver", payload={}, state="running", attempts=1,
                locked_by="w", locked_until=now + timedelta(minutes=5)),
            DeliveryHost(host="down.example", consecutive_failures=4,
                         paused_until=now + timedelta(hours=1), last_failure_at=now),
            DeliveryHost(host="flaky.example", consecutive_failures=1, last_failure_at=now),
            DeliveryHost(host="fine.example", consecutive_failures=0, last_success_at=now),
        ])
    async with client() as http:
        samples = await scrape(http, a.base)
    assert value(samples, "dreamfeed_jobs", kind="deliver", state="failed") == 1
    assert value(samples, "dreamfeed_jobs", kind="deliver", state="dead") == 2
    assert value(samples, "dreamfeed_jobs", kind="deliver", state="running") == 1
    assert value(samples, "dreamfeed_delivery_hosts_failing") == 2
    assert value(samples, "dreamfeed_delivery_hosts_paused") == 1


async def test_generations_and_streaming_connections(start: StartInstance) -> None:
    a = await _metered(start)
    user = await a.add_user("bob")
    labels = {"backend": "embedded", "outcome": "ok"}
    name = "dreamfeed_generation_duration_seconds_count"
    services = a.services
    app = await apps.register_app(services, name="metrics test", website=None,
                                  redirect_uris=[apps.OOB_REDIRECT], scopes="read")
    issued = await tokens.issue_token(services, app.id, user.user_id, frozenset({"read"}))
    async with client() as http:
        before = await scrape(http, a.base)
        await a.make_images(user.account_id, "a lighthouse in fog", n=1)
        after = await scrape(http, a.base)
        assert value(after, name, **labels) - value(before, name, **labels) == 1
        assert value(after, "dreamfeed_generation_duration_seconds_sum", **labels) > \
            value(before, "dreamfeed_generation_duration_seconds_sum", **labels)

        auth = {"Authorization": f"Bearer {issued.access_token}"}
        base_count = value(after, "dreamfeed_streaming_connections")
        async with http.get(a.base + "/api/v1/streaming/user", headers=auth) as stream:
            assert stream.status == 200
            await stream.content.readline()  # the stream is open once its first line came
            during = await scrape(http, a.base)
        assert value(during, "dreamfeed_streaming_connections") == base_count + 1
    # The server sees the client go at its next write (the heartbeat), or at its stop.
    await a.runner.cleanup()
    assert a.app[appkeys.STREAMING].connections == 0
    closed = parse(metrics.render(metrics.ClusterState(version="")).decode())
    assert value(closed, "dreamfeed_streaming_connections") == base_count


async def test_readiness_is_503_while_the_database_is_gone(
        start: StartInstance, caplog: pytest.LogCaptureFixture) -> None:
    a = await start("a")
    async with client() as http:
        async with http.get(a.base + "/readyz") as resp:
            assert resp.status == 200
        await _lose_database(a)
        caplog.set_level(logging.INFO)
        caplog.clear()
        for path in ("/readyz", "/health", "/readyz"):
            async with http.get(a.base + path) as resp:
                assert resp.status == 503, path
                assert resp.headers["Cache-Control"] == "no-store"
                answer = await resp.json()
            assert answer["status"] == "unavailable"
            assert answer["checks"]["database"] != "ok"
        async with http.get(a.base + "/livez") as resp:
            assert resp.status == 200  # the process itself still answers
    # One warning for the change of answer, and no request line at info per probe.
    warnings = [r for r in caplog.records if r.getMessage().startswith("not ready: database")]
    assert len(warnings) == 1
    assert not [r for r in caplog.records
                if r.name == "dreamfeed.request" and r.levelno >= logging.INFO]


class _Forwarder:
    """A TCP relay to the test Redis that can be cut, as a network problem would."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def test_readiness_checks_redis_when_the_bus_uses_it(
        start: StartInstance, caplog: pytest.LogCaptureFixture) -> None:
    relay = _Forwarder()
    port = await relay.start()
    a = await start("a", streaming={"redis_url": f"redis://127.0.0.1:{port}"})
    async with client() as http:
        async with http.get(a.base + "/readyz") as resp:
            assert resp.status == 200
            assert (await resp.json())["checks"] == {"database": "ok", "redis": "ok"}
        await relay.cut()
        async with http.get(a.base + "/readyz") as resp:
            assert resp.status == 503
            checks = (await resp.json())["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"].startswith("Redis: ")
