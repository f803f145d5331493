"""Dreamfeed against a fake Mastodon / GoToSocial server (tests/federation/fake_remote.py).

The fake verifies our signatures with its own verifier, so "the fake accepted it" means an
independent implementation of the documented rules accepted it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from server import appkeys
from server.services.federation.remote import resolve_account
from server.services.social import follows
from storage import accounts as account_queries
from storage import inbox as inbox_store
from storage.models import Account, InboxActivity
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote, Received
from tests.federation.harness import Instance, settle


@pytest.fixture
async def gts() -> AsyncIterator[FakeRemote]:
    # GoToSocial refuses unsigned GETs on its ActivityPub endpoints.
    async with FakeRemote("gts", require_signed_get=True) as fake:
        yield fake


async def account(instance: Instance, uri: str) -> Account | None:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return await account_queries.account_by_uri(session, uri)


async def stored(instance: Instance, activity_id: str) -> InboxActivity | None:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return await inbox_store.by_activity_id(session, activity_id)


async def stored_count(instance: Instance) -> int:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return len((await session.execute(select(InboxActivity.id))).all())


def signed_by_instance_actor(request: Received, instance: Instance) -> bool:
    return (request.signature is not None
            and request.signature.key_id == f"{instance.base}/actor#main-key"
            and request.signature.owner == f"{instance.base}/actor")


def signed_by(request: Received, instance: Instance, username: str) -> bool:
    return (request.signature is not None
            and request.signature.key_id == f"{instance.actor(username)}#main-key"
            and request.signature.owner == instance.actor(username))


async def remote_follows(fake: FakeRemote, actor: FakeActor, a: Instance,
                         username: str, **sign_options: object) -> str:
    """`actor` follows a local user; returns the Follow's id."""
    follow = actor.activity("Follow", a.actor(username))
    reply = await fake.deliver(actor, f"{a.actor(username)}/inbox", follow, **sign_options)
    assert reply.status == 202, reply.text
    return str(follow["id"])


# --- incoming follows ---------------------------------------------------------------------


async def test_mastodon_user_follows_with_cavage_signature(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")

    follow_id = await remote_follows(masto, carol, a, "alice")  # cavage rsa-sha256
    await settle([a])

    assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]
    # Our key fetch was a GET of the actor, signed by our instance actor.
    [fetch] = masto.fetches_of(carol.id)
    assert signed_by_instance_actor(fetch, a), fetch.signature_error
    # The Accept went to carol's personal inbox, signed by alice, and the fake verified it.
    [accept] = masto.deliveries("Accept")
    assert accept.path == "/users/carol/inbox" and accept.status == 202
    assert signed_by(accept, a, "alice"), accept.signature_error
    assert accept.signature is not None and {"digest", "host", "date"} <= set(
        accept.signature.covered)
    doc = accept.json()
    assert doc["actor"] == a.actor("alice")
    assert doc["object"]["id"] == follow_id and doc["object"]["actor"] == carol.id


