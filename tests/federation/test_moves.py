"""Account migration both ways: a local account moving out (its followers here and on other
servers follow the new account), a remote account moving in to a local one, and Moves that
must be dropped (a target that does not list the origin, an actor moving someone else)."""

from __future__ import annotations

import aiohttp
import pytest

from server import appkeys
from server.services.accounts import moves
from server.services.errors import Conflict
from server.services.social import blocks, follows, mutes
from server.services.statuses import posts
from storage import accounts as account_queries
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, TestResolver, settle
from tests.federation.interactions_helpers import alice_follows, send

AP = "application/activity+json"


async def _account(instance: Instance, uri: str) -> Account:
    async with instance.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    assert account is not None
    return account


async def _following(instance: Instance, username: str) -> list[str]:
    return (await follows.relationships(instance.services, username)).following


async def _actor_doc(uri: str) -> dict[str, object]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(
            resolver=TestResolver())) as http, http.get(uri, headers={"Accept": AP}) as response:
        assert response.status == 200
        doc: dict[str, object] = await response.json(content_type=None)
        return doc


async def test_local_account_moves_out(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    old = await a.add_user("alice")
    await b.add_user("alice2")
    await a.add_user("carol")  # follows the old account on its own instance
    await b.add_user("dave")   # follows it from the new account's instance
    await follows.follow(a.services, "carol", a.handle("alice"))
    await follows.follow(b.services, "dave", a.handle("alice"))
    await settle([a, b])

    # Without the alias on the new account the move is refused, clearly.
    with pytest.raises(Conflict, match="alsoKnownAs"):
        await moves.move_account(a.services, "alice", b.handle("alice2"))

    aliases = await moves.add_alias(b.services, "alice2", a.handle("alice"))
    assert aliases.also_known_as == [old.actor_uri]
    assert (await _actor_doc(b.actor("alice2")))["alsoKnownAs"] == [old.actor_uri]

    result = await moves.move_account(a.services, "alice", b.handle("alice2"))
    assert result.target == b.actor("alice2") and result.local_followers == 1
    await settle([a, b])

    assert (await _actor_doc(old.actor_uri))["movedTo"] == b.actor("alice2")
    assert await _following(a, "carol") == [b.handle("alice2")]
    assert await _following(b, "dave") == [b.handle("alice2")]
    assert sorted((await follows.relationships(b.services, "alice2")).followers) == \
        sorted([a.handle("carol"), b.handle("dave")])
    assert (await follows.relationships(a.services, "alice")).followers == []
    origin_on_b = await _account(b, old.actor_uri)
    assert origin_on_b.moved_to_uri == b.actor("alice2")

    media = await a.make_images(old.account_id, "a farewell")
    with pytest.raises(Conflict, match="moved"):
        await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=media))

    # The same Move again changes nothing.
    await moves.move_account(a.services, "alice", b.handle("alice2"))
    await settle([a, b])
    assert await _following(b, "dave") == [b.handle("alice2")]


async def test_remote_account_moves_in(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await b.add_user("bob")
    await a.add_user("bob2")
    await a.add_user("carol")
    await a.add_user("dave")
    await a.add_user("erin")
    await follows.follow(a.services, "carol", b.handle("bob"))
    await blocks.block(a.services, "dave", b.handle("bob"))
    await mutes.mute(a.services, "erin", b.handle("bob"), notifications=False)
    await settle([a, b])

    await moves.add_alias(a.services, "bob2", b.handle("bob"))
    assert (await moves.list_aliases(a.services, "bob2")).also_known_as == [b.actor("bob")]
    await moves.move_account(b.services, "bob", a.handle("bob2"))
    await settle([a, b])

    assert await _following(a, "carol") == [a.handle("bob2")]
    assert (await follows.relationships(b.services, "bob")).followers == []
    origin = await _account(a, b.actor("bob"))
    target = await _account(a, a.actor("bob2"))
    assert origin.moved_to_account_id == target.id
    # Blocks and mutes of the old account carry over to the new one (MoveWorker).
    assert sorted(v.uri for v in await blocks.list_blocks(a.services, "dave")) == \
        sorted([b.actor("bob"), a.actor("bob2")])
    erin_mutes = {v.uri: v.hide_notifications
                  for v in await mutes.list_mutes(a.services, "erin")}
    assert erin_mutes == {b.actor("bob"): False, a.actor("bob2"): False}

    removed = await moves.remove_alias(a.services, "bob2", b.actor("bob"))
    assert removed.also_known_as == []


async def test_move_to_a_target_without_the_alias_is_dropped(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    await a.add_user("stranger")
    old = masto.add_actor("old")
    new = masto.add_actor("new")  # its actor document lists no alsoKnownAs
    await alice_follows(a, masto, old)

    for target in (new.id, a.actor("stranger")):
        row = await send(masto, old, a, old.activity("Move", old.id, target=target))
        assert row.state == "ignored" and "alsoKnownAs" in (row.error or ""), row.error
    # Someone moving another account is dropped without looking further.
    row = await send(masto, new, a, new.activity("Move", old.id, target=new.id),
                     f"{a.actor('alice')}/inbox")
    assert row.state == "ignored" and "only move itself" in (row.error or ""), row.error
    assert await _following(a, "alice") == [old.handle]
    assert (await _account(a, old.id)).moved_to_uri is None
