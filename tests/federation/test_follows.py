"""Two Dreamfeed instances follow each other over real HTTP, signatures and deliveries."""

from __future__ import annotations

from sqlalchemy import update

from server import appkeys
from server.services.social import follows
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.harness import settle


async def test_follow_both_ways_and_unfollow(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    await b.add_user("bob")

    result = await follows.follow(a.services, "alice", b.handle("bob"))
    assert result.state == "pending" and result.target == b.actor("bob")
    await settle([a, b])
    assert (await follows.relationships(b.services, "bob")).followers == [a.handle("alice")]
    assert (await follows.relationships(a.services, "alice")).following == [b.handle("bob")]

    await follows.follow(b.services, "bob", a.actor("alice"))  # by URL this time
    await settle([a, b])
    assert (await follows.relationships(a.services, "alice")).followers == [b.handle("bob")]

    await follows.unfollow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    assert (await follows.relationships(b.services, "bob")).followers == []
    assert (await follows.relationships(a.services, "alice")).following == []
    # bob still follows alice
    assert (await follows.relationships(b.services, "bob")).following == [a.handle("alice")]


async def test_locked_account_approves_by_hand(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    bob = await b.add_user("bob")
    async with b.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == bob.account_id)
                              .values(manually_approves_followers=True))

    await follows.follow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    assert (await follows.relationships(b.services, "bob")).requests == [a.handle("alice")]
    assert (await follows.relationships(a.services, "alice")).requested == [b.handle("bob")]

    await follows.answer_request(b.services, "bob", a.handle("alice"), approve=True)
    await settle([a, b])
    assert (await follows.relationships(a.services, "alice")).following == [b.handle("bob")]
    assert (await follows.relationships(b.services, "bob")).followers == [a.handle("alice")]


async def test_rejected_request_is_removed_on_both_sides(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    bob = await b.add_user("bob")
    async with b.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == bob.account_id)
                              .values(manually_approves_followers=True))
    await follows.follow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    await follows.answer_request(b.services, "bob", a.handle("alice"), approve=False)
    await settle([a, b])
    assert (await follows.relationships(a.services, "alice")).requested == []
    assert (await follows.relationships(b.services, "bob")).requests == []
