"""Streams of many viewers at once: one event is routed for all of them together, and each
still gets exactly what its own timeline shows (its own favourites, its own filters), plus
the events that remove what streams showed: deletes of boosted posts and of a deleted
account's posts, and the direct stream's conversations."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession

from server import appkeys
from server.services.accounts import account_deletion
from storage import timeline_reach as reach
from storage import timelines as queries
from storage.timelines import PublicOptions
from tests.api.harness import Api
from tests.api.test_streaming import _message, _open, _post, _quiet


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def _follow(api: Api, token: str, target: str) -> None:
    answer = await api.post(f"/api/v1/accounts/{api.account_id(target)}/follow", token=token)
    assert answer.status == 200, answer.body


async def test_each_viewer_gets_its_own_view(api: Api, http: ClientSession) -> None:
    bob = await api.user("bob")
    dave = await api.user("dave")
    alice = await api.user("alice")
    carol = await api.user("carol")
    erin = await api.user("erin")
    frank = await api.user("frank")
    for viewer in (alice, carol, erin):
        await _follow(api, viewer, "bob")
    original = await _post(api, dave, "dave", status="a secret lighthouse")
    assert (await api.post(f"/api/v1/statuses/{original['id']}/favourite",
                           token=alice)).status == 200
    hide = await api.post("/api/v2/filters", token=erin, json={
        "title": "Secrets", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "secret"}]})
    assert hide.status == 200, hide.body
    streams = {name: await _open(http, api.instance, token, {"stream": "user"})
               for name, token in (("alice", alice), ("alice-2", alice), ("carol", carol),
                                   ("erin", erin), ("frank", frank))}

    boost = await api.post(f"/api/v1/statuses/{original['id']}/reblog", token=bob)
    assert boost.status == 200, boost.body
    seen = {}
    for name in ("alice", "alice-2", "carol"):
        got = await _message(streams[name])
        assert (got["stream"], got["event"]) == (["user"], "update")
        seen[name] = json.loads(got["payload"])
        assert seen[name]["id"] == boost.body["id"]
    # her favourite shows on both of alice's streams, and on no one else's
    assert seen["alice"]["reblog"]["favourited"] is True
    assert seen["alice-2"]["reblog"]["favourited"] is True
    assert seen["carol"]["reblog"]["favourited"] is False
    await _quiet(streams["erin"])  # hidden by her filter
    await _quiet(streams["frank"])  # follows nobody
    for ws in streams.values():
        await ws.close()


async def test_deletes_reach_boosts_and_a_deleted_accounts_posts(api: Api,
                                                                 http: ClientSession) -> None:
    bob = await api.user("bob")
    carol = await api.user("carol")
    alice = await api.user("alice")
    await _follow(api, alice, "carol")
    await _follow(api, alice, "bob")
    ws = await _open(http, api.instance, alice, {"stream": "user"})

    post = await _post(api, bob, "bob", status="a lighthouse", visibility="unlisted")
    assert json.loads((await _message(ws))["payload"])["id"] == post["id"]
    boost = await api.post(f"/api/v1/statuses/{post['id']}/reblog", token=carol)
    assert json.loads((await _message(ws))["payload"])["id"] == boost.body["id"]

    # the boosted post goes: so does the boost, which clients show under its own id
    assert (await api.delete(f"/api/v1/statuses/{post['id']}", token=bob)).status == 200
    deleted = {(await _message(ws))["payload"] for _ in range(2)}
    assert deleted == {post["id"], boost.body["id"]}
    await _quiet(ws)

    # a deleted account's posts go from the streams of those who saw them
    private = await _post(api, bob, "bob", status="for friends", visibility="private")
    assert json.loads((await _message(ws))["payload"])["id"] == private["id"]
    later = await _post(api, bob, "bob", status="another")
    assert json.loads((await _message(ws))["payload"])["id"] == later["id"]
    await account_deletion.delete_local_account(api.instance.services, "bob")
    gone = {(await _message(ws))["payload"] for _ in range(1)}
    # the public one reaches every home stream; the followers-only one needed the follow,
    # which went with the account
    assert gone == {later["id"]}
    await ws.close()


async def test_direct_stream_carries_conversations(api: Api, http: ClientSession) -> None:
    bob = await api.user("bob")
    alice = await api.user("alice")
    ws = await _open(http, api.instance, alice, {"stream": "direct"})
    sent = await _post(api, bob, "bob", status="@alice just for you", visibility="direct")
    got = await _message(ws)
    assert (got["stream"], got["event"]) == (["direct"], "conversation")
    conversation = json.loads(got["payload"])
    assert conversation["unread"] is True
    assert conversation["last_status"]["id"] == sent["id"]
    assert [a["username"] for a in conversation["accounts"]] == ["bob"]
    listed = await api.get("/api/v1/conversations", token=alice)
    assert listed.body[0]["id"] == conversation["id"]

    # the same stream over server-sent events
    url = f"{api.base}/api/v1/streaming/direct"
    async with http.get(url, headers={"Authorization": f"Bearer {alice}"}) as resp:
        assert resp.status == 200
        assert await resp.content.readline() == b":)\n"
        read = await api.post(f"/api/v1/conversations/{conversation['id']}/read",
                              token=alice)
        assert read.status == 200
        assert await resp.content.readline() == b"event: conversation\n"
        data = json.loads((await resp.content.readline()).decode().removeprefix("data: "))
        assert data["id"] == conversation["id"] and data["unread"] is False
    await ws.close()


async def test_a_streamed_quote_carries_its_quoted_post(api: Api, http: ClientSession) -> None:
    carol = await api.user("carol")
    bob = await api.user("bob")
    alice = await api.user("alice")
    await _follow(api, alice, "bob")
    original = await _post(api, carol, "carol", status="the first light")
    ws = await _open(http, api.instance, alice, {"stream": "user"})
    quote = await _post(api, bob, "bob", status="what a light",
                        quoted_status_id=original["id"])
    got = json.loads((await _message(ws))["payload"])
    assert got["id"] == quote["id"]
    assert got["quote"]["state"] == "accepted"
    assert got["quote"]["quoted_status"]["id"] == original["id"]
    await ws.close()


async def test_many_viewers_are_asked_exactly_as_each_timeline_would(api: Api) -> None:
    """The one statement that asks a timeline for a column of viewers (storage/
    timeline_reach.py) answers as each viewer's own page query does, across the relations
    that change the answer: follows, boosts turned off, mutes and blocks both ways, exclusive
    lists, private and direct posts, mentions."""
    users = {name: await api.user(name) for name in
             ("bob", "carol", "dave", "erin", "frank", "gina", "hal")}
    ids = {name: int(api.account_id(name)) for name in users}
    for viewer in ("carol", "dave", "erin", "frank", "gina"):
        await _follow(api, users[viewer], "bob")
    await _follow(api, users["hal"], "carol")
    answer = await api.post(f"/api/v1/accounts/{ids['bob']}/follow", token=users["frank"],
                            json={"reblogs": False})
    assert answer.status == 200, answer.body
    assert (await api.post(f"/api/v1/accounts/{ids['bob']}/mute",
                           token=users["dave"])).status == 200
    assert (await api.post(f"/api/v1/accounts/{ids['erin']}/block",
                           token=users["bob"])).status == 200
    listed = await api.post("/api/v1/lists", token=users["gina"],
                            json={"title": "Bob alone", "exclusive": True})
    assert (await api.post(f"/api/v1/lists/{listed.body['id']}/accounts", token=users["gina"],
                           json={"account_ids": [str(ids["bob"])]})).status == 200
    posts = [await _post(api, users["bob"], "bob", status="public"),
             await _post(api, users["bob"], "bob", status="followers", visibility="private"),
             await _post(api, users["bob"], "bob", status="@hal only", visibility="direct"),
             await _post(api, users["carol"], "carol", status="carol's")]
    boost = await api.post(f"/api/v1/statuses/{posts[3]['id']}/reblog", token=users["bob"])
    assert boost.status == 200, boost.body
    entries = [int(p["id"]) for p in posts] + [int(boost.body["id"])]
    viewers = list(ids.values())
    timelines = (queries.home_query, queries.federated_query,
                 lambda v: queries.federated_query(v, PublicOptions(local=True)))
    async with api.instance.app[appkeys.DATABASE].reader() as session:
        for timeline in timelines:
            for entry in entries:
                each = {v for v in viewers
                        if await reach.includes(session, timeline(v), entry)}
                assert await reach.viewers_holding(session, timeline, viewers, entry) == each
        home = {entry: await reach.viewers_holding(session, queries.home_query, viewers, entry)
                for entry in entries}
        lists = {entry: await reach.lists_holding(session, [int(listed.body["id"])], entry)
                 for entry in entries}
    # the relations did matter: dave muted bob, erin is blocked, gina reads bob in a list,
    # frank turned bob's boosts off; a direct post is no follower's (hal follows only carol)
    assert home[entries[0]] == {ids["bob"], ids["carol"], ids["frank"]}
    assert home[entries[2]] == {ids["bob"]}
    # bob's boost of carol's post: carol is not shown boosts of her own posts
    assert home[entries[4]] == {ids["bob"]}
    assert lists[entries[0]] == {int(listed.body["id"])}
