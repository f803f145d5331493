"""Opening a remote post fetches the rest of its thread (issue 18, "Threads"; Mastodon 4.4's
FetchAllRepliesWorker): the parent chain and the `replies` collections, walked as Mastodon
and GoToSocial serve them (recorded shapes in tests/data/replies/), from fake servers that
refuse unsigned fetches, over real HTTP. Bounded in depth, posts and pages; once per post
per cooldown; never for anonymous visitors; suspended domains never asked; a collection
speaks only for the replies to its own post."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, TCPConnector
from sqlalchemy import update

from server import appkeys
from server.services.federation.thread_context import FETCH_CONTEXT
from server.services.moderation import domain_blocks
from server.services.reading.timelines import thread
from storage import jobs as job_store
from storage.models import Status
from storage.types import utcnow
from tests.api.harness import Api
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, TestResolver, settle
from tests.federation.interactions_helpers import alice_follows, create, note, post, send
from tests.server.web_helpers import Browser, browser

REPLIES = Path(__file__).parent.parent / "data" / "replies"
PASSWORD = "correct horse"  # Instance.add_user's


def recorded(name: str, hosts: dict[str, str]) -> dict[str, Any]:
    """A recorded payload with its hosts moved onto the fake servers (and its note on where
    it comes from left out)."""
    text = (REPLIES / name).read_text()
    for recorded_host, base in hosts.items():
        text = text.replace(recorded_host, base)
    doc = json.loads(text)
    doc.pop("_source", None)
    return dict(doc)


def page(url: str, items: list[Any], next_url: str | None = None) -> dict[str, Any]:
    """A Mastodon CollectionPage (the shape of mastodon_replies_page.json)."""
    doc: dict[str, Any] = {"@context": "https://www.w3.org/ns/activitystreams", "id": url,
                           "type": "CollectionPage", "partOf": url.partition("?")[0],
                           "items": items}
    if next_url:
        doc["next"] = next_url
    return doc


@pytest.fixture
async def gts() -> AsyncIterator[FakeRemote]:
    """A fake GoToSocial-like server: every fetch must be signed."""
    async with FakeRemote("gts", require_signed_get=True) as fake:
        yield fake


@pytest.fixture
async def signed_masto() -> AsyncIterator[FakeRemote]:
    """A fake Mastodon in authorized-fetch mode."""
    async with FakeRemote("masto", require_signed_get=True) as fake:
        yield fake


@asynccontextmanager
async def signed_in(a: Instance) -> AsyncIterator[Browser]:
    async with browser(a) as web:
        assert (await web.sign_in("alice", PASSWORD)).status == 303
        yield web


async def open_page(web: Browser, actor: FakeActor, status: Status) -> str:
    page_ = await web.get(f"/@{actor.handle}/{status.id}")
    assert page_.status == 200, page_.text[:300]
    return page_.text


async def context_jobs(a: Instance) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        return len(await job_store.list_jobs(session, kind=FETCH_CONTEXT))


async def stored(a: Instance, uri: str) -> Status:
    found = await post(a, uri)
    assert found is not None, f"{uri} not stored"
    return found


# --- Mastodon ---------------------------------------------------------------------------------


def mastodon_thread(masto: FakeRemote, gts: FakeRemote) -> dict[str, dict[str, Any]]:
    """dave's post as Mastodon serves it, its self-reply, the page of the others' replies
    (erin's embedded, admin's on GoToSocial by id), and frank's reply to erin's."""
    hosts = {"https://mastodon.example": masto.base, "https://gotosocial.example": gts.base}
    root = recorded("mastodon_note.json", hosts)
    others = recorded("mastodon_replies_page.json", hosts)
    dave, frank = masto.actors["dave"], masto.actors["frank"]
    admin = gts.actors["admin"]
    self_reply = note(dave, id=root["replies"]["first"]["items"][0], inReplyTo=root["id"],
                      content="<p>I would start with Euler a.</p>")
    erin_reply = others["items"][0]
    far_reply = note(admin, id=others["items"][1], inReplyTo=root["id"],
                     content="<p>DDIM from over here</p>")
    frank_reply = note(frank, inReplyTo=erin_reply["id"], content="<p>seconded</p>")
    for doc in (root, self_reply, frank_reply):
        masto.serve(doc)
    gts.serve(far_reply)
    # After the self-replies, Mastodon's next page of them is empty and points at the
    # others' replies; erin's own collection lists frank's reply by uri.
    masto.serve(page(root["replies"]["first"]["next"], [], others["id"]))
    masto.serve(others)
    masto.serve(page(erin_reply["replies"]["first"]["next"], [frank_reply["id"]]))
    return {"root": root, "self": self_reply, "erin": erin_reply, "far": far_reply,
            "frank": frank_reply}


async def test_opening_a_reply_fetches_its_mastodon_thread(
        a: Instance, signed_masto: FakeRemote, gts: FakeRemote) -> None:
    masto = signed_masto
    carol = masto.add_actor("carol")
    for name in ("dave", "erin", "frank"):
        masto.add_actor(name)
    gts.add_actor("admin", "gotosocial")
    docs = mastodon_thread(masto, gts)
    await alice_follows(a, masto, carol)
    mine = note(carol, inReplyTo=docs["root"]["id"], content="<p>following along</p>")
    # The opened post's own replies, listed on its first page by id.
    late = note(masto.actors["erin"], inReplyTo=mine["id"], content="<p>me too</p>")
    mine["replies"] = {"id": f"{mine['id']}/replies", "type": "Collection",
                       "first": page(f"{mine['id']}/replies?page=true", [late["id"]])}
    for doc in (mine, late):
        masto.serve(doc)
    assert (await send(masto, carol, a, create(carol, mine))).error == "stored public post"
    opened = await stored(a, mine["id"])
    root = await stored(a, docs["root"]["id"])  # its parent came with it, as before
    assert await post(a, docs["erin"]["id"]) is None

    async with signed_in(a) as web:
        await open_page(web, carol, opened)
        assert await context_jobs(a) == 1
        await settle([a])
        # The whole thread is here now, each reply under the post it answers.
        for name, parent in (("self", "root"), ("erin", "root"), ("far", "root"),
                             ("frank", "erin")):
            row = await stored(a, docs[name]["id"])
            assert row.in_reply_to_uri == docs[parent]["id"]
            assert row.in_reply_to_id == (await stored(a, docs[parent]["id"])).id
        assert (await stored(a, late["id"])).in_reply_to_id == opened.id
        assert (await stored(a, docs["root"]["id"])).replies_count == 4
        seen = await thread(a.services, root.id, "alice")
        assert {s.uri for s in seen.descendants} == {
            mine["id"], late["id"], *(docs[n]["id"] for n in ("self", "erin", "far", "frank"))}
        # The reopened page shows them.
        text = await open_page(web, carol, opened)
        assert "following along" in text
        text = await open_page(web, masto.actors["dave"], root)
        assert "Euler a, every time." in text and "DDIM from over here" in text

    # erin's reply came embedded in a page its own server served: not fetched again; the
    # GoToSocial reply was fetched from its origin; every fetch was signed (the fakes
    # refuse others).
    assert masto.fetches_of(docs["erin"]["id"]) == []
    assert len(gts.fetches_of(docs["far"]["id"])) == 1
    assert all(r.signature is not None for r in masto.received("GET") + gts.received("GET")
               if "/statuses/" in r.path)


async def test_a_thread_is_fetched_once_per_cooldown_and_only_for_signed_in_viewers(
        a: Instance, signed_masto: FakeRemote, gts: FakeRemote) -> None:
    masto = signed_masto
    for name in ("dave", "erin", "frank"):
        masto.add_actor(name)
    gts.add_actor("admin", "gotosocial")
    docs = mastodon_thread(masto, gts)
    dave = masto.actors["dave"]
    await alice_follows(a, masto, dave)
    await send(masto, dave, a, create(dave, docs["root"]))
    root = await stored(a, docs["root"]["id"])

    async with browser(a) as anonymous:
        assert (await anonymous.get(f"/@{dave.handle}/{root.id}")).status == 200
    assert await context_jobs(a) == 0

    async with signed_in(a) as web:
        assert "Asking " + masto.domain in await open_page(web, dave, root)
        # While queued (still said), and again within the cooldown.
        assert "for the rest of this thread" in await open_page(web, dave, root)
        assert await context_jobs(a) == 1
        await settle([a])
        fetches = len(masto.fetches_of(docs["root"]["id"]))
        assert "for the rest of this thread" not in await open_page(web, dave, root)
        assert await context_jobs(a) == 0
        # Fifteen minutes later (Mastodon's FETCH_REPLIES_COOLDOWN_MINUTES) it may go again.
        async with a.app[appkeys.DATABASE].writer.begin() as session:
            await session.execute(update(Status).where(Status.id == root.id).values(
                context_fetched_at=utcnow() - timedelta(minutes=16)))
        await open_page(web, dave, root)
        assert await context_jobs(a) == 1
        await settle([a])
        assert len(masto.fetches_of(docs["root"]["id"])) == fetches + 1


async def test_the_client_api_context_asks_for_the_thread(
        a: Instance, signed_masto: FakeRemote, gts: FakeRemote) -> None:
    masto = signed_masto
    for name in ("dave", "erin", "frank"):
        masto.add_actor(name)
    gts.add_actor("admin", "gotosocial")
    docs = mastodon_thread(masto, gts)
    dave = masto.actors["dave"]
    await alice_follows(a, masto, dave)
    await send(masto, dave, a, create(dave, docs["root"]))
    root = await stored(a, docs["root"]["id"])
    async with ClientSession(connector=TCPConnector(resolver=TestResolver())) as http:
        api = Api(a, http)
        token = await api.user("alice", scopes="read")
        path = f"/api/v1/statuses/{root.id}/context"
        anonymous = await api.get(path)
        assert anonymous.status == 200 and "Mastodon-Async-Refresh" not in anonymous.headers
        assert await context_jobs(a) == 0
        first = await api.get(path, token=token)
        assert first.status == 200 and first.body["descendants"] == []
        assert await context_jobs(a) == 1
        # Mastodon 4.4's async refresh: the header names it, the client polls it.
        refresh = f"context-{root.id}"
        assert first.headers["Mastodon-Async-Refresh"] == f'id="{refresh}", retry=3'
        again = await api.get(path, token=token)  # still queued: still announced
        assert again.headers["Mastodon-Async-Refresh"] == f'id="{refresh}", retry=3'
        polled = await api.get(f"/api/v1_alpha/async_refreshes/{refresh}", token=token)
        assert polled.status == 200 and polled.body == {
            "async_refresh": {"id": refresh, "status": "running", "result_count": None}}
        await settle([a])
        after = await api.get(path, token=token)
        assert "Mastodon-Async-Refresh" not in after.headers
        polled = await api.get(f"/api/v1_alpha/async_refreshes/{refresh}", token=token)
        assert polled.body["async_refresh"]["status"] == "finished"
        for unknown in ("context-1", "nonsense", f"context-{root.id}x"):
            missing = await api.get(f"/api/v1_alpha/async_refreshes/{unknown}", token=token)
            assert missing.status == 404
        assert (await api.get(f"/api/v1_alpha/async_refreshes/{refresh}")).status == 401
    assert {s["uri"] for s in after.body["descendants"]} == {
        docs[n]["id"] for n in ("self", "erin", "far", "frank")}


# --- GoToSocial -------------------------------------------------------------------------------


@pytest.mark.parametrize("replies_by", ["embedded", "url"])
async def test_a_gotosocial_thread_is_walked_page_by_page(
        a: Instance, gts: FakeRemote, replies_by: str) -> None:
    zork, admin = gts.add_actor("the_mighty_zork", "gotosocial"), gts.add_actor(
        "admin", "gotosocial")
    hosts = {"http://localhost:8080": gts.base}
    root = recorded("gotosocial_note.json", hosts)
    collection = recorded("gotosocial_replies_collection.json", hosts)
    first = recorded("gotosocial_replies_page.json", hosts)
    last = recorded("gotosocial_replies_last.json", hosts)
    if replies_by == "url":  # the collection as GoToSocial's /replies endpoint answers it
        root["replies"] = collection["id"]
        gts.serve(collection)
        gts.serve(first, str(collection["first"]))
    else:  # as its Note embeds it: `first` without items, `next` to the replies
        gts.serve(first, root["replies"]["first"]["next"])
    gts.serve(last, first["next"])
    reply = note(admin, id=first["orderedItems"][0], inReplyTo=root["id"],
                 content="<p>hi zork</p>")
    gts.serve(root)
    gts.serve(reply)
    await alice_follows(a, gts, zork)
    await send(gts, zork, a, create(zork, root))
    opened = await stored(a, root["id"])
    async with signed_in(a) as web:
        await open_page(web, zork, opened)
        await settle([a])
    stored_reply = await stored(a, reply["id"])
    assert stored_reply.in_reply_to_id == opened.id and stored_reply.content == "<p>hi zork</p>"
    assert len(gts.fetches_of(first["id"])) == (2 if replies_by == "embedded" else 3)
    assert gts.received("GET") and all(r.status != 401 for r in gts.received("GET"))


# --- the parent chain ---------------------------------------------------------------------------


async def test_opening_a_reply_completes_a_chain_cut_at_the_depth_limit(
        a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    chain: list[dict[str, Any]] = []
    for i in range(25):
        doc = note(dave, content=f"<p>step {i}</p>",
                   **({"inReplyTo": chain[-1]["id"]} if chain else {}))
        masto.serve(doc)
        chain.append(doc)
    reply = note(carol, inReplyTo=chain[-1]["id"])
    await send(masto, carol, a, create(carol, reply))
    assert [await post(a, d["id"]) is not None for d in chain] == [False] * 5 + [True] * 20
    async with signed_in(a) as web:
        await open_page(web, carol, await stored(a, reply["id"]))
        await settle([a])
    rows = [await stored(a, d["id"]) for d in chain]
    assert [r.in_reply_to_id for r in rows] == [None, *(r.id for r in rows[:-1])]
    # Where the chain was cut, the page now shows the posts above.
    seen = await thread(a.services, rows[5].id, "alice")
    assert [s.uri for s in seen.ancestors] == [d["id"] for d in chain[:5]]
    assert all(len(masto.fetches_of(d["id"])) == 1 for d in chain[:5])


# --- bounds and trust ---------------------------------------------------------------------------


async def wide_thread(masto: FakeRemote, replies: int) -> tuple[dict[str, Any],
                                                                list[dict[str, Any]]]:
    """dave's post with `replies` replies by erin, listed by uri two to a page."""
    dave, erin = masto.add_actor("dave"), masto.add_actor("erin")
    root = note(dave)
    collection = f"{root['id']}/replies"
    docs = [note(erin, inReplyTo=root["id"], content=f"<p>reply {i}</p>")
            for i in range(replies)]
    pages = [f"{collection}?page={n}" for n in range(0, replies, 2)]
    for n, url in enumerate(pages):
        masto.serve(page(url, [d["id"] for d in docs[2 * n:2 * n + 2]],
                         pages[n + 1] if n + 1 < len(pages) else None))
    root["replies"] = {"id": collection, "type": "Collection", "first": pages[0]}
    for doc in (root, *docs):
        masto.serve(doc)
    return root, docs


