"""A worker killed in the middle of a delivery, or of applying a batch of received activities:
each activity still takes effect exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy import func, select

from server import appkeys
from server.services.federation.inbound.inbox_writer import APPLY_ACTIVITY
from server.services.social import follows
from storage.models import Follow, InboxActivity, Job, OutgoingActivity
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, settle

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")


async def _count(instance_app: web.Application, model: type, *where: object) -> int:
    async with instance_app[appkeys.DATABASE].reader() as session:
        stmt = select(func.count()).select_from(model)
        for clause in where:
            stmt = stmt.where(clause)  # type: ignore[arg-type]
        return int((await session.execute(stmt)).scalar_one())


def _worker_env(a: Instance, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env.update({
        "DREAMFEED_DATABASE_URL": a.config.database.url,
        "DREAMFEED_INSTANCE_DOMAIN": a.domain,
        "DREAMFEED_INSTANCE_SCHEME": "http",
        "DREAMFEED_MEDIA_PATH": str(tmp_path / "worker-media"),
        "DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
        "DREAMFEED_JOBS_LEASE_SECONDS": "2",
        "DREAMFEED_JOBS_POLL_INTERVAL": "0.1",
    })
    return env


async def test_worker_killed_mid_delivery(start: StartInstance, tmp_path: Path) -> None:
    stored = asyncio.Event()
    posts: list[str] = []

    @web.middleware
    async def slow_first_inbox_answer(request: web.Request,
                                      handler: Handler) -> web.StreamResponse:
        """The receiver stores the activity, then hangs before answering, the first time."""
        response = await handler(request)
        if request.method == "POST" and request.path.endswith("/inbox"):
            posts.append(request.path)
            if len(posts) == 1:
                stored.set()
                await asyncio.sleep(5)
        return response

    # Plain IP domains: the worker subprocess has no test resolver for *.test names.
    a = await start("a", host="127.0.0.1", jobs={"lease_seconds": 2})
    b = await start("b", host="127.0.0.1", middlewares=[slow_first_inbox_answer])
    await a.add_user("alice")
    await b.add_user("bob")
    await follows.follow(a.services, "alice", b.handle("bob"))

    worker = subprocess.Popen([DREAMFEED, "worker", "--concurrency", "1"],
                              env=_worker_env(a, tmp_path),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        await asyncio.wait_for(stored.wait(), timeout=30)
        worker.send_signal(signal.SIGKILL)  # mid-delivery: b has it, a never heard back
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert await _count(b.app, InboxActivity) == 1

    await asyncio.sleep(2.5)  # the dead worker's lease runs out
    await settle([a, b])

    assert len(posts) >= 2  # the Follow was delivered again after the crash
    assert await _count(b.app, InboxActivity, InboxActivity.activity_type == "Follow") == 1
    assert await _count(b.app, Follow) == 1
    assert await _count(b.app, OutgoingActivity) == 1  # one Accept, not two
    assert (await follows.relationships(a.services, "alice")).following == [b.handle("bob")]


async def test_worker_killed_while_applying_a_batch(start: StartInstance, masto: FakeRemote,
                                                    tmp_path: Path) -> None:
    """Follows are applied in batches by a worker process, which is killed as soon as the first
    batch is marked: the rest (applied or not) are taken over and each Follow exists once."""
    a = await start("a", host="127.0.0.1", jobs={"lease_seconds": 2})
    await a.add_user("alice")
    inbox = f"{a.actor('alice')}/inbox"
    # Their keys (and so their accounts) are stored as each Follow is received: the worker
    # process, which cannot resolve masto.test, needs to fetch nothing.
    fans = [masto.add_actor(f"fan{i}") for i in range(32)]
    for fan in fans:
        reply = await masto.deliver(fan, inbox, fan.activity("Follow", a.actor("alice")))
        assert reply.status == 202, reply.text
    received = InboxActivity.state == "received"
    assert await _count(a.app, InboxActivity, received) == 32

    worker = subprocess.Popen([DREAMFEED, "worker", "--concurrency", "1"],
                              env=_worker_env(a, tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while await _count(a.app, InboxActivity, received) == 32:
            assert asyncio.get_running_loop().time() < deadline, "the worker applied nothing"
            await asyncio.sleep(0.01)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    left = await _count(a.app, InboxActivity, received)
    assert 0 < left < 32  # killed part way: some applied and marked, some not
    # Nothing lost: every activity still unmarked still has its job.
    assert await _count(a.app, Job, Job.kind == APPLY_ACTIVITY) >= left

    await asyncio.sleep(2.5)  # the dead worker's leases run out
    await a.run_jobs()
    assert await _count(a.app, InboxActivity, received) == 0
    assert await _count(a.app, Job, Job.kind == APPLY_ACTIVITY) == 0
    assert await _count(a.app, Follow) == 32  # each applied once, whatever ran twice
    assert {f.handle for f in fans} == set(
        (await follows.relationships(a.services, "alice")).followers)
