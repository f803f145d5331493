"""How far a user's domain block reaches in the client API, as in Mastodon: a thread's context
(/api/v1/statuses/:id/context) leaves out the blocked server's posts around the one opened
(its context filters with StatusFilter), while the post opened stays and replies under a
left-out one still show; who liked or boosted a post still lists the server's accounts
(favourited_by and reblogged_by leave out blocked and muted accounts only); account search
still finds them (AccountSearchService filters neither). Direct messages are in
tests/federation/test_domain_blocks_user.py, the post page in
tests/web/test_domain_blocks_post_page.py."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from server import appkeys
from storage.ids import new_id
from storage.models import Favourite, Status
from tests.api.harness import Api
from tests.api.social_helpers import Remote, post


async def reply_to(api: Api, status_id: int, parent_id: int, parent_author: int) -> None:
    """Make a stored status a reply to another (as its Note's inReplyTo would)."""
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Status).where(Status.id == status_id).values(
            in_reply_to_id=parent_id, in_reply_to_account_id=parent_author))


async def like_and_boost(api: Api, remote: Remote, status_id: int) -> None:
    """`remote` likes and boosts the status (rows, as their Like and Announce would)."""
    boost_id = new_id()
    uri = f"https://{remote.domain}/users/{remote.username}/statuses/{boost_id}/activity"
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        session.add_all([
            Favourite(account_id=remote.id, status_id=status_id),
            Status(id=boost_id, uri=uri, account_id=remote.id, local=False,
                   visibility="public", content="", reblog_of_id=status_id)])


async def test_a_thread_leaves_out_the_blocked_servers_posts(api: Api) -> None:
    token = await api.user("alice")
    client = api.mastodon(token)
    alice = int(api.account_id("alice"))
    wolf = await Remote(api, "wolf", "evil.test").create()
    fox = await Remote(api, "fox", "fine.test").create()
    mine = await post(api, "alice", "a lantern by the lake")
    howl = await wolf.status("a howl at the lantern")
    await reply_to(api, howl, mine, alice)
    bark = await fox.status("a bark at the howl")  # under wolf's reply
    await reply_to(api, bark, howl, wolf.id)
    yip = await fox.status("a yip at the lantern")
    await reply_to(api, yip, mine, alice)

    async def context(status_id: int) -> tuple[list[int], list[int]]:
        found = await asyncio.to_thread(client.status_context, status_id)
        return ([int(s["id"]) for s in found["ancestors"]],
                [int(s["id"]) for s in found["descendants"]])

    assert await context(mine) == ([], [howl, yip, bark])
    assert await context(bark) == ([mine, howl], [])

    await asyncio.to_thread(client.domain_block, "evil.test")
    # Each post is screened alone, as Mastodon's StatusFilter does: fox's answer to wolf
    # stays, only wolf's post goes.
    assert await context(mine) == ([], [yip, bark])
    assert await context(bark) == ([mine], [])
    # The post opened itself is still there, with its thread around it.
    opened = await api.get(f"/api/v1/statuses/{howl}/context", token=token)
    assert opened.status == 200
    assert [int(s["id"]) for s in opened.body["ancestors"]] == [mine]
    assert [int(s["id"]) for s in opened.body["descendants"]] == [bark]
    # Nobody else's view changes, a visitor's neither.
    other = api.mastodon(await api.user("carol"))
    assert [int(s["id"]) for s in (await asyncio.to_thread(
        other.status_context, mine))["descendants"]] == [howl, yip, bark]
    visitor = await api.get(f"/api/v1/statuses/{mine}/context")
    assert [int(s["id"]) for s in visitor.body["descendants"]] == [howl, yip, bark]

    await asyncio.to_thread(client.domain_unblock, "evil.test")
    assert await context(mine) == ([], [howl, yip, bark])


async def test_likers_boosters_and_account_search_keep_the_blocked_server(api: Api) -> None:
    token = await api.user("alice")
    client = api.mastodon(token)
    wolf = await Remote(api, "wolf", "evil.test").create()
    fox = await Remote(api, "fox", "fine.test").create()
    mine = await post(api, "alice", "a lantern by the lake")
    for remote in (wolf, fox):
        await like_and_boost(api, remote, mine)
    await asyncio.to_thread(client.domain_block, "evil.test")

    liked = await asyncio.to_thread(client.status_favourited_by, mine)
    boosted = await asyncio.to_thread(client.status_reblogged_by, mine)
    assert sorted(a["acct"] for a in liked) == ["fox@fine.test", "wolf@evil.test"]
    assert sorted(a["acct"] for a in boosted) == ["fox@fine.test", "wolf@evil.test"]
    found = await api.get("/api/v2/search", token=token,
                          params={"q": "wolf", "type": "accounts"})
    assert [a["acct"] for a in found.body["accounts"]] == ["wolf@evil.test"]
    [rel] = await asyncio.to_thread(client.account_relationships, wolf.id)
    assert rel["domain_blocking"] is True
