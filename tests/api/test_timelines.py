"""Timelines through the client API: home (follows, boosts and the boosts turned off,
filters), public (local, remote, only_media, signed out), hashtag (any case, any/all/none),
and Link pagination both ways, by hand and with Mastodon.py."""

from __future__ import annotations

import asyncio
import re

from server import appkeys
from server.services.social import filters
from storage.models import Follow
from tests.api.harness import Api, ApiResponse
from tests.api.social_helpers import Remote, boost, follow, post


def links(answer: ApiResponse) -> dict[str, str]:
    """rel -> path and query of the Link header."""
    found = {}
    for url, rel in re.findall(r'<([^>]+)>;\s*rel="(\w+)"', answer.headers.get("Link", "")):
        found[rel] = url.split("//", 1)[1].split("/", 1)[1]
    return {rel: "/" + rest for rel, rest in found.items()}


def ids(answer: ApiResponse) -> list[str]:
    return [item["id"] for item in answer.body]


async def test_home_shows_follows_and_boosts_unless_turned_off(api: Api) -> None:
    token = await api.user("alice", scopes="read")
    for name in ("bob", "carol", "dave"):
        await api.user(name)
    await follow(api, "alice", "bob")
    await follow(api, "alice", "carol", show_reblogs=False)
    mine = await post(api, "alice", "my own dragon")
    by_bob = await post(api, "bob", "a castle at dusk")
    by_carol = await post(api, "carol", "a lighthouse")
    strangers = [await post(api, "dave", f"stranger's picture {n}") for n in range(2)]
    bob_boost = await boost(api, "bob", strangers[0])
    await boost(api, "carol", strangers[1])  # carol's boosts are off for alice

    home = await api.get("/api/v1/timelines/home", token=token)
    assert home.status == 200, home.body
    assert ids(home) == [str(bob_boost), str(by_carol), str(by_bob), str(mine)]
    shown_boost = home.body[0]
    assert shown_boost["account"]["acct"] == "bob" and shown_boost["content"] == ""
    assert shown_boost["reblog"]["id"] == str(strangers[0])
    assert shown_boost["reblog"]["account"]["acct"] == "dave"
    assert shown_boost["reblog"]["media_attachments"][0]["type"] == "image"
    assert home.body[3]["favourited"] is False  # the viewer's own state is there

    # Boosts back on: carol's boost shows.
    await follow(api, "alice", "carol", show_reblogs=True)
    again = await api.get("/api/v1/timelines/home", token=token)
    assert again.body[0]["reblog"]["id"] == str(strangers[1])

    # Home needs a user with read:statuses.
    assert (await api.get("/api/v1/timelines/home")).status == 401
    assert (await api.get("/api/v1/timelines/home",
                          token=await api.user("alice", scopes="write"))).status == 403


async def test_warn_filters_come_as_filter_results_and_hide_filters_drop(api: Api) -> None:
    token = await api.user("alice", scopes="read")
    await api.user("bob")
    await follow(api, "alice", "bob")
    spooky = await post(api, "bob", "a spooky forest")
    plain = await post(api, "bob", "a sunny meadow")
    await post(api, "bob", "an awful clown")
    services = api.instance.services
    warn = await filters.add_filter(services, "alice", "spooky", contexts=["home"],
                                    action="warn")
    await filters.add_filter(services, "alice", "clown", contexts=["home"], action="hide")
    home = await api.get("/api/v1/timelines/home", token=token)
    assert ids(home) == [str(plain), str(spooky)]
    assert home.body[0]["filtered"] == []
    [result] = home.body[1]["filtered"]
    assert result["keyword_matches"] == ["spooky"]
    assert result["filter"]["id"] == str(warn.id)
    assert result["filter"]["filter_action"] == "warn"
    assert result["filter"]["context"] == ["home"]
    # The public timeline is another context: nothing filtered there.
    public = await api.get("/api/v1/timelines/public", token=token, params={"local": True})
    assert len(public.body) == 3 and all(s["filtered"] == [] for s in public.body)


