"""Received activities are applied in batches (one read, one commit marking them): an activity
that fails inside a batch is retried alone and takes nothing of the others with it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from activitypub.parse import ParsedActivity
from server import appkeys
from server.services.context import Services
from server.services.federation.inbound import inbox_apply
from storage.models import Follow, InboxActivity, Job
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote


async def test_a_failing_activity_does_not_undo_the_rest_of_its_batch(
        start: StartInstance, masto: FakeRemote, monkeypatch: pytest.MonkeyPatch) -> None:
    # A failed apply job waits an hour: it stays in the queue for the test to look at.
    a = await start("a", jobs={"backoff_base_seconds": 3600.0,
                               "backoff_max_seconds": 3600.0})
    await a.add_user("alice")
    inbox = f"{a.actor('alice')}/inbox"
    carol, dave, erin = (masto.add_actor(name) for name in ("carol", "dave", "erin"))
    for actor in (carol, dave, erin):
        reply = await masto.deliver(actor, inbox, actor.activity("Follow", a.actor("alice")))
        assert reply.status == 202, reply.text

    real_on_follow = inbox_apply.HANDLERS["Follow"]

    async def dave_breaks(services: Services, activity: ParsedActivity) -> str:
        if activity.actor == dave.id:
            raise RuntimeError("the database hiccupped")
        return await real_on_follow(services, activity)

    monkeypatch.setitem(inbox_apply.HANDLERS, "Follow", dave_breaks)
    db = a.app[appkeys.DATABASE]
    async with db.reader() as session:
        rows = {row.actor_uri: row for row in (await session.execute(
            select(InboxActivity).order_by(InboxActivity.received_at))).scalars()}
    ids = [rows[actor.id].id for actor in (carol, dave, erin)]

    # The three as one batch: carol's and erin's are applied and marked, dave's is not.
    outcomes = await inbox_apply.apply_many(a.services, ids)
    assert outcomes[0] == outcomes[2] == "accepted"
    assert isinstance(outcomes[1], RuntimeError)
    assert await _states(a) == {carol.id: "applied", dave.id: "received", erin.id: "applied"}
    assert await _followers(a) == 2

    # Through the queue: the three apply jobs run as one batch; dave's fails alone and waits.
    await a.run_jobs()
    async with db.reader() as session:
        left = [(job.kind, job.state, job.attempts, job.last_error)
                for job in (await session.execute(select(Job))).scalars()]
    assert ("inbox.apply", "queued", 1, "RuntimeError: the database hiccupped") in left
    assert [job for job in left if job[0] == "inbox.apply"] == [
        ("inbox.apply", "queued", 1, "RuntimeError: the database hiccupped")]
    async with db.reader() as session:
        stored = (await session.execute(select(InboxActivity).where(
            InboxActivity.actor_uri == dave.id))).scalar_one()
    assert stored.body is not None  # kept until it is applied

    # Once the fault is gone, the retry applies it, once.
    monkeypatch.setitem(inbox_apply.HANDLERS, "Follow", real_on_follow)
    async with db.writer.begin() as session:
        await session.execute(update(Job).values(run_at=utcnow()))
    await a.run_jobs()
    assert await _states(a) == {carol.id: "applied", dave.id: "applied", erin.id: "applied"}
    assert await _followers(a) == 3
    accepted = {d.json()["actor"] for d in masto.deliveries("Accept")}
    assert accepted == {a.actor("alice")}
    assert len(masto.deliveries("Accept")) == 3  # one Accept each, none twice


async def _states(a: Any) -> dict[str, str]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return dict((await session.execute(
            select(InboxActivity.actor_uri, InboxActivity.state))).all())


async def _followers(a: Any) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(select(func.count()).select_from(Follow))).scalar_one())
