"""Blocks between two Dreamfeed instances over real HTTP, signatures and deliveries: what a
block sends (Block, Undo of our follow, Reject of theirs, as Mastodon's BlockService), what
it ends on both sides, what it hides (replies, mentions, notifications, threads for every
viewer), the Follow it rejects, and Undo{Block} lifting it all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from server import appkeys
from server.services.errors import Conflict, NotFound, ServiceError
from server.services.reading import timelines
from server.services.social import blocks, follows
from server.services.social.notifications import list_notifications
from server.services.statuses import posts
from storage.models import Account, Block, OutgoingActivity, Status
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle


async def _rows(instance: Instance, model: Any) -> list[Any]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return list((await session.execute(select(model))).scalars().all())


async def _relations(instance: Instance, username: str) -> follows.Relationships:
    return await follows.relationships(instance.services, username)


async def _befriended(start: StartInstance) -> tuple[Instance, Instance, int, int]:
    """alice@a and bob@b follow each other; alice has a post bob's server received."""
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    bob = await b.add_user("bob")
    await follows.follow(a.services, "alice", b.handle("bob"))
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    assert (await _relations(a, "alice")).followers == [b.handle("bob")]
    assert (await _relations(a, "alice")).following == [b.handle("bob")]
    return a, b, alice.account_id, bob.account_id


async def _post(instance: Instance, username: str, account_id: int, caption: str,
                **kwargs: Any) -> posts.StatusView:
    media = await instance.make_images(account_id, caption or "a picture")
    return await posts.create_status(instance.services, username, posts.NewStatus(
        media_ids=media, caption=caption, **kwargs))


async def test_block_ends_follows_hides_replies_and_unblock_restores(
        start: StartInstance) -> None:
    a, b, alice_id, bob_id = await _befriended(start)
    root = await _post(a, "alice", alice_id, "Morning fog")
    await settle([a, b])

    view = await blocks.block(a.services, "alice", b.handle("bob"))
    assert view.handle == b.handle("bob")
    await settle([a, b])

    # what alice's server sent bob: Undo of her follow, Reject of his, then the Block
    sent = {o.body["type"]: o.body for o in await _rows(a, OutgoingActivity)
            if o.body["type"] in ("Undo", "Reject", "Block")}
    assert sent["Block"]["actor"] == a.actor("alice")
    assert sent["Block"]["object"] == b.actor("bob")
    assert sent["Block"]["id"].startswith(a.actor("alice") + "#blocks/")
    assert sent["Undo"]["object"]["type"] == "Follow"
    assert sent["Undo"]["object"]["object"] == b.actor("bob")
    assert sent["Reject"]["object"]["actor"] == b.actor("bob")
    # follows are gone both ways, on both servers, and bob's server keeps the block
    for instance, name in ((a, "alice"), (b, "bob")):
        assert await _relations(instance, name) == follows.Relationships([], [], [], [])
    [kept] = await _rows(b, Block)
    assert kept.uri == sent["Block"]["id"] and kept.target_account_id == bob_id
    assert [(r.handle) for r in await blocks.list_blocks(a.services, "alice")] == \
        [b.handle("bob")]

    # bob's own server refuses his reply (a blocked author's post is one he cannot see,
    # answered as Mastodon does) and his follow
    with pytest.raises(NotFound, match="does not appear to exist"):
        await _post(b, "bob", bob_id, "hello", in_reply_to=root.uri)
    with pytest.raises(Conflict):
        await follows.follow(b.services, "bob", a.handle("alice"))

    # a server that ignores blocks (simulated: bob's server forgets it) sends them anyway
    async with b.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(delete(Block))
    reply = await _post(b, "bob", bob_id, f"@alice@{a.domain} look at me",
                        in_reply_to=root.uri)
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    stored = [s for s in await _rows(a, Status) if s.uri == reply.uri]
    assert stored and stored[0].in_reply_to_id == root.id  # kept, but shown to nobody:
    for viewer in ("alice", "carol", None):
        assert (await timelines.thread(a.services, root.id, viewer=viewer)).descendants == []
    assert await list_notifications(a.services, "alice", Page()) == []
    assert await timelines.notifications(a.services, "alice", Page()) == []
    assert [i.status_id for i in await timelines.home(a.services, "alice", Page())] == \
        [root.id]
    # bob's new Follow was answered with a Reject: nothing pending on either side
    assert await _relations(a, "alice") == follows.Relationships([], [], [], [])
    assert await _relations(b, "bob") == follows.Relationships([], [], [], [])

    # bob's server learns of the block again; then alice lifts it with Undo{Block}
    async with b.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Block(account_id=kept.account_id, target_account_id=bob_id,
                          uri=kept.uri))
    await blocks.unblock(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    undo = [o.body for o in await _rows(a, OutgoingActivity)
            if o.body["type"] == "Undo" and o.body["object"]["type"] == "Block"]
    assert undo and undo[0]["object"]["id"] == sent["Block"]["id"]
    assert undo[0]["id"] == sent["Block"]["id"] + "/undo"
    assert await _rows(b, Block) == [] and await _rows(a, Block) == []
    assert await blocks.list_blocks(a.services, "alice") == []
    # the reply shows again, and bob can follow again
    thread = await timelines.thread(a.services, root.id)
    assert [item.status_id for item in thread.descendants] == [stored[0].id]
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    assert (await _relations(a, "alice")).followers == [b.handle("bob")]


async def test_remote_block_of_a_local_user(start: StartInstance) -> None:
    """bob@b blocks alice@a: alice's server ends the follows both ways and refuses her
    reply to bob's post; her follow is refused."""
    a, b, alice_id, bob_id = await _befriended(start)
    root = await _post(b, "bob", bob_id, "Evening rain")
    await settle([a, b])
    await blocks.block(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    for instance, name in ((a, "alice"), (b, "bob")):
        assert await _relations(instance, name) == follows.Relationships([], [], [], [])
    with pytest.raises(NotFound, match="does not appear to exist"):
        await _post(a, "alice", alice_id, "hi", in_reply_to=root.uri)
    with pytest.raises(Conflict):
        await follows.follow(a.services, "alice", b.handle("bob"))


async def test_local_blocks_and_refusals(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    carol = await a.add_user("carol")
    await follows.follow(a.services, "carol", "alice@" + a.domain)
    root = await _post(a, "alice", alice.account_id, "Mine")
    await blocks.block(a.services, "alice", "carol")
    await blocks.block(a.services, "alice", "carol")  # again: nothing changes
    assert await _relations(a, "carol") == follows.Relationships([], [], [], [])
    # local: nothing federates
    assert [o.body["type"] for o in await _rows(a, OutgoingActivity)] == ["Create"]
    with pytest.raises(NotFound, match="does not appear to exist"):
        await _post(a, "carol", carol.account_id, "hey", in_reply_to=str(root.id))
    with pytest.raises(ServiceError, match="itself"):
        await blocks.block(a.services, "alice", "alice")
    with pytest.raises(NotFound):
        await blocks.block(a.services, "alice", "nobody")
    with pytest.raises(NotFound):
        await blocks.unblock(a.services, "carol", "alice")
    await blocks.unblock(a.services, "alice", "carol")
    await _post(a, "carol", carol.account_id, "hey", in_reply_to=str(root.id))
    assert len((await timelines.thread(a.services, root.id)).descendants) == 1
    accounts = await _rows(a, Account)
    assert all(acc.username != "nobody" for acc in accounts)
