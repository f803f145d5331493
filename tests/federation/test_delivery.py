"""Delivery: signed at send time, retried as Mastodon expects, hosts paused, nothing lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from server import appkeys
from server.services.federation.outbound import delivery
from storage import jobs as job_store
from storage.models import Account, DeliveryHost, Follow
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.federation.recording_inbox import RecordingInbox


@pytest.fixture
async def remote() -> AsyncIterator[RecordingInbox]:
    inbox = RecordingInbox()
    await inbox.start()
    yield inbox
    await inbox.stop()


def _note_activity(a: Instance, n: int = 1) -> dict[str, Any]:
    actor = a.actor("alice")
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}#tests/{n}", "type": "Like", "actor": actor,
            "object": "http://r.test/notes/1"}


async def _publish(a: Instance, account_id: int, inboxes: list[str], n: int = 1) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await delivery.publish(session, account_id, _note_activity(a, n), inboxes)


async def _jobs(a: Instance, state: str | None = None) -> list[job_store.JobRecord]:
    """The delivery jobs (the hourly inbox purge is queued beside them at start)."""
    async with a.app[appkeys.DATABASE].reader() as session:
        return await job_store.list_jobs(session, state=state, kind=delivery.DELIVER)


async def _host(a: Instance, host: str) -> DeliveryHost | None:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await session.get(DeliveryHost, host)


async def test_delivered_signed_once_per_inbox(start: StartInstance,
                                               remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    inbox = remote.url("r.test", "/inbox")
    await _publish(a, alice.account_id, [inbox, inbox, remote.url("s.test", "/inbox")])
    await a.run_jobs()
    assert sorted(r.host for r in remote.received) == [f"r.test:{remote.port}",
                                                        f"s.test:{remote.port}"]
    headers = remote.received[0].headers
    assert headers["Content-Type"] == "application/activity+json"
    assert f'keyId="{a.actor("alice")}#main-key"' in headers["Signature"]
    assert 'headers="(request-target) host date digest content-type"' in headers["Signature"]
    assert headers["Digest"].startswith("SHA-256=")
    assert await _jobs(a) == []


async def test_server_errors_retry_and_pause_the_host(start: StartInstance,
                                                      remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    remote.script.append((503, {}))
    await _publish(a, alice.account_id, [remote.url("r.test", "/inbox")], n=1)
    await a.run_jobs()
    [job] = await _jobs(a)
    assert job.state == "queued" and job.attempts == 1 and "HTTP 503" in (job.last_error or "")
    host = await _host(a, f"r.test:{remote.port}")
    assert host is not None and host.consecutive_failures == 1
    assert host.paused_until is not None and host.paused_until > utcnow()

    # While paused, new deliveries to the host wait without sending or spending attempts.
    await _publish(a, alice.account_id, [remote.url("r.test", "/users/x/inbox")], n=2)
    await a.run_jobs()
    assert len(remote.received) == 1
    waiting = await _jobs(a)
    assert len(waiting) == 2
    second = next(j for j in waiting if j.id != job.id)
    assert second.attempts == 0 and "paused" in (second.last_error or "")

    # When the pause ends, everything goes out and the host is healthy again.
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(DeliveryHost).values(paused_until=utcnow()))
        await session.execute(update(job_store.Job).values(run_at=utcnow()))
    await a.run_jobs()
    assert len(remote.received) == 3
    assert await _jobs(a) == []
    host = await _host(a, f"r.test:{remote.port}")
    assert host is not None and host.consecutive_failures == 0 and host.paused_until is None


async def test_429_honours_retry_after(start: StartInstance, remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    remote.script.append((429, {"Retry-After": "600"}))
    await _publish(a, alice.account_id, [remote.url("r.test", "/inbox")])
    await a.run_jobs()
    [job] = await _jobs(a, "queued")
    assert job.run_at >= utcnow() + timedelta(seconds=590)


@pytest.mark.parametrize("status", [400, 403, 404, 422, 501])
async def test_permanent_failures_are_dead_lettered(start: StartInstance,
                                                   remote: RecordingInbox, status: int) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    remote.default_status = status
    await _publish(a, alice.account_id, [remote.url("r.test", "/inbox")])
    await a.run_jobs()
    [job] = await _jobs(a)
    assert job.state == "dead"
    assert f"HTTP {status}" in (job.last_error or "")
    assert len(remote.received) == 1
    assert await _host(a, f"r.test:{remote.port}") is None  # the host itself is fine


@pytest.mark.parametrize("status", [401, 408, 500, 502])
async def test_retryable_statuses(start: StartInstance, remote: RecordingInbox,
                                  status: int) -> None:
    # A real backoff, so the retry is not already due within this run of the queue.
    a = await start("a", jobs={"backoff_base_seconds": 60.0, "backoff_max_seconds": 120.0})
    alice = await a.add_user("alice")
    remote.script.append((status, {}))
    await _publish(a, alice.account_id, [remote.url("r.test", "/inbox")])
    await a.run_jobs()
    [job] = await _jobs(a)
    assert job.state == "queued" and job.attempts == 1


async def test_unreachable_host_is_retried(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _publish(a, alice.account_id, ["http://down.test:1/inbox"])
    await a.run_jobs()
    [job] = await _jobs(a)
    assert job.state == "queued" and job.attempts == 1
    host = await _host(a, "down.test:1")
    assert host is not None and host.paused_until is not None


async def test_retry_window_ends_in_dead_letter(start: StartInstance,
                                               remote: RecordingInbox) -> None:
    a = await start("a", jobs={"retry_window_seconds": 1})
    alice = await a.add_user("alice")
    remote.default_status = 500
    await _publish(a, alice.account_id, [remote.url("r.test", "/inbox")])
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(job_store.Job).values(
            created_at=utcnow() - timedelta(seconds=10)))
    await a.run_jobs()
    [job] = await _jobs(a)
    assert job.state == "dead" and "retry window" in (job.last_error or "")
    assert "HTTP 500" in (job.last_error or "")


async def _remote_follower(a: Instance, local_account_id: int, inbox: str,
                           shared: str | None) -> int:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        account = Account(username="gone", domain="r.test", uri="http://r.test/users/gone",
                          inbox_url=inbox, shared_inbox_url=shared)
        session.add(account)
        await session.flush()
        session.add(Follow(account_id=account.id, target_account_id=local_account_id,
                           state="accepted"))
        return account.id


async def test_410_from_a_personal_inbox_removes_the_account(
        start: StartInstance, remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    inbox = remote.url("r.test", "/users/gone/inbox")
    gone_id = await _remote_follower(a, alice.account_id, inbox, shared=None)
    remote.default_status = 410
    await _publish(a, alice.account_id, [inbox])
    await a.run_jobs()
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await session.get(Account, gone_id)
        follows = (await session.execute(select(Follow))).scalars().all()
    assert account is not None and account.deleted_at is not None
    assert follows == []
    [job] = await _jobs(a)
    assert job.state == "dead" and "410" in (job.last_error or "")


async def test_410_from_a_shared_inbox_names_nobody(start: StartInstance,
                                                  remote: RecordingInbox) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    shared = remote.url("r.test", "/inbox")
    gone_id = await _remote_follower(a, alice.account_id, remote.url("r.test", "/u/inbox"),
                                     shared=shared)
    remote.default_status = 410
    await _publish(a, alice.account_id, [shared])
    await a.run_jobs()
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await session.get(Account, gone_id)
    assert account is not None and account.deleted_at is None