async def test_public_local_remote_and_only_media_signed_out_too(api: Api) -> None:
    await api.user("alice")
    local = await post(api, "alice", "a local picture")
    bob = await Remote(api, "bob").create()
    remote_text = await bob.status("words from afar")
    remote_image = await bob.status("a picture from afar", image=True)

    everything = await api.get("/api/v1/timelines/public")  # signed out
    assert everything.status == 200
    assert ids(everything) == [str(remote_image), str(remote_text), str(local)]
    assert "favourited" not in everything.body[0]  # no viewer, no viewer state
    assert ids(await api.get("/api/v1/timelines/public", params={"local": True})) \
        == [str(local)]
    assert ids(await api.get("/api/v1/timelines/public", params={"remote": "true"})) \
        == [str(remote_image), str(remote_text)]
    media = await api.get("/api/v1/timelines/public", params={"only_media": "1"})
    assert ids(media) == [str(remote_image), str(local)]
    assert media.body[0]["account"]["acct"] == "bob@remote.test"
    # The Link header keeps the narrowing.
    assert "only_media=1" in links(media)["next"]


async def test_hashtags_in_any_case_with_any_all_none(api: Api) -> None:
    await api.user("alice")
    local = await post(api, "alice", "my #Cats at night")
    bob = await Remote(api, "bob").create()
    cats_and_dogs = await bob.status("both", tags=["cats", "dogs"])
    birds = await bob.status("birds only", tags=["birds"])
    await bob.status("untagged")

    for spelling in ("cats", "CATS", "Cats"):
        found = await api.get(f"/api/v1/timelines/tag/{spelling}")
        assert ids(found) == [str(cats_and_dogs), str(local)], spelling
    assert ids(await api.get("/api/v1/timelines/tag/cats", params={"local": "true"})) \
        == [str(local)]
    assert ids(await api.get("/api/v1/timelines/tag/cats", params={"none[]": "dogs"})) \
        == [str(local)]
    assert ids(await api.get("/api/v1/timelines/tag/cats", params={"all[]": "Dogs"})) \
        == [str(cats_and_dogs)]
    assert ids(await api.get("/api/v1/timelines/tag/cats", params={"any[]": "birds"})) \
        == [str(birds), str(cats_and_dogs), str(local)]
    assert ids(await api.get("/api/v1/timelines/tag/cats", params={"all[]": "unknown"})) == []
    nobody = await api.get("/api/v1/timelines/tag/neverused")
    assert nobody.status == 200 and nobody.body == [] and "Link" not in nobody.headers


async def test_pages_follow_the_link_header_both_ways(api: Api) -> None:
    bob = await Remote(api, "bob").create()
    made = [await bob.status(f"number {n}") for n in range(7)]
    newest_first = [str(i) for i in reversed(made)]

    first = await api.get("/api/v1/timelines/public", params={"limit": 3})
    assert ids(first) == newest_first[:3]
    second = await api.get(links(first)["next"])
    assert ids(second) == newest_first[3:6]
    assert "max_id=" + newest_first[2] in links(first)["next"]
    last = await api.get(links(second)["next"])
    assert ids(last) == newest_first[6:]
    past_the_end = await api.get(links(last)["next"])
    assert past_the_end.body == [] and "Link" not in past_the_end.headers
    # prev (min_id) from a later page gives the page just before it, newest first.
    back = await api.get(links(last)["prev"])
    assert ids(back) == newest_first[3:6]
    assert ids(await api.get(links(back)["prev"])) == newest_first[:3]
    # since_id: the newest ones above it.
    since = await api.get("/api/v1/timelines/public",
                          params={"since_id": newest_first[4], "limit": 2})
    assert ids(since) == newest_first[:2]


async def test_mastodon_py_pages_home_with_fetch_next(api: Api) -> None:
    token = await api.user("alice", scopes="read")
    bob = await Remote(api, "bob").create()
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Follow(account_id=int(api.account_id("alice")), target_account_id=bob.id,
                           state="accepted", uri="https://here/follows/1"))
    made = [str(await bob.status(f"remote {n}")) for n in range(5)]
    client = api.mastodon(token)
    first = await asyncio.to_thread(client.timeline_home, limit=2)
    assert [str(s.id) for s in first] == [made[4], made[3]]
    second = await asyncio.to_thread(client.fetch_next, first)
    assert second is not None
    assert [str(s.id) for s in second] == [made[2], made[1]]
    third = await asyncio.to_thread(client.fetch_next, second)
    assert third is not None
    assert [str(s.id) for s in third] == [made[0]]
    newer = await asyncio.to_thread(client.fetch_previous, third)
    assert newer is not None
    assert [str(s.id) for s in newer] == [made[2], made[1]]
    public = await asyncio.to_thread(client.timeline_public, remote=True, limit=1)
    assert public[0].account.acct == "bob@remote.test"
    tagged = await asyncio.to_thread(client.timeline_hashtag, "nothing")
    assert tagged == []
