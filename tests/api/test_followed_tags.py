"""Followed hashtags through the client API (Mastodon's tags and followed_tags controllers),
driven by Mastodon.py: follow a tag (created if new), the Tag entity says `following`,
followed_tags pages by the follow, a public post carrying the tag from an account not
followed shows in the home timeline, and unfollowing takes it out again."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api
from tests.api.social_helpers import post


async def test_follow_a_hashtag_and_see_it_in_home(api: Api) -> None:
    token = await api.user("alice", scopes="read write follow")
    await api.user("bob")
    client = api.mastodon(token)
    tagged = await post(api, "bob", "Tonight's sky #Sunset")
    untagged = await post(api, "bob", "Breakfast")
    assert (await api.get("/api/v1/tags/sunset", token=token)).body["following"] is False
    assert (await api.get("/api/v1/tags/nobodyusesthis")).status == 404

    followed = await asyncio.to_thread(client.tag_follow, "Sunset")
    assert followed["name"] == "sunset" and followed["following"] is True
    # A tag nobody used yet can be followed too (Mastodon creates it).
    assert (await asyncio.to_thread(client.tag_follow, "BrandNew"))["following"] is True
    assert (await api.get("/api/v1/tags/sunset", token=token)).body["following"] is True
    assert (await api.get("/api/v1/tags/sunset")).body["following"] is False  # anonymous

    listed = await asyncio.to_thread(client.followed_tags, limit=1)
    assert [t["name"] for t in listed] == ["brandnew"]
    older = await asyncio.to_thread(client.fetch_next, listed)
    assert [t["name"] for t in older] == ["sunset"]

    home = await asyncio.to_thread(client.timeline_home)
    ids = [int(s["id"]) for s in home]
    assert tagged in ids and untagged not in ids

    gone = await asyncio.to_thread(client.tag_unfollow, "sunset")
    assert gone["following"] is False
    home = await asyncio.to_thread(client.timeline_home)
    assert tagged not in [int(s["id"]) for s in home]
    assert (await api.post("/api/v1/tags/nosuchtag/unfollow", token=token)).status == 404
    assert (await api.post("/api/v1/tags/sunset/follow")).status == 401
    read_only = await api.user("carol", scopes="read")
    assert (await api.post("/api/v1/tags/sunset/follow", token=read_only)).status == 403
