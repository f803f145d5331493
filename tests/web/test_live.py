"""The web app's live stream, GET /web/stream (server-sent events), over real HTTP on both
databases: each signed-in user hears only what concerns them (their timeline's new posts
under the timeline's own rules, blocks included; their unread count; the counts of the post
they look at; their own generations), heartbeats keep it open, and nobody else gets in.

Events are handed to the process's hub as the bus would (services.hub.deliver); where the
services publish on commit too, a post may be heard twice, so the tests read until what
they expect arrives and prove silence with a later event that must come first."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.handlers.web import live as live_handler
from server.services.social import blocks, filters, follows
from server.services.statuses import favourites, posts
from server.services.streaming.events import StreamEvent
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"
WAIT = 10.0


@dataclass(frozen=True)
class Message:
    event: str
    data: dict[str, Any]


class Stream:
    """An open /web/stream, read a message at a time (comments kept as event ":")."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.seen: list[Message] = []

    async def next(self, *, comments: bool = False) -> Message:
        event, data = "message", ""
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), WAIT)
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line.startswith(":"):
                if comments:
                    return Message(":", {"comment": line[1:].strip()})
                continue
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data += line[len("data: "):]
            elif line == "" and data:
                return Message(event, json.loads(data))

    async def until(self, event: str) -> Message:
        """The next message named `event` not heard before on this stream (others skipped:
        a post published on commit and delivered by the test is heard twice)."""
        while True:
            message = await self.next()
            if message.event == event and message not in self.seen:
                self.seen.append(message)
                return message


@asynccontextmanager
async def stream(user: Browser, query: str = "") -> AsyncIterator[Stream]:
    async with user.session.get(f"{user.instance.base}/web/stream{query}",
                                allow_redirects=False) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/event-stream")
        yield Stream(response)


async def _post(a: Instance, username: str, account_id: int, caption: str,
                visibility: str = "public") -> tuple[posts.StatusView, StreamEvent]:
    """A post, and the event the bus carries for it."""
    [media] = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, visibility=visibility))
    return view, StreamEvent("update", account_id=account_id, status_id=view.id,
                             visibility=visibility, local=True)


@asynccontextmanager
async def signed_in(a: Instance, username: str) -> AsyncIterator[Browser]:
    async with browser(a) as user:
        page = await user.sign_in(username, PASSWORD)
        assert page.status == 303, page.text[:300]
        yield user


