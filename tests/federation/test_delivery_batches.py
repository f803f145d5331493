"""Deliveries in batches: shared reads made once, each job judged on its own answer, and the
connections to a host kept alive from one delivery to the next."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import event

from server import appkeys
from server.jobs.delivery import DeliveryFailed, deliver_many
from server.jobs.queue import PermanentJobError, Postpone
from server.jobs.registry import JobContext
from server.services.federation.outbound import delivery
from storage.models import DeliveryHost, OutgoingActivity
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, free_port
from tests.federation.recording_inbox import RecordingInbox


class CountingInbox(RecordingInbox):
    """A RecordingInbox that also notes which client connection (its peer port) carried each
    request (as many distinct ports as connections opened to it), and answers by host name
    from `by_host` (concurrent requests arrive in no set order, unlike `script`)."""

    peers: list[int]
    by_host: dict[str, int]

    def __init__(self) -> None:
        super().__init__(port=free_port())
        self.peers = []
        self.by_host = {}

    async def _handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.peers.append(peer[1] if peer else -1)
        response = await super()._handle(request)
        status = self.by_host.get(request.host.split(":")[0])
        return response if status is None else web.Response(status=status)


@pytest.fixture
async def remote() -> AsyncIterator[CountingInbox]:
    inbox = CountingInbox()
    await inbox.start()
    yield inbox
    await inbox.stop()


def _activity(a: Instance, n: int) -> dict[str, Any]:
    actor = a.actor("alice")
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#batches/{n}", "type": "Like", "actor": actor,
            "object": f"http://r.test/notes/{n}"}


async def _publish(a: Instance, account_id: int, inboxes: list[str], n: int) -> int:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        outgoing = await delivery.publish(session, account_id, _activity(a, n), inboxes)
        return outgoing.id


def _contexts(a: Instance, count: int) -> list[JobContext]:
    resources = a.app[appkeys.WORKER_POOL].resources
    return [JobContext(job_id=n, kind=delivery.DELIVER, attempt=1, resources=resources)
            for n in range(count)]


@contextmanager
def _selects(a: Instance) -> Iterator[list[str]]:
    """The SELECT statements the instance's database runs meanwhile."""
    seen: list[str] = []
    db = a.app[appkeys.DATABASE]
    engines = {db.read_engine.sync_engine, db.write_engine.sync_engine}

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


async def test_many_deliveries_to_one_host_reuse_its_connections(
        start: StartInstance, remote: CountingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _publish(a, alice.account_id, [remote.url("r.test", "/users/first/inbox")], n=0)
    await a.run_jobs()
    assert len(remote.peers) == 1
    inboxes = [remote.url("r.test", f"/users/u{n}/inbox") for n in range(30)]
    await _publish(a, alice.account_id, inboxes, n=1)
    await a.run_jobs()
    assert len(remote.received) == 31
    # Kept alive: the first delivery's connection carried later ones too, and 31 requests
    # needed no more connections than the client's limit per host (8).
    assert remote.peers[0] in remote.peers[1:]
    assert len(set(remote.peers)) <= 8


async def test_a_batch_reads_its_activities_keys_and_hosts_once(
        start: StartInstance, remote: CountingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    inboxes = [remote.url(f"h{n % 5}.test", f"/users/u{n}/inbox") for n in range(20)]
    first = await _publish(a, alice.account_id, inboxes[:10], n=1)
    second = await _publish(a, alice.account_id, inboxes[10:], n=2)
    payloads = [{"outgoing_id": first if n < 10 else second, "inbox": inbox}
                for n, inbox in enumerate(inboxes)]
    await a.app[appkeys.SERVICES].domains.rules()  # cached for the process, read once here
    with _selects(a) as selects:
        errors = await deliver_many(_contexts(a, 20), payloads)
    assert errors == [None] * 20
    assert sorted(r.path for r in remote.received) == sorted(f"/users/u{n}/inbox"
                                                             for n in range(20))
    # One statement for both activities with alice's key, one for the five hosts' health.
    assert len(selects) == 2, selects
    # Each body went out as recorded, signed by alice.
    ids = {r.body.count(b"#batches/1") for r in remote.received}
    assert ids == {0, 1}
    assert all(f'keyId="{a.actor("alice")}#main-key"' in r.headers["Signature"]
               for r in remote.received)


async def test_each_job_of_a_batch_keeps_its_own_fate(start: StartInstance,
                                                      remote: CountingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    ok, broken, down = (remote.url(h, "/inbox") for h in ("ok.test", "broken.test",
                                                            "down.test"))
    paused = remote.url("paused.test", "/inbox")
    gone = remote.url("ok.test", "/users/gone/inbox")
    live = await _publish(a, alice.account_id, [ok, broken, down, paused], n=1)
    withdrawn = await _publish(a, alice.account_id, [gone], n=2)
    pause_until = utcnow() + timedelta(hours=1)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(DeliveryHost(host=f"paused.test:{remote.port}", consecutive_failures=3,
                                 paused_until=pause_until, last_error="HTTP 503"))
        # ok.test failed once before, unpaused since: its success resets it.
        session.add(DeliveryHost(host=f"ok.test:{remote.port}", consecutive_failures=1))
        await session.delete(await session.get(OutgoingActivity, withdrawn))
    remote.by_host = {"broken.test": 404, "down.test": 503}
    errors = await deliver_many(_contexts(a, 5), [
        {"outgoing_id": live, "inbox": ok}, {"outgoing_id": live, "inbox": broken},
        {"outgoing_id": live, "inbox": down}, {"outgoing_id": live, "inbox": paused},
        {"outgoing_id": withdrawn, "inbox": gone}])
    assert errors[0] is None
    assert isinstance(errors[1], PermanentJobError) and "HTTP 404" in str(errors[1])
    assert isinstance(errors[2], DeliveryFailed) and "HTTP 503" in str(errors[2])
    assert isinstance(errors[3], Postpone) and errors[3].until == pause_until
    assert errors[4] is None  # withdrawn: nothing to send, nothing to retry
    async with a.app[appkeys.DATABASE].reader() as session:
        healed = await session.get(DeliveryHost, f"ok.test:{remote.port}")
        failing = await session.get(DeliveryHost, f"down.test:{remote.port}")
    assert healed is not None and healed.consecutive_failures == 0
    assert healed.last_success_at is not None
    assert failing is not None and failing.consecutive_failures == 1
    assert failing.paused_until is not None