async def test_posts_and_pages_are_bounded(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a", federation={"context_fetch_max_posts": 4,
                                     "context_fetch_max_pages": 10})
    await a.add_user("alice")
    root, docs = await wide_thread(masto, 8)
    dave = masto.actors["dave"]
    await alice_follows(a, masto, dave)
    await send(masto, dave, a, create(dave, root))
    async with signed_in(a) as web:
        await open_page(web, dave, await stored(a, root["id"]))
        await settle([a])
    # The post itself, then three replies: the budget of four posts.
    assert [await post(a, d["id"]) is not None for d in docs] == [True] * 3 + [False] * 5

    b = await start("b", federation={"context_fetch_max_pages": 1})
    await b.add_user("alice")
    masto.forget()
    await alice_follows(b, masto, dave)
    await send(masto, dave, b, create(dave, root))
    async with signed_in(b) as web:
        await open_page(web, dave, await stored(b, root["id"]))
        await settle([b])
    # One page: the first two replies.
    assert [await post(b, d["id"]) is not None for d in docs] == [True] * 2 + [False] * 6
    assert len([r for r in masto.received("GET") if "/replies" in r.path]) == 1


async def test_suspended_domains_are_never_asked_and_collections_speak_for_their_own_replies(
        a: Instance, masto: FakeRemote, gts: FakeRemote) -> None:
    dave, erin = masto.add_actor("dave"), masto.add_actor("erin")
    admin = gts.add_actor("admin", "gotosocial")
    async with FakeRemote("blocked") as blocked:
        mallory = blocked.add_actor("mallory")
        root = note(dave)
        from_blocked = note(mallory, inReplyTo=root["id"])
        blocked.serve(from_blocked)
        elsewhere = note(erin, content="<p>about something else</p>")  # replies to nothing
        genuine = note(admin, inReplyTo=root["id"], content="<p>the real one</p>")
        gts.serve(genuine)
        forged = dict(genuine, content="<p>words put in admin's mouth</p>")
        collection = page(f"{root['id']}/replies?page=true",
                          [from_blocked["id"], elsewhere, forged])
        root["replies"] = {"id": f"{root['id']}/replies", "type": "Collection",
                           "first": collection["id"]}
        for doc in (root, collection, elsewhere):
            masto.serve(doc)
        await domain_blocks.block_domain(a.services, blocked.domain, severity="suspend")
        await alice_follows(a, masto, dave)
        await send(masto, dave, a, create(dave, root))
        async with signed_in(a) as web:
            await open_page(web, dave, await stored(a, root["id"]))
            await settle([a])
        assert blocked.requests == []
    assert await post(a, from_blocked["id"]) is None
    assert await post(a, elsewhere["id"]) is None
    # Embedded by a server that is not its origin: fetched from its origin instead.
    assert (await stored(a, genuine["id"])).content == "<p>the real one</p>"
    assert len(gts.fetches_of(genuine["id"])) == 1


