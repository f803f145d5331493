"""Lists through the client API: create, read, update, delete (only one's own), members (only
followed accounts), the list timeline with its replies policy, exclusive lists leaving home,
and Mastodon.py's list calls."""

from __future__ import annotations

import asyncio

from aiohttp import FormData

from server.services.social import follows
from tests.api.harness import Api
from tests.api.social_helpers import follow, post
from tests.api.test_timelines import ids


async def test_lists_crud_and_members_are_the_owners_alone(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    bob_token = await api.user("bob", scopes="read write")
    await api.user("carol")
    await follow(api, "alice", "bob")

    made = await api.post("/api/v1/lists", token=token,
                          json={"title": "Artists", "replies_policy": "followed"})
    assert made.status == 200, made.body
    list_id = made.body["id"]
    assert made.body == {"id": list_id, "title": "Artists", "replies_policy": "followed",
                         "exclusive": False}
    assert (await api.get("/api/v1/lists", token=token)).body == [made.body]
    assert (await api.get(f"/api/v1/lists/{list_id}", token=token)).body == made.body
    changed = await api.put(f"/api/v1/lists/{list_id}", token=token,
                            data={"title": "Painters", "exclusive": "true"})
    assert changed.body == {"id": list_id, "title": "Painters", "replies_policy": "followed",
                            "exclusive": True}

    # Someone else's list is not there at all.
    for method in ("get", "put", "delete"):
        assert (await getattr(api, method)(f"/api/v1/lists/{list_id}", token=bob_token)
                ).status == 404
    assert (await api.get(f"/api/v1/lists/{list_id}/accounts", token=bob_token)).status == 404
    assert (await api.get("/api/v1/lists", token=bob_token)).body == []
    refused = await api.post("/api/v1/lists", token=token, json={"title": "  "})
    assert refused.status == 422 and "Title" in refused.body["error"]
    assert (await api.post("/api/v1/lists", token=token,
                           json={"title": "x", "replies_policy": "everyone"})).status == 422
    reader = await api.user("alice", scopes="read")
    assert (await api.post("/api/v1/lists", token=reader, json={"title": "x"})).status == 403

    # Members: only followed accounts (and oneself).
    form = FormData([("account_ids[]", api.account_id("bob")),
                     ("account_ids[]", api.account_id("alice"))])
    added = await api.post(f"/api/v1/lists/{list_id}/accounts", token=token, data=form)
    assert added.status == 200 and added.body == {}
    stranger = await api.post(f"/api/v1/lists/{list_id}/accounts", token=token,
                              json={"account_ids": [api.account_id("carol")]})
    assert stranger.status == 404
    members = await api.get(f"/api/v1/lists/{list_id}/accounts", token=token)
    assert sorted(ids(members)) == sorted([api.account_id("bob"), api.account_id("alice")])
    one = await api.get(f"/api/v1/lists/{list_id}/accounts", token=token, params={"limit": 1})
    assert len(one.body) == 1 and "Link" in one.headers
    everyone = await api.get(f"/api/v1/lists/{list_id}/accounts", token=token,
                             params={"limit": 0})
    assert len(everyone.body) == 2 and "Link" not in everyone.headers
    holding = await api.get(f"/api/v1/accounts/{api.account_id('bob')}/lists", token=token)
    assert [row["id"] for row in holding.body] == [list_id]

    removed = await api.delete(f"/api/v1/lists/{list_id}/accounts", token=token,
                               params={"account_ids[]": api.account_id("bob")})
    assert removed.status == 200
    assert ids(await api.get(f"/api/v1/lists/{list_id}/accounts", token=token)) \
        == [api.account_id("alice")]

    gone = await api.delete(f"/api/v1/lists/{list_id}", token=token)
    assert gone.status == 200 and gone.body == {}
    assert (await api.get(f"/api/v1/lists/{list_id}", token=token)).status == 404


async def test_the_list_timeline_its_replies_policy_and_exclusive_lists(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    for name in ("bob", "carol", "dave"):
        await api.user(name)
    await follow(api, "alice", "bob")
    await follow(api, "alice", "carol")
    made = await api.post("/api/v1/lists", token=token, json={"title": "Bob"})
    list_id = made.body["id"]
    assert made.body["replies_policy"] == "list"  # Mastodon's default
    await api.post(f"/api/v1/lists/{list_id}/accounts", token=token,
                   json={"account_ids": [api.account_id("bob")]})

    by_bob = await post(api, "bob", "a tower")
    by_carol = await post(api, "carol", "a bridge")
    by_dave = await post(api, "dave", "a stranger's harbour")
    to_carol = await post(api, "bob", "nice bridge", in_reply_to=by_carol, text_only=True)
    to_dave = await post(api, "bob", "nice harbour", in_reply_to=by_dave, text_only=True)
    mine = await post(api, "alice", "my own")
    to_alice = await post(api, "bob", "nice one", in_reply_to=mine, text_only=True)
    path = f"/api/v1/timelines/list/{list_id}"

    # "list": replies to members only (and to the owner).
    assert ids(await api.get(path, token=token)) == [str(to_alice), str(by_bob)]
    # "followed": replies to anyone alice follows.
    await api.put(f"/api/v1/lists/{list_id}", token=token, json={"replies_policy": "followed"})
    assert ids(await api.get(path, token=token)) == [str(to_alice), str(to_carol), str(by_bob)]
    # "none": no replies to others.
    await api.put(f"/api/v1/lists/{list_id}", token=token, json={"replies_policy": "none"})
    assert ids(await api.get(path, token=token)) == [str(to_alice), str(by_bob)]
    assert str(to_dave) not in ids(await api.get(path, token=token))

    home = await api.get("/api/v1/timelines/home", token=token)
    assert str(by_bob) in ids(home) and str(by_carol) in ids(home)
    # Exclusive: bob's posts now show in the list only.
    await api.put(f"/api/v1/lists/{list_id}", token=token, json={"exclusive": True})
    home = await api.get("/api/v1/timelines/home", token=token)
    assert str(by_bob) not in ids(home) and str(to_alice) not in ids(home)
    assert str(by_carol) in ids(home) and str(mine) in ids(home)
    assert str(by_bob) in ids(await api.get(path, token=token))

    # Another's list timeline is not there; the list scope is needed.
    other = await api.user("carol", scopes="read")
    assert (await api.get(path, token=other)).status == 404
    assert (await api.get(path, token=await api.user("alice", scopes="read:statuses"))
            ).status == 403

    # Unfollowing bob takes him out of the list (as Mastodon does).
    await follows.unfollow(api.instance.services, "alice", f"bob@{api.instance.domain}")
    assert (await api.get(path, token=token)).body == []
    assert (await api.get(f"/api/v1/lists/{list_id}/accounts", token=token)).body == []


async def test_mastodon_py_lists(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    await api.user("bob")
    await follow(api, "alice", "bob")
    by_bob = await post(api, "bob", "a garden")
    client = api.mastodon(token)
    made = await asyncio.to_thread(client.list_create, "Friends")
    assert made.title == "Friends"
    await asyncio.to_thread(client.list_accounts_add, made.id, [api.account_id("bob")])
    members = await asyncio.to_thread(client.list_accounts, made.id)
    assert [a.acct for a in members] == ["bob"]
    timeline = await asyncio.to_thread(client.timeline_list, made.id)
    assert [str(s.id) for s in timeline] == [str(by_bob)]
    renamed = await asyncio.to_thread(client.list_update, made.id, title="Pals")
    assert renamed.title == "Pals"
    assert [lst.title for lst in await asyncio.to_thread(client.lists)] == ["Pals"]
    await asyncio.to_thread(client.list_accounts_delete, made.id, [api.account_id("bob")])
    assert await asyncio.to_thread(client.list_accounts, made.id) == []
    await asyncio.to_thread(client.list_delete, made.id)
    assert await asyncio.to_thread(client.lists) == []
