"""Client API: an account's statuses (visibility as on the profile page, Mastodon's filters,
Link pagination) and its followers and following."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

from server.services.statuses import pins
from tests.api.harness import Api, ApiResponse
from tests.api.social_helpers import boost, follow, post


def _links(answer: ApiResponse) -> dict[str, str]:
    """rel -> the path and query of each Link."""
    found = {}
    for part in answer.headers.get("Link", "").split(","):
        if not part.strip():
            continue
        url, rel = part.split(";")
        full = url.strip().strip("<>")
        found[rel.strip().removeprefix('rel="').removesuffix('"')] = full[full.index("/api/"):]
    return found


def _ids(answer: ApiResponse) -> list[str]:
    assert answer.status == 200, answer.body
    return [entity["id"] for entity in answer.body]


async def test_an_accounts_statuses_with_filters_visibility_and_pages(api: Api) -> None:
    alice_token = await api.user("alice")
    await api.user("bob")
    carol = await api.user("carol")
    dan = await api.user("dan")
    await follow(api, "dan", "alice")
    bobs = await post(api, "bob", "Bob's lake")
    pinned = await post(api, "alice", "Morning fog")
    private = await post(api, "alice", "For my followers", visibility="private")
    reply_to_bob = await post(api, "alice", "Lovely", in_reply_to=bobs, text_only=True)
    own_thread = await post(api, "alice", "More fog", in_reply_to=pinned, text_only=True)
    tagged = await post(api, "alice", "Sleepy #Cats")
    boosted = await boost(api, "alice", bobs)
    await pins.pin(api.instance.services, "alice", pinned)
    path = f"/api/v1/accounts/{api.account_id('alice')}/statuses"
    everything = [boosted, tagged, own_thread, reply_to_bob, private, pinned]
    public = [str(i) for i in everything if i != private]

    # Who sees what: the followers-only post only to a follower (and the author).
    assert _ids(await api.get(path)) == public
    assert _ids(await api.get(path, token=carol)) == public
    assert _ids(await api.get(path, token=dan)) == [str(i) for i in everything]
    mine = await api.get(path, token=alice_token)
    assert _ids(mine) == [str(i) for i in everything]
    as_boost = mine.body[0]
    assert as_boost["reblog"]["id"] == str(bobs) and as_boost["content"] == ""
    assert mine.body[-1]["pinned"] is True

    # Filters.
    assert _ids(await api.get(path, token=dan, params={"only_media": "true"})) == [
        str(tagged), str(private), str(pinned)]
    assert _ids(await api.get(path, params={"exclude_replies": "true"})) == [
        str(boosted), str(tagged), str(own_thread), str(pinned)]
    assert _ids(await api.get(path, params={"exclude_reblogs": "1"})) == public[1:]
    assert _ids(await api.get(path, params={"pinned": "true"})) == [str(pinned)]
    assert _ids(await api.get(path, params={"tagged": "cats"})) == [str(tagged)]
    assert _ids(await api.get(path, params={"tagged": "dogs"})) == []

    # Pages: newest first, Link next (older) and prev (newer) with the filters kept.
    first = await api.get(path, params={"limit": 2, "exclude_reblogs": "true"})
    assert _ids(first) == public[1:3]
    links = _links(first)
    assert parse_qs(urlsplit(links["next"]).query) == {
        "limit": ["2"], "exclude_reblogs": ["true"], "max_id": [public[2]]}
    second = await api.get(links["next"])
    assert _ids(second) == public[3:5]
    back = await api.get(_links(second)["prev"])
    assert _ids(back) == public[1:3]
    assert _ids(await api.get(path, params={"since_id": str(own_thread)})) == [
        str(boosted), str(tagged)]

    # Blocked: nothing either way; unknown account: 404.
    await api.post(f"/api/v1/accounts/{api.account_id('carol')}/block", token=alice_token)
    assert _ids(await api.get(path, token=carol)) == []
    assert (await api.get("/api/v1/accounts/31337/statuses")).status == 404
    wrong = await api.user("carol", scopes="write")
    assert (await api.get(path, token=wrong)).status == 403

    client = api.mastodon(dan)
    seen = await asyncio.to_thread(client.account_statuses, api.account_id("alice"),
                                   only_media=True, limit=2)
    assert [int(s.id) for s in seen] == [tagged, private]


async def test_followers_and_following_pages(api: Api) -> None:
    alice = await api.user("alice")
    for name in ("bob", "carol", "dan", "erin"):
        await api.user(name)
        await follow(api, name, "alice")
    await follow(api, "alice", "bob")
    alice_id = api.account_id("alice")
    path = f"/api/v1/accounts/{alice_id}/followers"
    newest_first = [api.account_id(n) for n in ("erin", "dan", "carol", "bob")]
    assert _ids(await api.get(path)) == newest_first
    first = await api.get(path, params={"limit": 3})
    assert _ids(first) == newest_first[:3]
    assert _ids(await api.get(_links(first)["next"])) == newest_first[3:]
    assert _ids(await api.get(f"/api/v1/accounts/{alice_id}/following")) == [
        api.account_id("bob")]
    # A viewer's own mutes and blocks are left out of others' lists; the owner sees all.
    erin = await api.user("erin")
    await api.post(f"/api/v1/accounts/{api.account_id('dan')}/mute", token=erin)
    assert _ids(await api.get(path, token=erin)) == [api.account_id(n)
                                                    for n in ("erin", "carol", "bob")]
    # An account blocking the viewer shows it nothing.
    await api.post(f"/api/v1/accounts/{api.account_id('carol')}/block", token=alice)
    carol = await api.user("carol")
    assert _ids(await api.get(path, token=carol)) == []
    assert _ids(await api.get(path, token=alice)) == [api.account_id(n)
                                                     for n in ("erin", "dan", "bob")]
    assert (await api.get("/api/v1/accounts/31337/followers")).status == 404
