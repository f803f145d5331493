"""A user's own domain blocks through the client API (Mastodon's /api/v1/domain_blocks): block,
list with Link pagination, unblock, with Mastodon.py and by hand; the domain as Mastodon
normalises it, the user's own server refused; scopes; the Relationship's domain_blocking;
and what a block hides: the server's posts and boosts of them from home and the public and
hashtag timelines, its posts from search, its notifications. Not the instance's domain blocks
(tests/federation/test_domain_blocks.py)."""

from __future__ import annotations

import asyncio

from server import appkeys
from server.services.social import notifications
from tests.api.harness import Api
from tests.api.social_helpers import Remote, boost, follow, post
from tests.api.test_timelines import ids, links


async def test_block_list_and_unblock_with_mastodon_py(api: Api) -> None:
    token = await api.user("alice")
    client = api.mastodon(token)
    assert await asyncio.to_thread(client.domain_blocks) == []
    # Typed any way: a scheme, a path, capitals, a trailing dot, a non-ASCII name (IDNA).
    for typed in ("https://Evil.TEST/@wolf", "spam.test.", "bücher.test"):
        await asyncio.to_thread(client.domain_block, typed)
    await asyncio.to_thread(client.domain_block, "evil.test")  # again: nothing changes
    assert await asyncio.to_thread(client.domain_blocks) == \
        ["xn--bcher-kva.test", "spam.test", "evil.test"]
    await asyncio.to_thread(client.domain_unblock, "SPAM.test")
    await asyncio.to_thread(client.domain_unblock, "never-blocked.test")  # no error
    assert await asyncio.to_thread(client.domain_blocks) == ["xn--bcher-kva.test", "evil.test"]

    # Paged newest first by Link, 100 by default, 200 at most; Mastodon.py follows the links.
    for n in range(3):
        await asyncio.to_thread(client.domain_block, f"more{n}.test")
    first = await api.get("/api/v1/domain_blocks", token=token, params={"limit": 2})
    assert first.status == 200 and first.body == ["more2.test", "more1.test"]
    older = await api.get(links(first)["next"], token=token)
    assert older.body == ["more0.test", "xn--bcher-kva.test"]
    newer = await api.get(links(older)["prev"], token=token)
    assert newer.body == ["more2.test", "more1.test"]
    assert (await api.get("/api/v1/domain_blocks", token=token, params={"limit": 999})
            ).body == ["more2.test", "more1.test", "more0.test", "xn--bcher-kva.test",
                       "evil.test"]
    page = await asyncio.to_thread(client.domain_blocks, limit=2)
    following = await asyncio.to_thread(client.fetch_next, page)
    assert list(following or []) == ["more0.test", "xn--bcher-kva.test"]


async def test_form_json_and_query_parameters_and_refusals(api: Api) -> None:
    token = await api.user("alice")
    blocked = await api.post("/api/v1/domain_blocks", token=token, data={"domain": "a.test"})
    assert blocked.status == 200 and blocked.body == {}
    assert (await api.post("/api/v1/domain_blocks", token=token,
                           json={"domain": "b.test"})).body == {}
    assert (await api.delete("/api/v1/domain_blocks", token=token,
                             params={"domain": "a.test"})).body == {}
    assert (await api.delete("/api/v1/domain_blocks", token=token,
                             json={"domain": "b.test"})).body == {}
    assert (await api.get("/api/v1/domain_blocks", token=token)).body == []

    # The user's own server, nothing, and what is no domain name: 422 with Mastodon's Error.
    for refused in (api.instance.domain, f"https://{api.instance.domain}/@bob", "", "a b.test",
                    "under_score!.test"):
        answer = await api.post("/api/v1/domain_blocks", token=token, json={"domain": refused})
        assert answer.status == 422, (refused, answer.body)
        assert isinstance(answer.body["error"], str)
    own = await api.post("/api/v1/domain_blocks", token=token,
                         json={"domain": api.instance.domain})
    assert "own domain" in own.body["error"]

    # Scopes: read:blocks / write:blocks, their parents, and the legacy follow.
    for scopes, may_read, may_write in (("read", True, False), ("write", False, True),
                                        ("read:blocks", True, False),
                                        ("write:blocks", False, True), ("follow", True, True),
                                        ("read:accounts write:mutes", False, False)):
        narrow = await api.user("alice", scopes=scopes)
        read = await api.get("/api/v1/domain_blocks", token=narrow)
        write = await api.post("/api/v1/domain_blocks", token=narrow, json={"domain": "c.test"})
        unblock = await api.delete("/api/v1/domain_blocks", token=narrow,
                                   params={"domain": "c.test"})
        assert (read.status == 200) is may_read, scopes
        assert (write.status == 200) is may_write and (unblock.status == 200) is may_write
        assert read.status in (200, 403) and write.status in (200, 403), scopes
    assert (await api.get("/api/v1/domain_blocks")).status == 401
    app = await api.app_token(scopes="read write follow")
    assert (await api.get("/api/v1/domain_blocks", token=app)).status == 422


