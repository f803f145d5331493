"""What our inboxes refuse, and how, when a fake Mastodon server sends it.

Each refusal is checked against the same activity properly signed, which is accepted, so the
test shows the refusal comes from the one thing wrong with the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from server import appkeys
from server.services.social import follows
from storage import inbox as inbox_store
from storage.models import InboxActivity
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote, Reply
from tests.federation.harness import Instance, settle

TWO_HOURS = 2 * 3600


@dataclass
class Scene:
    a: Instance
    fake: FakeRemote
    carol: FakeActor
    mallory: FakeActor

    @property
    def inbox(self) -> str:
        return f"{self.a.actor('alice')}/inbox"

    def follow(self, **extra: Any) -> dict[str, Any]:
        """A fresh Follow of alice by carol."""
        return {**self.carol.activity("Follow", self.a.actor("alice")), **extra}

    async def send(self, doc: dict[str, Any] | bytes, **sign_options: Any) -> Reply:
        """POST `doc` to alice's inbox, signed as carol (see FakeRemote.sign)."""
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        headers = self.fake.sign(self.carol, self.inbox, body, **sign_options)
        return await self.fake.send(self.inbox, body, headers)

    async def stored(self) -> list[InboxActivity]:
        async with self.a.app[appkeys.DATABASE].reader() as session:
            return list((await session.execute(select(InboxActivity))).scalars())

    async def assert_refused(self, reply: Reply, status: int) -> None:
        assert reply.status == status, reply.text
        assert await self.stored() == []

    async def assert_accepts_proper_signature(self) -> None:
        reply = await self.send(self.follow())
        assert reply.status == 202, reply.text


async def scene(start: StartInstance, masto: FakeRemote, **sections: dict[str, Any]) -> Scene:
    a = await start("a", **sections)
    await a.add_user("alice")
    return Scene(a, masto, masto.add_actor("carol"), masto.add_actor("mallory"))


# --- signatures -----------------------------------------------------------------------------


async def test_unsigned_post_is_refused(start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    body = json.dumps(s.follow()).encode()
    reply = await masto.send(s.inbox, body, {"Content-Type": "application/activity+json"})
    await s.assert_refused(reply, 401)
    assert masto.requests == []  # nothing fetched for an unsigned request
    await s.assert_accepts_proper_signature()


async def test_signatures_that_do_not_verify_are_refused(
        start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)

    # carol's keyId, mallory's private key.
    reply = await s.send(s.follow(), key=s.mallory.key)
    await s.assert_refused(reply, 401)

    # Bytes that are no signature at all.
    reply = await s.send(s.follow(), sign_bytes=lambda _: os.urandom(256))
    await s.assert_refused(reply, 401)

    # mallory publishes a key document naming carol as owner, which carol's actor does not
    # list: the key cannot speak for carol.
    evil_key_id = f"{masto.base}/keys/evil"
    masto.serve({"id": evil_key_id, "type": "Key", "owner": s.carol.id,
                 "publicKeyPem": s.mallory.key.public_pem})
    reply = await s.send(s.follow(), key=s.mallory.key, key_id=evil_key_id)
    await s.assert_refused(reply, 401)

    await s.assert_accepts_proper_signature()


async def test_tampered_body_is_refused(start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    signed_body = json.dumps(s.follow()).encode()
    headers = masto.sign(s.carol, s.inbox, signed_body)
    tampered = json.dumps(s.follow(object=s.a.actor("alice") + "x")).encode()

    await s.assert_refused(await masto.send(s.inbox, tampered, headers), 401)
    assert (await masto.send(s.inbox, signed_body, headers)).status == 202


async def test_stale_signatures_are_refused(start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    await s.assert_refused(await s.send(s.follow(), age=TWO_HOURS), 401)  # cavage Date
    await s.assert_refused(await s.send(s.follow(), scheme="rfc9421", age=TWO_HOURS), 401)
    await s.assert_refused(await s.send(s.follow(), age=-TWO_HOURS), 401)  # from the future
    # An hour of clock skew is tolerated, as Mastodon does.
    assert (await s.send(s.follow(), scheme="rfc9421", age=3000)).status == 202
    assert (await s.send(s.follow(), age=3000)).status == 202


async def test_hmac_forgery_with_the_public_key_is_refused(
        start: StartInstance, masto: FakeRemote) -> None:
    """The httpsig 1.3.0 hole: an HMAC keyed with the victim's PUBLIC key PEM."""
    s = await scene(start, masto)
    public_pem = s.carol.key.public_pem.encode()

    def forge(data: bytes) -> bytes:
        return hmac.new(public_pem, data, hashlib.sha256).digest()

    for algorithm in ("hmac-sha256", "hs2019"):
        reply = await s.send(s.follow(), algorithm=algorithm, sign_bytes=forge)
        await s.assert_refused(reply, 401)
    await s.assert_accepts_proper_signature()


# --- size and shape -------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_the_limit_is_refused_before_anything_else(
        start: StartInstance, masto: FakeRemote, chunked: bool) -> None:
    s = await scene(start, masto, server={"max_body_size": 10_000})
    body = json.dumps(s.follow(summary="x" * 20_000)).encode()
    headers = masto.sign(s.carol, s.inbox, body)

    reply = await masto.send(s.inbox, body, headers, chunked=chunked)
    await s.assert_refused(reply, 413)
    assert masto.requests == []  # no key fetched for it
    await s.assert_accepts_proper_signature()


async def test_signed_body_of_the_wrong_shape_is_refused(
        start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    await s.assert_refused(await s.send(b"this is not JSON {"), 400)
    await s.assert_refused(await s.send(b"[1, 2, 3]"), 400)
    follow = s.follow()
    del follow["actor"]
    await s.assert_refused(await s.send(follow), 400)
    await s.assert_accepts_proper_signature()


async def test_unknown_activity_type_is_accepted_and_ignored(
        start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    bite = s.carol.activity("Bite", s.a.actor("alice"), target=s.a.actor("alice"))

    reply = await s.send(bite)
    assert reply.status == 202, reply.text
    await settle([s.a])
    async with s.a.app[appkeys.DATABASE].reader() as session:
        row = await inbox_store.by_activity_id(session, str(bite["id"]))
    assert row is not None and row.state == "ignored", row and row.error
    assert masto.deliveries() == []


# --- replay ---------------------------------------------------------------------------------


async def test_replayed_request_is_accepted_but_applied_once(
        start: StartInstance, masto: FakeRemote) -> None:
    s = await scene(start, masto)
    body = json.dumps(s.follow()).encode()
    headers = masto.sign(s.carol, s.inbox, body)

    assert (await masto.send(s.inbox, body, headers)).status == 202
    assert (await masto.send(s.inbox, body, headers)).status == 202
    await settle([s.a])
    assert (await masto.send(s.inbox, body, headers)).status == 202
    await settle([s.a])

    assert len(await s.stored()) == 1
    assert (await follows.relationships(s.a.services, "alice")).followers == [s.carol.handle]
    assert len(masto.deliveries("Accept")) == 1