async def test_timeline_events_follow_the_timelines_rules(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    carol = await a.add_user("carol")
    dave = await a.add_user("dave")
    await follows.follow(a.services, "carol", a.handle("alice"))
    await blocks.block(a.services, "carol", a.handle("bob"))
    hub = a.services.hub
    async with signed_in(a, "carol") as carol_web, signed_in(a, "dave") as dave_web, \
            stream(carol_web, "?timeline=home") as carol_home, \
            stream(carol_web, "?timeline=federated") as carol_federated, \
            stream(carol_web, "?timeline=local") as carol_local, \
            stream(dave_web, "?timeline=home") as dave_home:
        # bob, whom carol blocks, posts: nothing on her public timelines.
        _, bob_event = await _post(a, "bob", bob.account_id, "Blocked boat")
        hub.deliver(bob_event)
        # alice, whom carol follows, posts: all of carol's timelines hear it, bob's first.
        boat, alice_event = await _post(a, "alice", alice.account_id, "Paper boat")
        hub.deliver(alice_event)
        for timeline in (carol_federated, carol_local, carol_home):
            assert (await timeline.until("timeline")).data == {"status_id": str(boat.id)}
        # A followers-only post reaches carol's home, not her public timelines.
        private, private_event = await _post(a, "alice", alice.account_id, "For followers",
                                             visibility="private")
        hub.deliver(private_event)
        assert (await carol_home.until("timeline")).data == {"status_id": str(private.id)}
        # Her own post is in her home too.
        mine, carol_event = await _post(a, "carol", carol.account_id, "My kite")
        hub.deliver(carol_event)
        assert (await carol_home.until("timeline")).data == {"status_id": str(mine.id)}
        assert (await carol_federated.until("timeline")).data == {"status_id": str(mine.id)}
        # A post carol's "hide" filter matches stays off her timelines.
        await filters.add_filter(a.services, "carol", "spoilers", contexts=("home", "public"))
        _, hidden_event = await _post(a, "alice", alice.account_id, "Big spoilers inside")
        hub.deliver(hidden_event)
        shown, shown_event = await _post(a, "alice", alice.account_id, "No secrets here")
        hub.deliver(shown_event)
        assert (await carol_home.until("timeline")).data == {"status_id": str(shown.id)}
        assert (await carol_federated.until("timeline")).data == {"status_id": str(shown.id)}
        # dave follows nobody: the first post his home hears is his own.
        own, own_event = await _post(a, "dave", dave.account_id, "Dave's")
        hub.deliver(own_event)
        assert (await dave_home.until("timeline")).data == {"status_id": str(own.id)}


async def test_hashtag_timeline(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    hub = a.services.hub
    async with signed_in(a, "carol") as carol_web, \
            stream(carol_web, "?timeline=tag:Boats") as boats:
        _, other = await _post(a, "alice", alice.account_id, "A kite #kites")
        hub.deliver(replace(other, tags=("kites",)))
        tagged, event = await _post(a, "alice", alice.account_id, "A boat #boats")
        hub.deliver(replace(event, tags=("boats",)))
        assert (await boats.until("timeline")).data == {"status_id": str(tagged.id)}


async def test_notifications_counts_and_generations_reach_their_user(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = await a.add_user("carol")
    dave = await a.add_user("dave")
    boat, _ = await _post(a, "carol", carol.account_id, "Paper boat")
    hub = a.services.hub
    async with signed_in(a, "carol") as carol_web, signed_in(a, "dave") as dave_web, \
            stream(carol_web) as carol_stream, \
            stream(dave_web, f"?post={boat.id}") as dave_post:
        # alice likes carol's post: carol's unread count, and the counts dave looks at.
        await favourites.favourite(a.services, "alice", str(boat.id))
        hub.deliver(StreamEvent("notification", account_id=carol.account_id,
                                notification_id=1))
        assert (await carol_stream.until("notifications")).data == {"unread": 1}
        assert (await dave_post.until("counts")).data == {
            "post_id": str(boat.id), "replies_count": 0, "favourites_count": 1,
            "reblogs_count": 0}
        # Generations: each user hears only their own.
        hub.deliver(StreamEvent("dreamfeed.generation", account_id=carol.account_id,
                                generation_id=7, state="running"))
        hub.deliver(StreamEvent("dreamfeed.generation", account_id=dave.account_id,
                                generation_id=8, state="done"))
        assert (await carol_stream.until("generation")).data == {
            "generation_id": "7", "state": "running"}
        # dave heard neither carol's notification nor her generation: his next message
        # (after the counts) is his own generation.
        assert await dave_post.next() == Message(
            "generation", {"generation_id": "8", "state": "done"})


async def test_heartbeats_and_refusals(start: StartInstance,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live_handler, "HEARTBEAT_SECONDS", 0.2)
    a = await start("a")
    await a.add_user("alice")
    carol = await a.add_user("carol")
    # carol's followers-only post: not alice's to watch.
    secret, _ = await _post(a, "carol", carol.account_id, "Secret", visibility="private")
    async with browser(a) as visitor, visitor.session.get(f"{a.base}/web/stream",
                                   allow_redirects=False) as response:
        assert response.status == 401
    async with signed_in(a, "alice") as alice_web:
        async with stream(alice_web) as alice_stream:
            assert await alice_stream.next(comments=True) == Message(
                ":", {"comment": "heartbeat"})
        for query, status in (("?timeline=mine", 400), ("?post=nope", 400),
                              ("?post=123456", 404), (f"?post={secret.id}", 404)):
            async with alice_web.session.get(f"{a.base}/web/stream{query}",
                                             allow_redirects=False) as response:
                assert response.status == status, query


# --- in Chromium -----------------------------------------------------------------------------


async def _live(page: Any) -> None:
    """Until the page's stream is open (app.js marks <html class="live">)."""
    await page.locator("html.live").wait_for(state="attached", timeout=WAIT * 1000)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_live_pill_badge_and_counts_in_chromium(start: StartInstance, chromium: Any,
                                                      artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    carol = await a.add_user("carol")
    await a.add_user("bob")
    await follows.follow(a.services, "carol", a.handle("alice"))
    older, _ = await _post(a, "alice", alice.account_id, "An older boat")
    hub = a.services.hub
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    await sign_in_page(page, a.base, "carol")
    await page.goto(f"{a.base}/home")
    await _live(page)
    # Scrolled down a little: the pill must not move what she reads.
    await page.evaluate("window.scrollTo(0, 200)")
    top_before = await page.locator(f"article#post-{older.id}").evaluate(
        "el => el.getBoundingClientRect().top")

    # alice posts: a pill, the feed unchanged until carol presses it.
    boat, event = await _post(a, "alice", alice.account_id, "A brand new boat")
    hub.deliver(event)
    pill = page.get_by_role("button", name="1 new post")
    await pill.wait_for(timeout=WAIT * 1000)
    assert await page.locator(f"article#post-{boat.id}").count() == 0
    assert await page.locator(f"article#post-{older.id}").evaluate(
        "el => el.getBoundingClientRect().top") == top_before
    kite, event = await _post(a, "alice", alice.account_id, "And a kite")
    hub.deliver(event)
    await page.get_by_role("button", name="2 new posts").wait_for(timeout=WAIT * 1000)
    await screenshot(page, artifacts, "live-pill")
    await page.get_by_role("button", name="2 new posts").click()
    await page.locator(f"article#post-{boat.id}").wait_for(timeout=WAIT * 1000)
    ids = await page.locator("article.post-card").evaluate_all("els => els.map(e => e.id)")
    assert ids[:3] == [f"post-{kite.id}", f"post-{boat.id}", f"post-{older.id}"]
    assert "A brand new boat" in await page.locator(f"article#post-{boat.id}").inner_text()
    assert not await page.locator(".new-posts").is_visible()

    # A notification arrives (alice likes carol's post): the badge shows it, page unchanged.
    mine, _ = await _post(a, "carol", carol.account_id, "Carol's boat")
    nav_link = page.get_by_role("navigation", name="Main").locator('a[href="/notifications"]')
    assert await nav_link.locator(".unread-badge").count() == 0
    await favourites.favourite(a.services, "alice", str(mine.id))
    hub.deliver(StreamEvent("notification", account_id=carol.account_id, notification_id=1))
    await nav_link.locator(".unread-badge").wait_for(timeout=WAIT * 1000)
    assert await nav_link.locator(".unread-badge").inner_text() == "1"
    assert (await nav_link.text_content() or "").endswith("Notifications, 1 unread")

    # On alice's post page, carol sees bob's like counted as it comes.
    await page.goto(f"{a.base}/@alice/{boat.id}")
    await _live(page)
    likes = page.locator(f'article#post-{boat.id} [data-count="favourites_count"]')
    assert await likes.inner_text() == "0"
    await favourites.favourite(a.services, "bob", str(boat.id))
    hub.deliver(StreamEvent("notification", account_id=alice.account_id, notification_id=2))
    await page.locator(f'article#post-{boat.id} [data-count="favourites_count"]'
                       ':text-is("1")').wait_for(timeout=WAIT * 1000)
    assert refused == []
    await context.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_generation_progress_from_the_stream_in_chromium(start: StartInstance,
                                                               chromium: Any) -> None:
    """No job worker runs here: the generation waits queued until the test runs it. While the
    stream is open the page polls only every 5 s; the stream's event brings the results."""
    a = await start("a", generator={"size": "256x256"})
    alice = await a.add_user("alice")
    page = await chromium.new_page(viewport=DESKTOP)
    polls: list[float] = []
    page.on("request", lambda request: polls.append(time.monotonic())
            if re.search(r"/compose/generations/\d+", request.url)
            and request.headers.get("accept") == "application/json" else None)
    await sign_in_page(page, a.base, "alice")
    await page.goto(f"{a.base}/compose")
    await page.fill("#prompt", "a lighthouse at dusk")
    await page.click("#generate-form button[type=submit]")
    status = page.locator("#gen-status")
    await status.wait_for()
    await _live(page)
    assert await status.get_attribute("data-state") == "queued"
    generation_id = int(await status.get_attribute("data-generation") or 0)
    # Live, it polls seldom: at most one poll in 3 s (it polled every second before).
    since = time.monotonic()
    await asyncio.sleep(3)
    assert len([t for t in polls if t > since]) <= 1
    assert await a.run_jobs() >= 1
    hub_event = StreamEvent("dreamfeed.generation", account_id=alice.account_id,
                            generation_id=generation_id, state="done")
    delivered = time.monotonic()
    a.services.hub.deliver(hub_event)
    await page.locator("#post-form").wait_for(timeout=WAIT * 1000)
    # The results came with the event, not with the next 5-second poll.
    assert time.monotonic() - delivered < 4
    assert await page.locator("#gen-status").get_attribute("data-state") == "done"
    await page.close()
