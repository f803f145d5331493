"""The whole day of a person using Dreamfeed from a Mastodon app, driven by Mastodon.py (the
library most Python apps and bots are built on), every answer checked against Mastodon's
OpenAPI schema by the `api` fixture: an app signs in (password grant for alice, the code
flow through the consent page for bob), posts a generated and an uploaded image, reads
timelines page by page, likes, boosts, bookmarks, replies, follows (and answers a follow
request), gets notifications, searches, keeps lists and read markers."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from mastodon import Mastodon
from PIL import Image

from tests.api.harness import Api
from tests.api.oauth_flow import CALLBACK, PASSWORD, browser, query_of

SCOPES = ["read", "write", "follow", "push"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 90, 40)).save(out, "PNG")
    return out.getvalue()


async def _call(client: Mastodon, method: str, *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(getattr(client, method), *args, **kwargs)


async def _app(api: Api) -> Mastodon:
    client = api.mastodon()
    client_id, secret = await asyncio.to_thread(
        Mastodon.create_app, "Dreamfeed flow", scopes=SCOPES, redirect_uris=[CALLBACK],
        api_base_url=api.base, session=client.session)
    client.client_id, client.client_secret = client_id, secret
    return client


async def _password_login(api: Api, email: str) -> Mastodon:
    client = await _app(api)
    await _call(client, "log_in", username=email, password=PASSWORD, scopes=SCOPES,
                allow_http=True)
    return client


async def _code_login(api: Api, username: str) -> Mastodon:
    client = await _app(api)
    url = await _call(client, "auth_request_url", redirect_uris=CALLBACK, scopes=SCOPES,
                      state="flow", allow_http=True)
    async with browser(api) as person:
        await person.sign_in(username)
        _, page, _ = await person.get(url.removeprefix(api.base))
        status, _, location = await person.decide(page, "authorize")
    assert status == 303
    await _call(client, "log_in", code=query_of(location)["code"], redirect_uri=CALLBACK,
                scopes=SCOPES, allow_http=True)
    return client


async def _generate(api: Api, client: Mastodon, prompt: str) -> str:
    """Dreamfeed's extension (Mastodon.py knows nothing of it: plain HTTP, same token);
    the promised media id is polled with Mastodon.py's own media() until it has a URL."""
    token = client.access_token
    started = await api.post("/api/v1/dreamfeed/generations", token=token,
                             json={"prompt": prompt, "size": "256x256", "n": 1})
    assert started.status == 202, started.body
    [media] = started.body["media_attachments"]
    assert media["url"] is None
    await api.run_jobs()
    done = await _call(client, "media", media["id"])
    assert done["url"] and done["dreamfeed"]["ai_generated"] is True
    return str(media["id"])


async def test_a_day_in_a_mastodon_app(api: Api) -> None:
    await api.instance.add_user("alice", email="alice@example.com")
    await api.instance.add_user("bob")
    await api.instance.add_user("carol")
    alice = await _password_login(api, "alice@example.com")
    bob = await _code_login(api, "bob")
    carol = await _password_login(api, "carol")

    me = await _call(alice, "account_verify_credentials")
    assert me["username"] == "alice" and me["source"]["privacy"] == "public"
    assert me["avatar"].endswith("/static/avatar.png")

    # alice posts a generated image and an uploaded one together.
    generated = await _generate(api, alice, "a lighthouse in fog")
    # Mastodon.py polls GET /api/v1/media/:id while the worker (the test's) processes it.
    posting = asyncio.ensure_future(_call(alice, "media_post", io.BytesIO(_png()),
                                          mime_type="image/png",
                                          description="a plain orange card",
                                          synchronous=True))
    while not posting.done():
        await api.run_jobs()
        await asyncio.sleep(0.05)
    uploaded = await posting
    assert uploaded["dreamfeed"]["ai_generated"] is False
    first = await _call(alice, "status_post", "Two pictures #lighthouse",
                        media_ids=[generated, uploaded["id"]])
    assert [m["id"] for m in first["media_attachments"]] == [generated, str(uploaded["id"])]

    # bob follows her and reads his home timeline two posts at a time.
    alice_id = me["id"]
    relationship = await _call(bob, "account_follow", alice_id)
    assert relationship["following"] is True
    for n in range(4):
        media_id = await _generate(api, alice, f"tide pool {n}")
        await _call(alice, "status_post", f"tide pool {n}", media_ids=[media_id])
    page = await _call(bob, "timeline_home", limit=2)
    seen = [s["content"] for s in page]
    while (page := await _call(bob, "fetch_next", page)):
        seen.extend(s["content"] for s in page)
    assert len(seen) == 5 and "tide pool 3" in seen[0] and "Two pictures" in seen[-1]

    # bob likes, boosts, bookmarks and replies with words only.
    await _call(bob, "status_favourite", first["id"])
    await _call(bob, "status_reblog", first["id"])
    await _call(bob, "status_bookmark", first["id"])
    [saved] = await _call(bob, "bookmarks")
    assert saved["id"] == first["id"] and saved["bookmarked"] is True
    reply = await _call(bob, "status_post", "Lovely light!", in_reply_to_id=first["id"])
    assert reply["in_reply_to_id"] == first["id"] and reply["media_attachments"] == []
    context = await _call(alice, "status_context", first["id"])
    assert [s["id"] for s in context["descendants"]] == [reply["id"]]

    # alice hears of all of it.
    kinds = {n["type"] for n in await _call(alice, "notifications")}
    assert {"follow", "favourite", "reblog", "mention"} <= kinds
    mentions = await _call(alice, "notifications", types=["mention"])
    assert mentions[0]["status"]["id"] == reply["id"]
    await _call(alice, "markers_set", ["notifications"], [mentions[0]["id"]])
    markers = await _call(alice, "markers_get", ["notifications"])
    assert markers["notifications"]["last_read_id"] == mentions[0]["id"]

    # Search: people by name, hashtags, a status by its URL.
    found = await _call(bob, "search_v2", "alice", resolve=False)
    assert [a["acct"] for a in found["accounts"]] == ["alice"]
    tags = await _call(bob, "search_v2", "lighthouse", result_type="hashtags")
    assert [t["name"] for t in tags["hashtags"]] == ["lighthouse"]
    by_url = await _call(bob, "search_v2", first["url"], result_type="statuses")
    assert [s["id"] for s in by_url["statuses"]] == [first["id"]]

    # A list of the people bob follows, with its own timeline.
    friends = await _call(bob, "list_create", "Friends")
    await _call(bob, "list_accounts_add", friends["id"], [alice_id])
    listed = await _call(bob, "timeline_list", friends["id"])
    assert listed and all(s["account"]["id"] == alice_id for s in listed)

    # carol locks her account; bob asks to follow, carol accepts.
    carol_me = await _call(carol, "account_update_credentials", locked=True)
    assert carol_me["locked"] is True
    asked = await _call(bob, "account_follow", carol_me["id"])
    assert asked["requested"] is True and asked["following"] is False
    [request] = await _call(carol, "follow_requests")
    assert request["acct"] == "bob"
    answered = await _call(carol, "follow_request_authorize", request["id"])
    assert answered["followed_by"] is True
    [relation] = await _call(bob, "account_relationships", carol_me["id"])
    assert relation["following"] is True
