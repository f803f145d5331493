"""Search through the client API (GET /api/v2/search): accounts by words and handles,
hashtags by prefix, statuses by their words (caption, alt text, published prompt) and by
URL (ours, and another server's fetched with resolve=true,
against a fake Mastodon server); signed-out searches neither resolve nor page, as Mastodon."""

from __future__ import annotations

import asyncio

from server.services.social import follows
from server.services.statuses import posts
from server.services.statuses.posts import NewStatus
from tests.api.harness import Api
from tests.federation.fake_remote import FakeRemote
from tests.federation.interactions_helpers import note, post


async def _post(api: Api, username: str, caption: str, visibility: str = "public") -> int:
    account_id = int(api.account_id(username))
    [media_id] = await api.instance.make_images(account_id, "a kite over the sea")
    made = await posts.create_status(api.instance.services, username, NewStatus(
        media_ids=[media_id], caption=caption, visibility=visibility))
    return made.id


async def test_accounts_and_hashtags(api: Api) -> None:
    alice = await api.user("alice", scopes="read")
    await api.user("bob")
    await api.user("bobby")
    await _post(api, "alice", "Flying today #KiteFlying #kites")

    found = await api.get("/api/v2/search", token=alice, params={"q": "bob"})
    assert found.status == 200, found.body
    assert [a["username"] for a in found.body["accounts"]] == ["bob", "bobby"]
    assert found.body["statuses"] == [] and found.body["hashtags"] == []
    paged = await api.get("/api/v2/search", token=alice,
                          params={"q": "bob", "type": "accounts", "limit": 1, "offset": 1})
    assert [a["username"] for a in paged.body["accounts"]] == ["bobby"]
    # Only the accounts alice follows.
    assert (await api.get("/api/v2/search", token=alice,
                          params={"q": "bob", "following": True})).body["accounts"] == []
    await follows.follow(api.instance.services, "alice", f"bobby@{api.instance.domain}")
    followed = await api.get("/api/v2/search", token=alice,
                             params={"q": "bob", "type": "accounts", "following": True})
    assert [a["username"] for a in followed.body["accounts"]] == ["bobby"]

    tags = await api.get("/api/v2/search", token=alice, params={"q": "#kite"})
    assert [t["name"] for t in tags.body["hashtags"]] == ["kites", "kiteflying"]
    assert tags.body["accounts"] == []
    assert tags.body["hashtags"][0]["url"] == f"{api.base}/tags/kites"
    assert tags.body["hashtags"][0]["history"] == []
    only = await api.get("/api/v2/search", token=alice,
                         params={"q": "kitef", "type": "hashtags"})
    assert [t["name"] for t in only.body["hashtags"]] == ["kiteflying"]
    # Words find statuses by their caption (test_full_text_statuses has more).
    flying = await api.get("/api/v2/search", token=alice,
                           params={"q": "flying", "type": "statuses"})
    [flown] = flying.body["statuses"]
    assert "Flying today" in flown["content"]

    # Signed out: words and tags, but no lookups elsewhere and no paging (Mastodon's 401s).
    public = await api.get("/api/v2/search", params={"q": "bob"})
    assert [a["username"] for a in public.body["accounts"]] == ["bob", "bobby"]
    assert (await api.get("/api/v2/search", params={"q": "bob", "resolve": True})).status == 401
    assert (await api.get("/api/v2/search", params={"q": "bob", "offset": 1})).status == 401
    assert (await api.get("/api/v2/search", token=alice)).status == 400
    wrong_scope = await api.user("carol", scopes="write")
    assert (await api.get("/api/v2/search", token=wrong_scope,
                          params={"q": "bob"})).status == 403
    # v1 search is gone from Mastodon (3.0): an unknown route.
    gone = await api.get("/api/v1/search", token=alice, params={"q": "bob"})
    assert gone.status == 404 and gone.body == {"error": "Record not found"}

    # Mastodon.py's search_v2.
    client = api.mastodon(alice)
    results = await asyncio.to_thread(client.search_v2, "#kiteflying", resolve=False,
                                      exclude_unreviewed=False)
    assert [t.name for t in results.hashtags] == ["kiteflying"]


