"""Client API actions on statuses: favourite, boost, bookmark and pin (counts and the viewer's
flags in the answer, doing twice changes nothing), who favourited and boosted (Link
pagination), the viewer's bookmarks and favourites (paged by the bookmark or favourite, as
Mastodon pages them), through HTTP and through Mastodon.py."""

from __future__ import annotations

import asyncio
import re

from server.services.social import follows
from tests.api.harness import Api, ApiResponse


async def _post(api: Api, token: str, username: str, text: str,
                visibility: str = "public") -> dict[str, str]:
    account_id = api.users[username].account_id
    media = [str(i) for i in await api.instance.make_images(account_id, text)]
    answer = await api.post("/api/v1/statuses", token=token, data={
        "status": text, "media_ids[]": media, "visibility": visibility})
    assert answer.status == 200, answer.body
    body: dict[str, str] = answer.body
    return body


def _links(answer: ApiResponse) -> dict[str, str]:
    """rel -> the path and query of each Link."""
    found = re.findall(r'<https?://[^/>]+([^>]*)>; rel="(\w+)"', answer.headers.get("Link", ""))
    return {rel: url for url, rel in found}


async def test_favourite_boost_bookmark_and_who(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    carol = await api.user("carol")
    status = await _post(api, alice, "alice", "a red kite")
    sid = status["id"]

    for _ in range(2):  # twice: still one favourite
        liked = await api.post(f"/api/v1/statuses/{sid}/favourite", token=bob)
        assert liked.status == 200, liked.body
    assert liked.body["favourited"] is True and liked.body["favourites_count"] == 1
    await api.post(f"/api/v1/statuses/{sid}/favourite", token=carol)

    boosted = await api.post(f"/api/v1/statuses/{sid}/reblog", token=bob)
    assert boosted.status == 200, boosted.body
    boost = boosted.body
    assert boost["id"] != sid and boost["reblog"]["id"] == sid
    assert boost["reblog"]["reblogs_count"] == 1 and boost["reblog"]["reblogged"] is True
    assert boost["account"]["id"] == api.account_id("bob") and boost["content"] == ""
    again = await api.post(f"/api/v1/statuses/{sid}/reblog", token=bob)
    assert again.body["id"] == boost["id"]
    # the boost's id reads as the boost; favouriting through it likes what it boosts
    read = await api.get(f"/api/v1/statuses/{boost['id']}", token=carol)
    assert read.status == 200 and read.body["reblog"]["id"] == sid
    unlisted = await api.post(f"/api/v1/statuses/{sid}/reblog", token=carol,
                              data={"visibility": "unlisted"})
    assert unlisted.status == 422 and "public" in unlisted.body["error"]

    saved = await api.post(f"/api/v1/statuses/{sid}/bookmark", token=bob)
    assert saved.status == 200 and saved.body["bookmarked"] is True
    assert (await api.get(f"/api/v1/statuses/{sid}", token=carol)).body["bookmarked"] is False

    # who favourited, newest first, one per page with Link headers
    first = await api.get(f"/api/v1/statuses/{sid}/favourited_by", params={"limit": 1})
    assert first.status == 200 and [a["id"] for a in first.body] == [api.account_id("carol")]
    older = await api.get(_links(first)["next"])
    assert [a["id"] for a in older.body] == [api.account_id("bob")]
    newer = await api.get(_links(older)["prev"])
    assert [a["id"] for a in newer.body] == [api.account_id("carol")]
    boosters = await api.get(f"/api/v1/statuses/{sid}/reblogged_by", token=alice)
    assert [a["acct"] for a in boosters.body] == ["bob"] and "Link" in boosters.headers
    via_boost = await api.get(f"/api/v1/statuses/{boost['id']}/favourited_by")
    assert len(via_boost.body) == 2

    # undoing: twice is harmless, counts and flags follow
    for _ in range(2):
        unliked = await api.post(f"/api/v1/statuses/{sid}/unfavourite", token=bob)
        assert unliked.status == 200
    assert unliked.body["favourited"] is False and unliked.body["favourites_count"] == 1
    for _ in range(2):
        unboosted = await api.post(f"/api/v1/statuses/{sid}/unreblog", token=bob)
        assert unboosted.status == 200
    assert unboosted.body["id"] == sid and unboosted.body["reblogged"] is False
    assert unboosted.body["reblogs_count"] == 0
    assert (await api.get(f"/api/v1/statuses/{boost['id']}", token=bob)).status == 404
    for _ in range(2):
        unsaved = await api.post(f"/api/v1/statuses/{sid}/unbookmark", token=bob)
        assert unsaved.status == 200 and unsaved.body["bookmarked"] is False

    # a followers-only status does not exist for a stranger
    private = await _post(api, alice, "alice", "a secret kite", "private")
    for action in ("favourite", "reblog", "bookmark", "pin"):
        hidden = await api.post(f"/api/v1/statuses/{private['id']}/{action}", token=carol)
        assert hidden.status == 404, (action, hidden.body)
    assert (await api.get(f"/api/v1/statuses/{private['id']}/favourited_by",
                          token=carol)).status == 404

    # scopes as Mastodon declares them
    reader = await api.user("bob", scopes="read write:statuses")
    assert (await api.post(f"/api/v1/statuses/{sid}/favourite", token=reader)).status == 403
    assert (await api.post(f"/api/v1/statuses/{sid}/bookmark", token=reader)).status == 403
    assert (await api.post(f"/api/v1/statuses/{sid}/pin", token=reader)).status == 403
    assert (await api.post(f"/api/v1/statuses/{sid}/reblog", token=reader)).status == 200


async def test_followers_only_statuses(api: Api) -> None:
    """A follower may favourite and bookmark a followers-only status; only its author may
    boost it (Mastodon's StatusPolicy: favourite? is show?, reblog? needs the owner)."""
    alice = await api.user("alice")
    bob = await api.user("bob")
    await follows.follow(api.instance.services, "bob", api.instance.handle("alice"))
    private = await _post(api, alice, "alice", "a quiet kite", "private")
    liked = await api.post(f"/api/v1/statuses/{private['id']}/favourite", token=bob)
    assert liked.status == 200 and liked.body["favourited"] is True
    saved = await api.post(f"/api/v1/statuses/{private['id']}/bookmark", token=bob)
    assert saved.status == 200 and saved.body["bookmarked"] is True
    refused = await api.post(f"/api/v1/statuses/{private['id']}/reblog", token=bob)
    assert refused.status == 403 and refused.body["error"] == "This action is not allowed"
    own = await api.post(f"/api/v1/statuses/{private['id']}/pin", token=alice)
    assert own.status == 200 and own.body["pinned"] is True
    who = await api.get(f"/api/v1/statuses/{private['id']}/favourited_by", token=alice)
    assert [a["acct"] for a in who.body] == ["bob"]


async def test_pins(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    made = [await _post(api, alice, "alice", f"kite {n}") for n in range(6)]
    others = await _post(api, bob, "bob", "bob's kite")

    pinned = await api.post(f"/api/v1/statuses/{made[0]['id']}/pin", token=alice)
    assert pinned.status == 200 and pinned.body["pinned"] is True
    assert (await api.post(f"/api/v1/statuses/{made[0]['id']}/pin",
                           token=alice)).status == 200  # again: still pinned
    for status in made[1:5]:
        assert (await api.post(f"/api/v1/statuses/{status['id']}/pin",
                               token=alice)).status == 200
    full = await api.post(f"/api/v1/statuses/{made[5]['id']}/pin", token=alice)
    assert full.status == 422 and "maximum number" in full.body["error"]
    theirs = await api.post(f"/api/v1/statuses/{others['id']}/pin", token=alice)
    assert theirs.status == 422 and "Someone else's post" in theirs.body["error"]
    # pinned shows only to its author; others see no `pinned` on someone else's status
    seen = await api.get(f"/api/v1/statuses/{made[0]['id']}", token=bob)
    assert "pinned" not in seen.body
    unpinned = await api.post(f"/api/v1/statuses/{made[0]['id']}/unpin", token=alice)
    assert unpinned.status == 200 and unpinned.body["pinned"] is False
    assert (await api.post(f"/api/v1/statuses/{made[5]['id']}/pin",
                           token=alice)).status == 200


async def test_bookmarks_and_favourites_lists(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    made = [await _post(api, alice, "alice", f"heron {n}") for n in range(3)]
    # saved in another order than posted: the list follows the saves
    for status in (made[1], made[0], made[2]):
        await api.post(f"/api/v1/statuses/{status['id']}/bookmark", token=bob)
        await api.post(f"/api/v1/statuses/{status['id']}/favourite", token=bob)
    for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
        page = await api.get(path, token=bob, params={"limit": 2})
        assert page.status == 200, page.body
        assert [s["id"] for s in page.body] == [made[2]["id"], made[0]["id"]]
        assert all(s["bookmarked"] if "bookmarks" in path else s["favourited"]
                   for s in page.body)
        rest = await api.get(_links(page)["next"], token=bob)
        assert [s["id"] for s in rest.body] == [made[1]["id"]]
        assert (await api.get(_links(rest)["next"], token=bob)).body == []
        back = await api.get(_links(rest)["prev"], token=bob)
        assert [s["id"] for s in back.body] == [made[2]["id"], made[0]["id"]]
        assert (await api.get(path)).status == 401
    # a deleted status leaves both lists
    await api.delete(f"/api/v1/statuses/{made[0]['id']}", token=alice)
    for path in ("/api/v1/bookmarks", "/api/v1/favourites"):
        listed = await api.get(path, token=bob)
        assert [s["id"] for s in listed.body] == [made[2]["id"], made[1]["id"]]
    reader = await api.user("bob", scopes="read:statuses")
    assert (await api.get("/api/v1/bookmarks", token=reader)).status == 403


async def test_mastodon_py_favourites_boosts_and_bookmarks(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    made = [await _post(api, alice, "alice", f"gull {n}") for n in range(3)]
    client = api.mastodon(bob)
    for status in made:
        await asyncio.to_thread(client.status_bookmark, status["id"])
    liked = await asyncio.to_thread(client.status_favourite, made[0]["id"])
    assert liked["favourited"] is True and liked["favourites_count"] == 1
    boost = await asyncio.to_thread(client.status_reblog, made[0]["id"])
    assert str(boost["reblog"]["id"]) == made[0]["id"]
    who = await asyncio.to_thread(client.status_reblogged_by, made[0]["id"])
    assert [a["acct"] for a in who] == ["bob"]
    page = await asyncio.to_thread(client.bookmarks, limit=2)
    assert [str(s["id"]) for s in page] == [made[2]["id"], made[1]["id"]]
    following = await asyncio.to_thread(client.fetch_next, page)
    assert following is not None
    assert [str(s["id"]) for s in following] == [made[0]["id"]]
    favourites = await asyncio.to_thread(client.favourites)
    assert [str(s["id"]) for s in favourites] == [made[0]["id"]]
    unsaved = await asyncio.to_thread(client.status_unbookmark, made[1]["id"])
    assert unsaved["bookmarked"] is False
    own = api.mastodon(alice)
    pinned = await asyncio.to_thread(own.status_pin, made[2]["id"])
    assert pinned["pinned"] is True
