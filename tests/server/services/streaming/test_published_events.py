"""What the services publish, end to end between two instances (each its own process's
bus): a local post, its edit, boost and delete; the remote copies arriving on the other
instance; notifications; filters; generation progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from server.services.generation import generate
from server.services.social import filters
from server.services.social.follows import follow
from server.services.statuses import boosts, posts
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Subscription
from tests.federation.conftest import StartInstance
from tests.federation.harness import settle


async def _expect(subscription: Subscription, wanted: Callable[[StreamEvent], bool],
                  seen: list[StreamEvent]) -> StreamEvent:
    """The first event matching `wanted` (others are kept in `seen`)."""
    async with asyncio.timeout(10):
        while True:
            event = await subscription.get()
            seen.append(event)
            if wanted(event):
                return event


async def test_posts_boosts_notifications_and_filters_are_published(
        start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    bob = await b.add_user("bob")
    await follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    async with a.services.hub.subscribe() as on_a, b.services.hub.subscribe() as on_b:
        seen: list[StreamEvent] = []
        post = await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=await a.make_images(alice.account_id, "a harbour"),
            caption="the #harbour at dawn"))
        created = await _expect(on_a, lambda e: e.kind == "update", seen)
        assert created == StreamEvent(
            "update", account_id=alice.account_id, status_id=post.id, visibility="public",
            local=True, tags=("aigenerated", "harbour"))
        await settle([a, b])
        arrived = await _expect(on_b, lambda e: e.kind == "update", seen)
        assert arrived.local is False and arrived.tags == ("aigenerated", "harbour")
        assert arrived.account_id != alice.account_id  # b's row for alice
        remote_id = arrived.status_id
        assert remote_id is not None

        await posts.edit_status(a.services, "alice", post.id, caption="the harbour at noon")
        edited = await _expect(on_a, lambda e: e.kind == "status.update", seen)
        assert edited.status_id == post.id and edited.tags == ("aigenerated",)
        await settle([a, b])
        assert (await _expect(on_b, lambda e: e.kind == "status.update", seen)).status_id \
            == remote_id

        # bob boosts alice's post on b: an update for the boost there; alice is told on a
        await boosts.boost(b.services, "bob", str(remote_id))
        boosted = await _expect(on_b, lambda e: e.kind == "update", seen)
        assert boosted.reblog_of_id == remote_id and boosted.account_id == bob.account_id
        await settle([a, b])
        remote_boost = await _expect(on_a, lambda e: e.kind == "update", seen)
        assert remote_boost.reblog_of_id == post.id and remote_boost.local is False
        told = await _expect(on_a, lambda e: e.kind == "notification", seen)
        assert told.account_id == alice.account_id and told.notification_id is not None

        # the undone boost is a delete of the boost row, on both sides
        await boosts.unboost(b.services, "bob", str(remote_id))
        assert (await _expect(on_b, lambda e: e.kind == "delete", seen)).status_id \
            == boosted.status_id
        await settle([a, b])
        assert (await _expect(on_a, lambda e: e.kind == "delete", seen)).status_id \
            == remote_boost.status_id

        await posts.delete_status(a.services, "alice", post.id)
        assert await _expect(on_a, lambda e: e.kind == "delete", seen) == StreamEvent(
            "delete", account_id=alice.account_id, status_id=post.id, visibility="public")
        await settle([a, b])
        assert (await _expect(on_b, lambda e: e.kind == "delete", seen)).status_id == remote_id

        added = await filters.add_filter(b.services, "bob", "spoilers")
        changed = StreamEvent("filters_changed", account_id=bob.account_id)
        assert await _expect(on_b, lambda e: e.kind == "filters_changed", seen) == changed
        await filters.update_filter(b.services, "bob", added.id,
                                    filters.FilterChange(action="warn"))
        assert await _expect(on_b, lambda e: e.kind == "filters_changed", seen) == changed
        await filters.remove_filter(b.services, "bob", added.id)
        assert await _expect(on_b, lambda e: e.kind == "filters_changed", seen) == changed

        # each event once per hub, though every one also went round the bus
        assert len(seen) == len({(id(e), e) for e in seen})
        assert [e for e in seen if e.kind == "update" and e.status_id == post.id] == [created]


async def test_generation_progress_is_published(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    async with a.services.hub.subscribe() as on_a:
        seen: list[StreamEvent] = []
        view = await generate.request_generation(a.services, alice.account_id, "a lighthouse")
        assert await _expect(on_a, lambda e: e.kind == "dreamfeed.generation", seen) == \
            StreamEvent("dreamfeed.generation", account_id=alice.account_id,
                        generation_id=view.id, state="queued")
        await a.run_jobs()  # a job worker's events go out on the same bus
        states = [(await _expect(on_a, lambda e: e.kind == "dreamfeed.generation", seen)).state
                  for _ in range(2)]
        assert states == ["running", "done"]