async def test_statuses_by_url_ours_and_resolved(api: Api) -> None:
    alice = await api.user("alice", scopes="read write")
    bob = await api.user("bob", scopes="read")
    public_id = await _post(api, "alice", "Out in the open")
    private_id = await _post(api, "alice", "Followers only", visibility="private")
    urls = api.instance.services.urls
    for url in (urls.status_page("alice", public_id), urls.status("alice", public_id)):
        found = await api.get("/api/v2/search", token=bob, params={"q": url})
        assert [s["id"] for s in found.body["statuses"]] == [str(public_id)], url
        assert found.body["accounts"] == [] and found.body["hashtags"] == []
    # Only what the viewer may see.
    hidden = urls.status_page("alice", private_id)
    assert (await api.get("/api/v2/search", token=bob,
                          params={"q": hidden})).body["statuses"] == []
    mine = await api.get("/api/v2/search", token=alice, params={"q": hidden})
    assert [s["id"] for s in mine.body["statuses"]] == [str(private_id)]
    # account_id: only that account's statuses.
    assert (await api.get("/api/v2/search", token=bob, params={
        "q": urls.status_page("alice", public_id),
        "account_id": api.account_id("bob")})).body["statuses"] == []
    profile = await api.get("/api/v2/search", token=bob, params={"q": urls.profile("alice")})
    assert [a["username"] for a in profile.body["accounts"]] == ["alice"]

    async with FakeRemote("masto") as masto:
        carol = masto.add_actor("carol", name="Carol")
        doc = note(carol, content="<p>a kite from afar</p>")
        masto.serve(doc)
        # Unknown here, and not resolved: nothing, and nothing fetched.
        quiet = await api.get("/api/v2/search", token=bob, params={"q": doc["id"]})
        assert quiet.body["statuses"] == [] and masto.fetches_of(doc["id"]) == []

        resolved = await api.get("/api/v2/search", token=bob,
                                 params={"q": doc["id"], "resolve": True})
        assert resolved.status == 200, resolved.body
        [status] = resolved.body["statuses"]
        assert status["uri"] == doc["id"] and "a kite from afar" in status["content"]
        assert status["account"]["acct"] == f"carol@{masto.domain}"
        assert await post(api.instance, doc["id"]) is not None

        # A post's page URL: its document is fetched again from its id.
        other = note(carol, content="<p>second kite</p>")
        page = f"{masto.base}/@carol/{other['id'].rsplit('/', 1)[1]}"
        other["url"] = page
        masto.serve(other)
        masto.documents[page.removeprefix(masto.base)] = other
        by_page = await api.get("/api/v2/search", token=bob,
                                params={"q": page, "resolve": True, "type": "statuses"})
        assert [s["uri"] for s in by_page.body["statuses"]] == [other["id"]]

        # An actor's URL and a handle resolve to the account.
        dave = masto.add_actor("dave", name="Dave")
        by_actor = await api.get("/api/v2/search", token=bob,
                                 params={"q": dave.id, "resolve": True})
        assert [a["acct"] for a in by_actor.body["accounts"]] == [f"dave@{masto.domain}"]
        assert by_actor.body["statuses"] == []
        erin = masto.add_actor("erin")
        by_handle = await api.get("/api/v2/search", token=bob,
                                  params={"q": f"@{erin.handle}", "resolve": True})
        assert [a["acct"] for a in by_handle.body["accounts"]] == [erin.handle]
        # Something that is neither: no result, no error.
        missing = await api.get("/api/v2/search", token=bob,
                                params={"q": f"{masto.base}/nothing/here", "resolve": True})
        assert missing.status == 200 and missing.body == {"accounts": [], "statuses": [],
                                                          "hashtags": []}


async def test_full_text_statuses(api: Api) -> None:
    """Words find the statuses a viewer may see, through the index the web search reads,
    kept in step with posting, editing and deleting; Mastodon.py's search_v2 reads them."""
    alice = await api.user("alice", scopes="read write")
    bob = await api.user("bob", scopes="read")
    services = api.instance.services
    account_id = int(api.account_id("alice"))
    [media_id] = await api.instance.make_images(account_id, "a heron in morning fog")
    heron = await posts.create_status(services, "alice", NewStatus(
        media_ids=[media_id], caption="Early walk", alt_texts=["A grey heron standing still"],
        publish_prompt=True))
    [other_media] = await api.instance.make_images(account_id, "a secret prompt")
    hidden_prompt = await posts.create_status(services, "alice", NewStatus(
        media_ids=[other_media], caption="Another walk"))
    followers = await _post(api, "alice", "Heron nest, followers only", visibility="private")

    async def found(token: str | None, q: str, **params: object) -> list[int]:
        answer = await api.get("/api/v2/search", token=token,
                               params={"q": q, "type": "statuses", **params})
        assert answer.status == 200, answer.body
        return [int(s["id"]) for s in answer.body["statuses"]]

    assert await found(bob, "heron") == [heron.id]  # by alt text and published prompt
    assert await found(bob, "morning fog") == [heron.id]  # the published prompt
    assert await found(bob, "secret") == []  # a prompt not published
    assert await found(alice, "heron") == [followers, heron.id]  # her own, newest first
    assert await found(alice, "heron", limit=1) == [followers]
    assert await found(alice, "heron", max_id=followers) == [heron.id]
    assert await found(alice, "heron", min_id=heron.id) == [followers]
    assert await found(alice, "heron", offset=1) == [heron.id]
    assert await found(bob, "walk", account_id=api.account_id("bob")) == []
    assert await found(None, "heron") == []  # full text is for signed-in viewers

    await posts.edit_status(services, "alice", hidden_prompt.id, caption="A heron flew by")
    assert await found(bob, "heron") == [hidden_prompt.id, heron.id]
    await posts.edit_status(services, "alice", heron.id, alt_texts=["A grey egret"])
    assert await found(bob, "egret") == [heron.id]
    await posts.delete_status(services, "alice", heron.id)
    assert await found(bob, "egret") == []

    client = api.mastodon(bob)
    results = await asyncio.to_thread(client.search_v2, "heron", resolve=False,
                                      result_type="statuses")
    assert [int(s.id) for s in results.statuses] == [hidden_prompt.id]
