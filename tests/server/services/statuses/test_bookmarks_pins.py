"""Bookmarks and pins as services (the web app's buttons and the client API share them):
saves of visible statuses paged newest first, pins with Mastodon's rules and limit."""

from __future__ import annotations

import pytest

from server.services.errors import InvalidInput, NotFound
from server.services.statuses import bookmarks, pins, posts
from storage.pagination import Page
from tests.federation.conftest import StartInstance


async def test_bookmarks_and_pins(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    services = a.services
    made = []
    for n in range(6):
        [media] = await a.make_images(alice.account_id, f"a lighthouse {n}")
        made.append((await posts.create_status(
            services, "alice", posts.NewStatus(media_ids=[media], caption=f"light {n}"))).id)
    [media] = await a.make_images(alice.account_id, "a secret")
    hidden = (await posts.create_status(services, "alice", posts.NewStatus(
        media_ids=[media], caption="for followers", visibility="private"))).id

    # bob saves three, one twice; the followers-only status does not exist for him
    for status_id in (made[0], made[1], made[2], made[1]):
        assert await bookmarks.bookmark(services, "bob", status_id) == status_id
    with pytest.raises(NotFound):
        await bookmarks.bookmark(services, "bob", hidden)
    saved = await bookmarks.bookmarked_page(services, "bob", Page(limit=2))
    assert [s.status_id for s in saved] == [made[2], made[1]]
    older = await bookmarks.bookmarked_page(services, "bob", Page(max_id=saved[-1].id))
    assert [s.status_id for s in older] == [made[0]]
    assert await bookmarks.bookmarked_among(services, "bob", made) == set(made[:3])
    assert await bookmarks.unbookmark(services, "bob", made[1]) == made[1]
    assert await bookmarks.unbookmark(services, "bob", made[1]) == made[1]
    assert await bookmarks.bookmarked_among(services, "bob", made) == {made[0], made[2]}
    await posts.delete_status(services, "alice", made[0])
    saved = await bookmarks.bookmarked_page(services, "bob", Page())
    assert [s.status_id for s in saved] == [made[2]]

    # pins: her own, newest pin first, at most five, followers-only ones shown to followers
    with pytest.raises(InvalidInput, match="Someone else's post"):
        await pins.pin(services, "bob", made[2])
    await pins.pin(services, "alice", hidden)
    for status_id in made[1:5]:
        await pins.pin(services, "alice", status_id)
    await pins.pin(services, "alice", made[4])  # again: nothing changes
    with pytest.raises(InvalidInput, match="maximum number"):
        await pins.pin(services, "alice", made[5])
    assert await pins.pinned_ids(services, "alice", alice.account_id) == [
        made[4], made[3], made[2], made[1], hidden]
    assert await pins.pinned_ids(services, "alice", bob.account_id) == [
        made[4], made[3], made[2], made[1]]
    assert await pins.pinned_ids(services, "alice") == [made[4], made[3], made[2], made[1]]
    await pins.unpin(services, "alice", made[3])
    await pins.unpin(services, "alice", made[3])
    await pins.pin(services, "alice", made[5])
    assert await pins.pinned_ids(services, "alice") == [made[5], made[4], made[2], made[1]]
