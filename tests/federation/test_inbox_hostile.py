"""Hostile input to our inboxes (issue 14): payloads from tests/data/hostile/, sent over real
HTTP, signed for real, stored on a real SQLite file and on PostgreSQL.

- one bad activity must never fail the others committed with it;
- a server cannot claim another server's activity id first;
- received activities are kept for a bounded time, their bodies only until applied;
- JSON nested beyond reason is a 400, not a 500 with a traceback;
- a note whose text cannot be encoded is cleaned, not retried for two days.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from server import appkeys
from server.config import ConfigError, build_config
from server.services.federation.inbound.inbox_retention import PURGE_INBOX
from storage import inbox as inbox_store
from storage.inbox import NewActivity
from storage.models import InboxActivity, Job
from storage.types import utcnow
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote, Reply
from tests.federation.harness import Instance, settle
from tests.federation.hostile_payloads import payload
from tests.federation.interactions_helpers import alice_follows, create, note, post, send

POISONED_IDS = ("activity-id-nul-byte.json", "activity-id-lone-surrogate.json",
                "activity-id-too-long.json")


@pytest.fixture
async def evil() -> AsyncIterator[FakeRemote]:
    async with FakeRemote("evil") as fake:
        yield fake


def inbox(a: Instance) -> str:
    return f"{a.actor('alice')}/inbox"


async def post_as(fake: FakeRemote, actor: FakeActor, url: str, body: bytes) -> Reply:
    return await fake.send(url, body, fake.sign(actor, url, body))


async def rows(a: Instance) -> list[InboxActivity]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return list((await session.execute(select(InboxActivity))).scalars())


# --- one bad activity in a batch ------------------------------------------------------------


async def test_poisoned_activities_do_not_fail_the_valid_ones_sent_with_them(
        a: Instance, masto: FakeRemote) -> None:
    """Ids PostgreSQL (NUL, over 2,048 characters) or SQLite (a lone surrogate) cannot store
    used to fail the whole shared commit: every request in it got 500."""
    carol = masto.add_actor("carol")
    await post_as(masto, carol, inbox(a), json.dumps(
        carol.activity("Bite", a.actor("alice"))).encode())  # fetch carol's key once
    values = {"ORIGIN": masto.base, "ACTOR": carol.id, "TARGET": a.actor("alice")}
    valid = [carol.activity("Follow", a.actor("alice")) for _ in range(40)]
    bodies = [json.dumps(v).encode() for v in valid]
    poisoned = [payload(name, **values) for name in POISONED_IDS]
    cleaned = payload("activity-type-nul-lone-surrogate.json", **values)

    replies = await asyncio.gather(*(post_as(masto, carol, inbox(a), body)
                                     for body in [*poisoned, *bodies, cleaned]))

    assert [r.status for r in replies[:3]] == [400, 400, 400], [r.text for r in replies[:3]]
    assert all(r.status == 202 for r in replies[3:]), [r.text for r in replies[3:]]
    stored = {row.activity_id: row for row in await rows(a)}
    assert {v["id"] for v in valid} <= set(stored)
    assert stored[f"{masto.base}/bites/poison-type"].activity_type == "Bite\ufffd"


async def test_a_row_the_database_refuses_fails_only_its_own_request(a: Instance) -> None:
    """Behind the parser, the writer itself: when a shared commit fails, each request is
    written alone. The poisoned rows here skip the parser on purpose."""
    writer = a.app[appkeys.INBOX_WRITER]
    origin = "https://remote.example"

    def item(activity_id: str) -> NewActivity:
        return NewActivity(activity_id=activity_id, activity_type="Follow",
                           actor_uri=f"{origin}/users/carol", origin=origin,
                           signer_key_id=f"{origin}/users/carol#main-key",
                           signer_uri=f"{origin}/users/carol", inbox_account_id=None,
                           body={"id": activity_id})

    valid = [item(f"{origin}/ok/{n}") for n in range(20)]
    # NUL and 3,000 characters fail on PostgreSQL, a lone surrogate on both.
    poisoned = [item(f"{origin}/bad\x00"), item(f"{origin}/{'x' * 3000}"),
                item(f"{origin}/bad\ud800")]
    outcomes = await asyncio.gather(*(writer.store(i) for i in [*poisoned, *valid]),
                                    return_exceptions=True)

    assert outcomes[3:] == [True] * 20
    assert any(isinstance(o, Exception) for o in outcomes[:3])
    assert {i.activity_id for i in valid} <= {row.activity_id for row in await rows(a)}
    # A redelivery of a valid one is still recognised.
    assert await writer.store(valid[0]) is False


# --- nesting --------------------------------------------------------------------------------


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
async def test_deeply_nested_json_is_a_400_without_a_traceback(
        a: Instance, masto: FakeRemote, caplog: pytest.LogCaptureFixture, signed: bool) -> None:
    assert b'b"[" * 100_000' in payload("deep-nesting.txt")  # how the body is made
    body = b"[" * 100_000
    carol = masto.add_actor("carol")
    headers = masto.sign(carol, inbox(a), body) if signed else {
        "Content-Type": "application/activity+json"}
    with caplog.at_level(logging.WARNING):
        reply = await masto.send(inbox(a), body, headers)
    assert reply.status == 400, reply.text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert masto.requests == []  # refused before any key fetch
    assert await rows(a) == []


# --- who may claim an activity id ----------------------------------------------------------


@pytest.mark.parametrize("claimed_actor", ["own", "victim"])
async def test_another_server_cannot_claim_an_activity_id_first(
        a: Instance, masto: FakeRemote, evil: FakeRemote, claimed_actor: str) -> None:
    """evil sends a Delete under masto's predictable `<post>#delete` id (as its own actor,
    or naming masto's): dropped. masto's real Delete with that id must still apply."""
    carol = masto.add_actor("carol")
    mallory = evil.add_actor("mallory")
    await alice_follows(a, masto, carol)
    doc = note(carol)
    await send(masto, carol, a, create(carol, doc))
    assert await post(a, doc["id"]) is not None

    actor = mallory.id if claimed_actor == "own" else carol.id
    claim = payload("delete-claiming-another-servers-id.json", NOTE=doc["id"], ACTOR=actor)
    assert (await post_as(evil, mallory, inbox(a), claim)).status == 202
    await settle([a])
    stored = await post(a, doc["id"])
    assert stored is not None and stored.deleted_at is None

    real = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{doc['id']}#delete",
            "type": "Delete", "actor": carol.id, "to": [AS_PUBLIC],
            "object": {"id": doc["id"], "type": "Tombstone"}}
    reply = await masto.deliver(carol, inbox(a), real)
    assert (reply.status, json.loads(reply.text)["status"]) == (202, "accepted")
    await settle([a])
    deleted = await post(a, doc["id"])
    assert deleted is not None and deleted.deleted_at is not None
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await inbox_store.by_activity_id(session, real["id"], masto.base)
    assert row is not None and row.state == "applied", row and row.error
    # And masto's redelivery is still recognised.
    reply = await masto.deliver(carol, inbox(a), real)
    assert json.loads(reply.text)["status"] == "already received"


# --- retention ------------------------------------------------------------------------------


async def test_bodies_go_once_applied_or_ignored(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    follow = carol.activity("Follow", a.actor("alice"))
    # junk-like-megabyte.txt: a Like of nothing of ours, padded to near the body limit.
    assert "Like" in payload("junk-like-megabyte.txt").decode()
    junk = carol.activity("Like", "https://elsewhere.example/notes/1",
                          content="x" * 900_000)
    for activity in (follow, junk):
        assert (await masto.deliver(carol, inbox(a), activity)).status == 202
    assert all(row.body is not None for row in await rows(a))  # until applied
    await settle([a])

    by_id = {row.activity_id: row for row in await rows(a)}
    assert by_id[follow["id"]].state == "applied"
    assert by_id[junk["id"]].state == "ignored"
    assert all(row.body is None for row in by_id.values())
    assert all(len(row.error or "") <= inbox_store.MAX_NOTE for row in by_id.values())
    # Still recognised: answered, not applied again.
    reply = await masto.deliver(carol, inbox(a), follow)
    assert json.loads(reply.text)["status"] == "already received"
    await settle([a])
    assert len(masto.deliveries("Accept")) == 1


async def test_rows_past_the_retention_are_purged_by_the_hourly_job(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    old, recent = (carol.activity("Bite", a.actor("alice")) for _ in range(2))
    for activity in (old, recent):
        assert (await masto.deliver(carol, inbox(a), activity)).status == 202
    await settle([a])
    db = a.app[appkeys.DATABASE]
    days = a.config.federation.inbox_retention_days
    async with db.writer.begin() as session:
        await session.execute(update(InboxActivity).where(
            InboxActivity.activity_id == old["id"]).values(
            received_at=utcnow() - timedelta(days=days, minutes=1)))
        # The purge was queued at start for the next hour: make it due now.
        [job] = (await session.execute(select(Job).where(Job.kind == PURGE_INBOX))).scalars()
        assert job.run_at > utcnow()
        job.run_at = utcnow()

    assert await a.run_jobs() == 1
    assert [row.activity_id for row in await rows(a)] == [recent["id"]]
    async with db.reader() as session:
        [following] = (await session.execute(
            select(Job).where(Job.kind == PURGE_INBOX))).scalars()
    assert following.run_at > utcnow()  # the next hour's run is queued

    # Within the window a redelivery is recognised; past it, it is news again.
    reply = await masto.deliver(carol, inbox(a), recent)
    assert json.loads(reply.text)["status"] == "already received"
    reply = await masto.deliver(carol, inbox(a), old)
    assert json.loads(reply.text)["status"] == "accepted"


def test_retention_is_bounded_and_at_least_a_day() -> None:
    assert build_config({}).federation.inbox_retention_days == 7
    with pytest.raises(ConfigError, match="inbox_retention_days"):
        build_config({"federation": {"inbox_retention_days": 0}})


# --- text that cannot be encoded ------------------------------------------------------------


async def test_note_with_a_lone_surrogate_is_cleaned_not_retried(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    note_id = f"{carol.id}/statuses/555"
    body = payload("note-content-lone-surrogate.json", NOTE=note_id, ACTOR=carol.id)
    assert (await post_as(masto, carol, inbox(a), body)).status == 202
    await settle([a])

    stored = await post(a, note_id)
    assert stored is not None
    assert "\ufffd" in stored.content and "\x00" not in stored.content
    assert stored.spoiler_text == "cw \ufffd"
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await inbox_store.by_activity_id(session, f"{note_id}/activity")
        dead = (await session.execute(select(Job).where(Job.state == "dead"))).scalars().all()
    assert row is not None and row.state == "applied", row and row.error
    assert dead == []