async def test_gotosocial_user_follows_with_rfc9421_and_unfollows_with_hs2019(
        start: StartInstance, gts: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    gus = gts.add_actor("gus", "gotosocial")

    await remote_follows(gts, gus, a, "alice", scheme="rfc9421")
    await settle([a])

    assert (await follows.relationships(a.services, "alice")).followers == [gus.handle]
    # keyId /users/gus/main-key -> the stub -> its owner: both fetched with signed GETs
    # (the fake answers 401 to unsigned ones, as GoToSocial does); then, in a job, the
    # collections that give his counts.
    fetches = gts.received("GET")
    assert [f.path for f in fetches[:2]] == ["/users/gus/main-key", "/users/gus"]
    assert sorted(f.path for f in fetches[2:]) == [
        "/users/gus/followers", "/users/gus/following", "/users/gus/outbox"]
    assert all(signed_by_instance_actor(f, a) and f.status == 200 for f in fetches)
    [accept] = gts.deliveries("Accept")
    assert accept.path == "/users/gus/inbox"  # GoToSocial has no shared inbox
    assert signed_by(accept, a, "alice") and accept.status == 202

    # GoToSocial signs cavage with algorithm hs2019.
    undo = gus.activity("Undo", {"id": accept.json()["object"]["id"], "type": "Follow",
                                 "actor": gus.id, "object": a.actor("alice")})
    assert (await gts.deliver(gus, f"{a.base}/inbox", undo)).status == 202
    await settle([a])
    assert (await follows.relationships(a.services, "alice")).followers == []


# --- outgoing follows ---------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["mastodon", "gotosocial"])
async def test_local_user_follows_remote_by_handle_then_unfollows(
        start: StartInstance, masto: FakeRemote, flavour: str) -> None:
    a = await start("a")
    await a.add_user("alice")
    masto.require_signed_get = flavour == "gotosocial"
    dora = masto.add_actor("dora", "gotosocial" if flavour == "gotosocial" else "mastodon")

    result = await follows.follow(a.services, "alice", dora.handle)
    assert result.state == "pending" and result.target == dora.id
    assert [r.path for r in masto.received("GET")] == ["/.well-known/webfinger", "/users/dora"]
    assert signed_by_instance_actor(masto.fetches_of(dora.id)[0], a)
    await settle([a])

    [follow] = masto.deliveries("Follow")
    assert follow.path == "/users/dora/inbox" and follow.status == 202
    assert signed_by(follow, a, "alice"), follow.signature_error
    follow_doc = follow.json()
    assert follow_doc["actor"] == a.actor("alice") and follow_doc["object"] == dora.id
    assert (await follows.relationships(a.services, "alice")).requested == [dora.handle]

    # Mastodon embeds the Follow in its Accept; some servers name it by id only.
    accepted = follow_doc if flavour == "mastodon" else follow_doc["id"]
    accept = dora.activity("Accept", accepted)
    assert (await masto.deliver(dora, f"{a.actor('alice')}/inbox", accept)).status == 202
    await settle([a])
    assert (await follows.relationships(a.services, "alice")).following == [dora.handle]

    await follows.unfollow(a.services, "alice", dora.handle)
    await settle([a])
    [undo] = masto.deliveries("Undo")
    assert signed_by(undo, a, "alice") and undo.status == 202
    assert undo.json()["object"]["id"] == follow_doc["id"]
    assert undo.json()["object"]["type"] == "Follow"
    assert (await follows.relationships(a.services, "alice")).following == []


# --- keys ---------------------------------------------------------------------------------


async def test_rotated_key_is_refetched_once_and_the_old_one_refused(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    follow_id = await remote_follows(masto, carol, a, "alice")
    await settle([a])

    old_key = masto.rotate_key(carol)
    masto.forget()
    undo = carol.activity("Undo", {"id": follow_id, "type": "Follow", "actor": carol.id,
                                   "object": a.actor("alice")})
    reply = await masto.deliver(carol, f"{a.base}/inbox", undo, algorithm="hs2019")
    assert reply.status == 202, reply.text
    assert len(masto.fetches_of(carol.id)) == 1  # refetched once, on the failed check
    await settle([a])
    assert (await follows.relationships(a.services, "alice")).followers == []

    # The retired key no longer speaks for carol.
    stale = carol.activity("Follow", a.actor("alice"))
    reply = await masto.deliver(carol, f"{a.base}/inbox", stale, key=old_key)
    assert reply.status == 401
    assert await stored(a, str(stale["id"])) is None


# --- forwarded activities -----------------------------------------------------------------


async def test_forwarded_activity_is_refetched_from_its_origin(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol", name="Carol")
    mallory = masto.add_actor("mallory")
    follow_id = await remote_follows(masto, carol, a, "alice")
    await settle([a])
    masto.forget()

    # mallory forwards an Update of carol's profile; the body says "Forged", the origin
    # serves carol's real Update.
    real = carol.activity("Update", {**carol.document(), "name": "Carol Real"})
    masto.serve(real)
    forged = {**real, "object": {**carol.document(), "name": "Forged"}}
    assert (await masto.deliver(mallory, f"{a.base}/inbox", forged)).status == 202
    await settle([a])

    [refetch] = masto.fetches_of(str(real["id"]))
    assert signed_by_instance_actor(refetch, a)
    found = await account(a, carol.id)
    assert found is not None and found.display_name == "Carol Real"

    # mallory forwards an Undo of carol's Follow that carol's server does not serve:
    # nothing happens, carol still follows alice.
    undo = carol.activity("Undo", {"id": follow_id, "type": "Follow", "actor": carol.id,
                                   "object": a.actor("alice")})
    assert (await masto.deliver(mallory, f"{a.base}/inbox", undo)).status == 202
    await settle([a])
    [refetch] = masto.fetches_of(str(undo["id"]))
    assert refetch.status == 404
    assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]
    row = await stored(a, str(undo["id"]))
    assert row is not None and row.state == "ignored"

    # mallory forwards a Delete of carol: Mastodon's `#delete` id dereferences to carol's
    # live actor, which is not that Delete, so carol stays.
    delete = {**carol.activity("Delete", carol.id), "id": f"{carol.id}#delete"}
    assert (await masto.deliver(mallory, f"{a.base}/inbox", delete)).status == 202
    await settle([a])
    still = await account(a, carol.id)
    assert still is not None and still.deleted_at is None
    assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]


# --- Delete and Update of actors ------------------------------------------------------------


async def test_delete_of_known_actor_removes_account_and_follows(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    await remote_follows(masto, carol, a, "alice")
    await follows.follow(a.services, "alice", carol.id)
    await settle([a])
    [follow] = masto.deliveries("Follow")
    accept = carol.activity("Accept", follow.json())
    assert (await masto.deliver(carol, f"{a.actor('alice')}/inbox", accept)).status == 202
    await settle([a])
    both_ways = await follows.relationships(a.services, "alice")
    assert both_ways.followers == both_ways.following == [carol.handle]

    # Mastodon deletes the account (its actor now answers 410) and signs the Delete with
    # the key it had: we verify with the key we stored, without fetching anything.
    masto.delete_actor(carol)
    masto.forget()
    delete = {**carol.activity("Delete", carol.id), "id": f"{carol.id}#delete",
              "to": [AS_PUBLIC]}
    assert (await masto.deliver(carol, f"{a.base}/inbox", delete)).status == 202
    await settle([a])
    assert masto.received("GET") == []
    nothing = await follows.relationships(a.services, "alice")
    assert nothing.followers == nothing.following == []
    gone = await account(a, carol.id)
    assert gone is not None and gone.deleted_at is not None

    # Mastodon sends the Delete again to every server it knows: still 202, no fetch.
    again = {**delete, "id": f"{carol.id}#delete-again"}
    assert (await masto.deliver(carol, f"{a.base}/inbox", again)).status == 202
    assert masto.received("GET") == []


async def test_late_follow_from_deleted_actor_is_not_applied(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    await remote_follows(masto, carol, a, "alice")
    await settle([a])
    masto.delete_actor(carol)
    delete = {**carol.activity("Delete", carol.id), "id": f"{carol.id}#delete"}
    assert (await masto.deliver(carol, f"{a.base}/inbox", delete)).status == 202
    await settle([a])
    gone = await account(a, carol.id)
    assert gone is not None and gone.deleted_at is not None

    # A Follow sent before the Delete, retried from carol's server's queue after it.
    late_follow = carol.activity("Follow", a.actor("alice"))
    reply = await masto.deliver(carol, f"{a.actor('alice')}/inbox", late_follow)
    await settle([a])
    # Its key went with the account and the actor answers 410: refused (401, as Mastodon
    # does when it cannot fetch the key) or accepted and ignored; never applied.
    assert reply.status in (202, 401)
    assert (await follows.relationships(a.services, "alice")).followers == []
    assert len(masto.deliveries("Accept")) == 1  # the first follow's only


async def test_delete_or_update_of_unknown_actor_is_accepted_without_key_fetch(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    ghost = masto.add_actor("ghost")
    masto.delete_actor(ghost)

    delete = {**ghost.activity("Delete", ghost.id), "id": f"{ghost.id}#delete"}
    reply = await masto.deliver(ghost, f"{a.base}/inbox", delete)
    assert reply.status == 202, reply.text
    # An Update from an actor we never saw: likewise nothing to do, nothing to fetch.
    update = ghost.activity("Update", ghost.document())
    assert (await masto.deliver(ghost, f"{a.base}/inbox", update)).status == 202
    await settle([a])
    assert masto.received("GET") == []
    assert await account(a, ghost.id) is None
    assert await stored_count(a) == 0


async def test_delete_of_known_actor_without_follows_is_applied(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    dave = masto.add_actor("dave")
    await resolve_account(a.services, dave.id)  # known (looked up), no follows either way

    masto.delete_actor(dave)
    delete = {**dave.activity("Delete", dave.id), "id": f"{dave.id}#delete"}
    assert (await masto.deliver(dave, f"{a.base}/inbox", delete)).status == 202
    await settle([a])
    gone = await account(a, dave.id)
    assert gone is not None and gone.deleted_at is not None


async def test_update_of_known_actor_changes_display_name(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol", name="Carol")
    await resolve_account(a.services, carol.id)  # known (looked up), no follows

    carol.name = "Carol 🌙"
    update = carol.activity("Update", carol.document(),
                            to=[AS_PUBLIC])
    assert (await masto.deliver(carol, f"{a.base}/inbox", update)).status == 202
    await settle([a])
    found = await account(a, carol.id)
    assert found is not None and found.display_name == "Carol 🌙"

    # Once carol follows alice, her next Update too; she stays one account, one follower.
    await remote_follows(masto, carol, a, "alice")
    await settle([a])
    carol.name = "Carol ☀"
    update = carol.activity("Update", carol.document())
    assert (await masto.deliver(carol, f"{a.base}/inbox", update)).status == 202
    await settle([a])
    found = await account(a, carol.id)
    assert found is not None and found.display_name == "Carol ☀"
    assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]

    # carol cannot update (or delete) someone else, even on her own server.
    mallory = masto.add_actor("mallory", name="Mallory")
    await resolve_account(a.services, mallory.id)
    hijack = carol.activity("Update", {**mallory.document(), "name": "Hijacked"})
    assert (await masto.deliver(carol, f"{a.base}/inbox", hijack)).status == 202
    kill = carol.activity("Delete", {"id": mallory.id, "type": "Person"})
    assert (await masto.deliver(carol, f"{a.base}/inbox", kill)).status == 202
    await settle([a])
    untouched = await account(a, mallory.id)
    assert untouched is not None and untouched.display_name == "Mallory"
    assert untouched.deleted_at is None