async def test_relationship_says_domain_blocking(api: Api) -> None:
    token = await api.user("alice")
    await api.user("bob")
    wolf = await Remote(api, "wolf", "evil.test").create()
    fox = await Remote(api, "fox", "fine.test").create()
    await api.post("/api/v1/domain_blocks", token=token, json={"domain": "evil.test"})
    answer = await api.get("/api/v1/accounts/relationships", token=token, params=[
        ("id[]", str(wolf.id)), ("id[]", str(fox.id)), ("id[]", api.account_id("bob"))])
    assert [(r["id"], r["domain_blocking"]) for r in answer.body] == [
        (str(wolf.id), True), (str(fox.id), False), (api.account_id("bob"), False)]
    client = api.mastodon(token)
    [rel] = await asyncio.to_thread(client.account_relationships, wolf.id)
    assert rel["domain_blocking"] is True
    await asyncio.to_thread(client.domain_unblock, "evil.test")
    [rel] = await asyncio.to_thread(client.account_relationships, wolf.id)
    assert rel["domain_blocking"] is False


async def test_a_blocked_server_leaves_timelines_search_and_notifications(api: Api) -> None:
    token = await api.user("alice")
    await api.user("carol")
    await follow(api, "alice", "carol")
    wolf = await Remote(api, "wolf", "evil.test").create()
    fox = await Remote(api, "fox", "fine.test").create()
    howl = await wolf.status("a moonlit howl #night", tags=["night"], image=True)
    bark = await fox.status("a moonlit bark #night", tags=["night"], image=True)
    carols = await post(api, "carol", "a moonlit garden")
    carol_boosts_wolf = await boost(api, "carol", howl)
    carol_boosts_fox = await boost(api, "carol", bark)
    mine = await post(api, "alice", "my moonlit tower")
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        assert await notifications.notify(session, int(api.account_id("alice")), wolf.id,
                                          notifications.FAVOURITE, mine)
        assert await notifications.notify(session, int(api.account_id("alice")), fox.id,
                                          notifications.FAVOURITE, mine)

    async def seen() -> dict[str, list[str]]:
        places = {"home": "/api/v1/timelines/home", "public": "/api/v1/timelines/public",
                  "tag": "/api/v1/timelines/tag/night", "notifications": "/api/v1/notifications"}
        found = {name: ids(await api.get(path, token=token)) for name, path in places.items()}
        search = await api.get("/api/v2/search", token=token,
                               params={"q": "moonlit", "type": "statuses"})
        found["search"] = [s["id"] for s in search.body["statuses"]]
        return found

    before = await seen()
    assert before["home"] == [str(i) for i in (mine, carol_boosts_fox, carol_boosts_wolf,
                                               carols)]
    assert str(howl) in before["public"] and str(howl) in before["tag"]
    assert str(howl) in before["search"] and len(before["notifications"]) == 2

    await api.post("/api/v1/domain_blocks", token=token, json={"domain": "evil.test"})
    after = await seen()
    assert after["home"] == [str(i) for i in (mine, carol_boosts_fox, carols)]
    assert str(howl) not in after["public"] and str(bark) in after["public"]
    assert after["tag"] == [str(bark)]
    assert str(howl) not in after["search"] and str(bark) in after["search"]
    [left] = (await api.get("/api/v1/notifications", token=token)).body
    assert left["account"]["id"] == str(fox.id)
    # No new notification from there either, and the profile still shows its posts (as
    # Mastodon's: a domain block is not an account block).
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        assert not await notifications.notify(session, int(api.account_id("alice")), wolf.id,
                                              notifications.MENTION, howl)
    profile = await api.get(f"/api/v1/accounts/{wolf.id}/statuses", token=token)
    assert ids(profile) == [str(howl)]
    # Someone else's views are untouched.
    other = await api.user("carol")
    assert str(howl) in ids(await api.get("/api/v1/timelines/public", token=other))

    await api.delete("/api/v1/domain_blocks", token=token, params={"domain": "evil.test"})
    back = await seen()
    assert back["home"] == before["home"] and back["public"] == before["public"]
    assert back["tag"] == before["tag"] and back["search"] == before["search"]
