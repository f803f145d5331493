"""Client API relationships: follow (with its options), unfollow, remove from followers,
block, mute and their lists, follow requests, relationships and familiar followers."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from server import appkeys
from storage.models import Account
from tests.api.harness import Api, ApiResponse

NONE = {"following": False, "showing_reblogs": False, "notifying": False, "followed_by": False,
        "blocking": False, "blocked_by": False, "muting": False, "muting_notifications": False,
        "requested": False, "requested_by": False, "domain_blocking": False,
        "endorsed": False, "note": "", "languages": None}


def _rel(answer: ApiResponse, account_id: str, **expected: Any) -> None:
    assert answer.status == 200, answer.body
    assert answer.body == {**NONE, "id": account_id, **expected}


async def _lock(api: Api, username: str) -> None:
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(
            Account.id == int(api.account_id(username))).values(manually_approves_followers=True))


async def test_follow_with_options_unfollow_and_relationships(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    bob_id, alice_id = api.account_id("bob"), api.account_id("alice")
    followed = await api.post(f"/api/v1/accounts/{bob_id}/follow", token=alice,
                              json={"reblogs": False, "notify": True})
    _rel(followed, bob_id, following=True, notifying=True)
    # Following again changes only the options given.
    again = await api.post(f"/api/v1/accounts/{bob_id}/follow", token=alice,
                           data={"reblogs": "true"})
    _rel(again, bob_id, following=True, showing_reblogs=True, notifying=True)
    seen_by_bob = await api.get("/api/v1/accounts/relationships", token=bob,
                                params=[("id[]", alice_id), ("id[]", "999"),
                                        ("id[]", alice_id)])
    assert [r["id"] for r in seen_by_bob.body] == [alice_id]
    assert seen_by_bob.body[0]["followed_by"] is True
    assert seen_by_bob.body[0]["following"] is False
    # Counts follow.
    bob_shown = await api.get(f"/api/v1/accounts/{bob_id}")
    assert bob_shown.body["followers_count"] == 1
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/unfollow", token=alice), bob_id)
    # Undoing what is not there is no error.
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/unfollow", token=alice), bob_id)
    # Errors: oneself, unknown ids, scopes, app tokens.
    itself = await api.post(f"/api/v1/accounts/{alice_id}/follow", token=alice)
    assert itself.status == 403
    assert itself.body == {"error": "Following your own account is not allowed"}
    missing = await api.post("/api/v1/accounts/4242/follow", token=alice)
    assert missing.status == 404 and missing.body == {"error": "Record not found"}
    reader = await api.user("alice", scopes="read")
    assert (await api.post(f"/api/v1/accounts/{bob_id}/follow", token=reader)).status == 403
    narrow = await api.user("alice", scopes="write:follows")
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/follow", token=narrow), bob_id,
         following=True, showing_reblogs=True)
    app = await api.app_token(scopes="read write follow")
    needs_user = await api.post(f"/api/v1/accounts/{bob_id}/follow", token=app)
    assert needs_user.status == 422
    assert (await api.get("/api/v1/accounts/relationships", token=app,
                          params={"id[]": bob_id})).status == 422
    assert (await api.get("/api/v1/accounts/relationships", params={"id[]": bob_id})
            ).status == 401


async def test_a_locked_account_gets_requests_it_authorizes_or_rejects(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    carol = await api.user("carol")
    await _lock(api, "alice")
    alice_id, bob_id, carol_id = (api.account_id(n) for n in ("alice", "bob", "carol"))
    _rel(await api.post(f"/api/v1/accounts/{alice_id}/follow", token=bob), alice_id,
         requested=True, showing_reblogs=True)
    _rel(await api.post(f"/api/v1/accounts/{alice_id}/follow", token=carol), alice_id,
         requested=True, showing_reblogs=True)
    seen = await api.get("/api/v1/accounts/relationships", token=alice,
                         params={"id[]": [bob_id, carol_id]})
    assert [(r["id"], r["requested_by"]) for r in seen.body] == [(bob_id, True),
                                                                  (carol_id, True)]
    waiting = await api.get("/api/v1/follow_requests", token=alice, params={"limit": 1})
    assert [a["id"] for a in waiting.body] == [carol_id]
    assert 'rel="next"' in waiting.headers["Link"]
    older = await api.get(_next(waiting), token=alice)
    assert [a["id"] for a in older.body] == [bob_id]
    _rel(await api.post(f"/api/v1/follow_requests/{bob_id}/authorize", token=alice), bob_id,
         followed_by=True)
    _rel(await api.post(f"/api/v1/follow_requests/{carol_id}/reject", token=alice), carol_id)
    assert (await api.get("/api/v1/follow_requests", token=alice)).body == []
    # No request left to answer.
    assert (await api.post(f"/api/v1/follow_requests/{carol_id}/authorize",
                           token=alice)).status == 404
    reader = await api.user("alice", scopes="read")
    assert (await api.post(f"/api/v1/follow_requests/{bob_id}/reject",
                           token=reader)).status == 403
    # Removing a follower.
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/remove_from_followers", token=alice),
         bob_id)
    bob_view = await api.get("/api/v1/accounts/relationships", token=bob,
                             params={"id[]": alice_id})
    assert bob_view.body[0]["following"] is False


def _next(answer: ApiResponse) -> str:
    link = answer.headers["Link"]
    target = link.split(";")[0].strip("<> ")
    return target[target.index("/api/"):]


async def test_blocks_and_mutes_with_their_lists(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    await api.user("carol")
    await api.user("dan")
    bob_id, carol_id, dan_id = (api.account_id(n) for n in ("bob", "carol", "dan"))
    await api.post(f"/api/v1/accounts/{bob_id}/follow", token=alice)
    await api.post(f"/api/v1/accounts/{api.account_id('alice')}/follow", token=bob)
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/block", token=alice), bob_id,
         blocking=True)
    seen_by_bob = await api.get("/api/v1/accounts/relationships", token=bob,
                                params={"id[]": api.account_id("alice")})
    assert seen_by_bob.body[0]["blocked_by"] is True
    assert seen_by_bob.body[0]["following"] is False  # the block ended the follows
    refused = await api.post(f"/api/v1/accounts/{api.account_id('alice')}/follow", token=bob)
    assert refused.status == 403 and refused.body == {"error": "This action is not allowed"}
    await api.post(f"/api/v1/accounts/{carol_id}/block", token=alice)
    blocked = await api.get("/api/v1/blocks", token=alice, params={"limit": 1})
    assert [a["id"] for a in blocked.body] == [carol_id]
    assert [a["id"] for a in (await api.get(_next(blocked), token=alice)).body] == [bob_id]
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/unblock", token=alice), bob_id)
    _rel(await api.post(f"/api/v1/accounts/{bob_id}/unblock", token=alice), bob_id)
    assert [a["id"] for a in (await api.get("/api/v1/blocks", token=alice)).body] == [
        carol_id]
    # Mutes: notifications too by default; a duration; muting again updates.
    _rel(await api.post(f"/api/v1/accounts/{dan_id}/mute", token=alice), dan_id,
         muting=True, muting_notifications=True)
    _rel(await api.post(f"/api/v1/accounts/{dan_id}/mute", token=alice,
                        json={"notifications": False, "duration": 3600}), dan_id,
         muting=True)
    muted = await api.get("/api/v1/mutes", token=alice)
    assert [a["id"] for a in muted.body] == [dan_id]
    assert muted.body[0]["mute_expires_at"] is not None
    refused = await api.post(f"/api/v1/accounts/{dan_id}/mute", token=alice,
                             json={"duration": -5})
    assert refused.status == 422
    _rel(await api.post(f"/api/v1/accounts/{dan_id}/unmute", token=alice), dan_id)
    assert (await api.get("/api/v1/mutes", token=alice)).body == []
    # Scopes: the lists and the actions each need their own.
    follow_only = await api.user("alice", scopes="read:follows")
    assert (await api.get("/api/v1/blocks", token=follow_only)).status == 403
    assert (await api.get("/api/v1/mutes", token=follow_only)).status == 403
    legacy = await api.user("alice", scopes="follow")
    assert (await api.get("/api/v1/blocks", token=legacy)).status == 200
    assert (await api.post(f"/api/v1/accounts/{dan_id}/mute", token=legacy)).status == 200
    blocks_only = await api.user("alice", scopes="write:blocks")
    assert (await api.post(f"/api/v1/accounts/{dan_id}/mute", token=blocks_only)
            ).status == 403


async def test_familiar_followers(api: Api) -> None:
    alice = await api.user("alice")
    bob = await api.user("bob")
    carol = await api.user("carol")
    dan_token = await api.user("dan")
    dan = api.account_id("dan")
    for token in (bob, carol):
        await api.post(f"/api/v1/accounts/{dan}/follow", token=token)
    await api.post(f"/api/v1/accounts/{api.account_id('bob')}/follow", token=alice)
    found = await api.get("/api/v1/accounts/familiar_followers", token=alice,
                          params={"id[]": [dan, api.account_id("carol")]})
    assert [(f["id"], [a["username"] for a in f["accounts"]]) for f in found.body] == [
        (dan, ["bob"]), (api.account_id("carol"), [])]
    assert (await api.get("/api/v1/accounts/familiar_followers", token=dan_token,
                          params={"id[]": dan})).body == [{"id": dan, "accounts": []}]


async def test_mastodon_py_follows_and_answers_requests(api: Api) -> None:
    alice = api.mastodon(await api.user("alice"))
    bob = api.mastodon(await api.user("bob"))
    await _lock(api, "bob")
    bob_id, alice_id = api.account_id("bob"), api.account_id("alice")
    asked = await asyncio.to_thread(alice.account_follow, bob_id, reblogs=False)
    assert asked.requested is True and asked.following is False
    pending = await asyncio.to_thread(bob.follow_requests)
    assert [a.acct for a in pending] == ["alice"]
    answered = await asyncio.to_thread(bob.follow_request_authorize, alice_id)
    assert answered.followed_by is True
    [rel] = await asyncio.to_thread(alice.account_relationships, bob_id)
    assert rel.following is True and rel.showing_reblogs is False
    found = await asyncio.to_thread(alice.account_search, "bob")
    assert [a.acct for a in found] == ["bob"]
    followers = await asyncio.to_thread(bob.account_followers, bob_id)
    assert [a.acct for a in followers] == ["alice"]
