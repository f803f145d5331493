"""followers, following and outbox as paged OrderedCollections (Mastodon's shape)."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import select

from server import appkeys
from server.services.errors import ServiceError
from server.services.social import follows
from server.services.statuses import boosts, posts
from storage.models import Account, Follow, Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle

AP = {"Accept": "application/activity+json"}


async def _get(instance: Instance, url: str) -> dict[str, object]:
    port = instance.domain.rpartition(":")[2]
    local = url.replace(instance.base, f"http://127.0.0.1:{port}")
    async with aiohttp.ClientSession() as session, session.get(local, headers=AP) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.headers["Content-Type"].startswith("application/activity+json")
        doc: dict[str, object] = await resp.json(content_type=None)
        return doc


async def test_follower_collections_page_through(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    names = [f"user{i}" for i in range(23)]
    for name in names:
        await a.add_user(name)
    bob = await b.add_user("bob")
    for name in names:
        await follows.follow(a.services, name, b.handle("bob"))
    await settle([a, b])

    collection = await _get(b, f"{b.actor('bob')}/followers")
    assert collection["type"] == "OrderedCollection"
    assert collection["id"] == f"{b.actor('bob')}/followers"
    assert collection["totalItems"] == 23
    seen: list[str] = []
    page_url = str(collection["first"])
    while page_url:
        page = await _get(b, page_url)
        assert page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == collection["id"]
        seen += page["orderedItems"]  # type: ignore[arg-type]
        page_url = str(page.get("next") or "")
    assert sorted(seen) == sorted(a.actor(n) for n in names)
    # newest follow first: in the order b applied them (a's deliveries go out side by side,
    # and b applies different actors' activities side by side)
    async with b.app[appkeys.DATABASE].reader() as session:
        applied = (await session.execute(
            select(Account.uri).join(Follow, Follow.account_id == Account.id)
            .where(Follow.target_account_id == bob.account_id)
            .order_by(Follow.id.desc()))).scalars().all()
    assert seen == list(applied)

    following = await _get(a, f"{a.actor('user0')}/following")
    assert following["totalItems"] == 1
    first = await _get(a, str(following["first"]))
    assert first["orderedItems"] == [b.actor("bob")]


async def test_outbox_lists_public_posts_as_create_activities(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Status(uri=f"{a.actor('alice')}/statuses/1", account_id=alice.account_id,
                           content="<p>hello</p>", visibility="public"))
        session.add(Status(uri=f"{a.actor('alice')}/statuses/2", account_id=alice.account_id,
                           content="<p>secret</p>", visibility="private"))
    outbox = await _get(a, f"{a.actor('alice')}/outbox")
    assert outbox["totalItems"] == 1
    page = await _get(a, str(outbox["first"]))
    [create] = page["orderedItems"]  # type: ignore[misc]
    assert create["type"] == "Create" and create["actor"] == a.actor("alice")
    note = create["object"]
    assert note["type"] == "Note" and note["content"] == "<p>hello</p>"
    assert note["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert note["cc"] == [f"{a.actor('alice')}/followers"]


async def test_collections_of_unknown_accounts_and_bad_pages(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    port = a.domain.rpartition(":")[2]
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/users/nobody/followers") as resp:
            assert resp.status == 404
        async with session.get(
                f"http://127.0.0.1:{port}/users/alice/followers?page=true&max_id=x") as resp:
            assert resp.status == 400


async def test_outbox_lists_boosts_as_announces(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    bob = await a.add_user("bob")
    media = await a.make_images(bob.account_id, "a lighthouse")
    public = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=media, caption="shine"))
    private = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=await a.make_images(bob.account_id, "a lamp"), caption="hush",
        visibility="private"))
    await boosts.boost(a.services, "alice", public.uri)
    await follows.follow(a.services, "alice", a.handle("bob"))
    with pytest.raises(ServiceError):  # a followers-only post cannot be boosted
        await boosts.boost(a.services, "alice", private.uri)
    outbox = await _get(a, f"{a.actor('alice')}/outbox")
    assert outbox["totalItems"] == 1
    page = await _get(a, str(outbox["first"]))
    [announce] = page["orderedItems"]  # type: ignore[misc]
    assert announce["type"] == "Announce" and announce["object"] == public.uri
    assert announce["actor"] == a.actor("alice") and announce["published"]
    assert announce["id"].endswith("/activity")

    # the boosted post deleted: the boost leaves the outbox
    await posts.delete_status(a.services, "bob", public.id)
    assert (await _get(a, f"{a.actor('alice')}/outbox"))["totalItems"] == 0
