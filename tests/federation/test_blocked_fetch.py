"""An account a local author blocks cannot read the author's posts by signing its fetches:
the post answers 404 as if it did not exist, and the outbox pages are empty, as Mastodon's
StatusPolicy#show? and Status.permitted_for. A signed fetch from a server this instance
suspends answers 404 too. Two Dreamfeed instances on loopback, real signatures."""

from __future__ import annotations

from server.services.moderation import domain_blocks
from server.services.social import blocks
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.interactions_helpers import fetch_as


async def test_a_blocked_account_gets_404_for_the_blockers_posts(
        start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    await b.add_user("carol")
    media = await a.make_images(alice.account_id, "a lighthouse")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Beam"))
    outbox_page = f"{a.actor('alice')}/outbox?page=true"
    assert (await fetch_as(b, "bob", view.uri))[0] == 200  # known to a before the block

    await blocks.block(a.services, "alice", b.handle("bob"))
    assert (await fetch_as(b, "bob", view.uri))[0] == 404
    assert (await fetch_as(b, "bob", f"{view.uri}/activity"))[0] == 404
    assert (await fetch_as(b, "bob", f"{view.uri}/likes"))[0] == 404
    status, page = await fetch_as(b, "bob", outbox_page)
    assert status == 200 and page["orderedItems"] == []
    # Anyone else, signed or not, still reads it.
    assert (await fetch_as(b, "carol", view.uri))[0] == 200
    assert (await fetch_as(b, None, view.uri))[0] == 200
    status, page = await fetch_as(b, "carol", outbox_page)
    assert [item["object"]["id"] for item in page["orderedItems"]] == [view.uri]

    await blocks.unblock(a.services, "alice", b.handle("bob"))
    assert (await fetch_as(b, "bob", view.uri))[0] == 200


async def test_a_suspended_servers_signed_fetch_gets_404(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("carol")
    media = await a.make_images(alice.account_id, "a lighthouse")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Beam"))
    assert (await fetch_as(b, "carol", view.uri))[0] == 200

    await domain_blocks.block_domain(a.services, b.domain, severity="suspend")
    assert (await fetch_as(b, "carol", view.uri))[0] == 404
    assert (await fetch_as(b, "carol", f"{a.actor('alice')}/outbox?page=true"))[0] == 404