async def test_pages_that_loop_or_lead_elsewhere_end_the_walk(
        a: Instance, masto: FakeRemote, gts: FakeRemote) -> None:
    dave, erin = masto.add_actor("dave"), masto.add_actor("erin")
    root = note(dave)
    replies = [note(erin, inReplyTo=root["id"], content=f"<p>reply {i}</p>") for i in range(2)]
    one, two = f"{root['id']}/replies?page=1", f"{root['id']}/replies?page=2"
    masto.serve(page(one, [replies[0]["id"]], two))
    masto.serve(page(two, [replies[1]["id"]], one))  # back to the first: a circle
    # Another post's collection on this server, and its pages on another host.
    elsewhere = note(dave)
    elsewhere["replies"] = {"type": "Collection", "first": f"{gts.base}/replies?page=1"}
    root["replies"] = {"id": f"{root['id']}/replies", "type": "Collection", "first": one}
    for doc in (root, elsewhere, *replies):
        masto.serve(doc)
    await alice_follows(a, masto, dave)
    for doc in (root, elsewhere):
        await send(masto, dave, a, create(dave, doc))
    async with signed_in(a) as web:
        for doc in (root, elsewhere):
            await open_page(web, dave, await stored(a, doc["id"]))
        await settle([a])
    assert [await post(a, r["id"]) is not None for r in replies] == [True, True]
    # Each page once (both on one path): the circle back to the first is not followed.
    assert [r.path_qs.rpartition("?")[2] for r in masto.fetches_of(one)] == ["page=1", "page=2"]
    assert gts.requests == []  # a page on another host than the post's is never asked
