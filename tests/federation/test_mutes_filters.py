"""Mutes and phrase filters through the real services on real databases (both kinds): what a
mute hides and where (home, public, hashtag, threads, notifications; never the profile),
expiry, and filters by phrase and #hashtag with their contexts, actions and expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from server import appkeys
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.reading import timelines
from server.services.social import filters, follows, mutes
from server.services.social.notifications import list_notifications
from server.services.statuses import posts
from storage.models import Filter, Mute, Status
from storage.pagination import Page
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance


async def _post(a: Instance, username: str, account_id: int, caption: str,
                **kwargs: Any) -> int:
    media = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=media, caption=caption, **kwargs))
    return view.id


async def _boost(a: Instance, account_id: int, status_id: int) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Status(uri=f"{a.base}/boosts/{status_id}", account_id=account_id,
                           reblog_of_id=status_id))


async def _expire(a: Instance, model: Any) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(model).values(expires_at=utcnow() - timedelta(seconds=1)))


def _ids(items: list[timelines.TimelineItem]) -> list[int]:
    return [item.status_id for item in items]


async def _everything(a: Instance, viewer: str) -> dict[str, list[int]]:
    """Each place a post can show, as `viewer` sees it."""
    return {
        "home": _ids(await timelines.home(a.services, viewer, Page())),
        "local": _ids(await timelines.local(a.services, Page(), viewer=viewer)),
        "federated": _ids(await timelines.federated(a.services, Page(), viewer=viewer)),
        "tag": _ids(await timelines.hashtag(a.services, "aigenerated", Page(), viewer=viewer)),
    }


async def test_mute_hides_everywhere_but_the_profile(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    carol = await a.add_user("carol")
    for name in ("bob", "carol"):
        await follows.follow(a.services, "alice", f"{name}@{a.domain}")
    mine = await _post(a, "alice", alice.account_id, "Alice at sea")
    bobs = await _post(a, "bob", bob.account_id, "Bob in the woods")
    reply = await _post(a, "bob", bob.account_id, "nice one", in_reply_to=str(mine))
    carols = await _post(a, "carol", carol.account_id, "Carol on a hill")
    await _boost(a, carol.account_id, bobs)  # carol boosts bob
    before = await _everything(a, "alice")
    assert bobs in before["home"] and reply in before["home"]
    assert {"reply"} <= {n.type for n in await list_notifications(a.services, "alice", Page())}

    view = await mutes.mute(a.services, "alice", "bob")
    assert view.hide_notifications and view.expires_at is None
    muted = await _everything(a, "alice")
    for place, ids in muted.items():
        assert bobs not in ids and reply not in ids, place
        assert carols in ids and mine in ids, place
    assert (await timelines.thread(a.services, mine, viewer="alice")).descendants == []
    assert await list_notifications(a.services, "alice", Page()) == \
        await timelines.notifications(a.services, "alice", Page()) == []
    # bob's own profile still shows him; others are unaffected
    assert set(_ids(await timelines.profile(a.services, "bob", Page(), viewer="alice"))) == \
        {bobs, reply}
    assert bobs in (await _everything(a, "carol"))["local"]
    assert [m.handle for m in await mutes.list_mutes(a.services, "alice")] == \
        [f"bob@{a.domain}"]

    # keeping notifications: the mute still hides posts, not notifications
    await mutes.mute(a.services, "alice", "bob", notifications=False, duration=3600)
    assert [n.type for n in await list_notifications(a.services, "alice", Page())] == \
        ["reply"]
    assert bobs not in (await _everything(a, "alice"))["home"]

    # an expired mute stops applying at once
    await _expire(a, Mute)
    assert await _everything(a, "alice") == before
    assert await mutes.list_mutes(a.services, "alice") == []
    with pytest.raises(NotFound):
        await mutes.unmute(a.services, "alice", "bob")

    await mutes.mute(a.services, "alice", "bob")
    await mutes.unmute(a.services, "alice", "bob")
    assert await _everything(a, "alice") == before
    with pytest.raises(InvalidInput):
        await mutes.mute(a.services, "alice", "bob", duration=-5)
    with pytest.raises(ServiceError, match="itself"):
        await mutes.mute(a.services, "alice", "alice")
    with pytest.raises(NotFound):
        await mutes.mute(a.services, "alice", "nobody")


async def test_filters_hide_warn_contexts_and_expiry(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    bob = await a.add_user("bob")
    await follows.follow(a.services, "alice", f"bob@{a.domain}")
    cats = await _post(a, "bob", bob.account_id, "Concatenated cats")
    fox = await _post(a, "bob", bob.account_id, "A fox", alt_texts=["a red fox in snow"])
    assert set(_ids(await timelines.home(a.services, "alice", Page()))) == {cats, fox}

    # every Dreamfeed post carries #AIGenerated: a hide filter on it empties home
    ai = await filters.add_filter(a.services, "alice", "#AIGenerated")
    assert ai.contexts == filters.CONTEXTS and ai.action == "hide" and ai.whole_word
    for place, ids in (await _everything(a, "alice")).items():
        assert ids == [], place
    assert await timelines.profile(a.services, "bob", Page(), viewer="alice") == []
    # only alice's: bob and logged-out readers still see them
    assert set(_ids(await timelines.local(a.services, Page()))) == {cats, fox}
    await filters.remove_filter(a.services, "alice", ai.id)

    # whole word vs substring, matched in text and in alt text; warn keeps and marks
    await filters.add_filter(a.services, "alice", "cat", action="warn")
    await filters.add_filter(a.services, "alice", "snow", action="warn", contexts=["home"])
    home = {i.status_id: i.filtered for i in await timelines.home(a.services, "alice", Page())}
    assert home == {cats: (), fox: ("snow",)}
    sub = await filters.add_filter(a.services, "alice", "cat", action="warn",
                                   whole_word=False)
    home = {i.status_id: i.filtered for i in await timelines.home(a.services, "alice", Page())}
    assert home == {cats: ("cat",), fox: ("snow",)}
    # contexts: "snow" is for home only
    local = {i.status_id: i.filtered
             for i in await timelines.local(a.services, Page(), viewer="alice")}
    assert local == {cats: ("cat",), fox: ()}
    await filters.remove_filter(a.services, "alice", sub.id)

    # a thread keeps the post it is opened on, but hides filtered replies
    reply = await _post(a, "bob", bob.account_id, "more foxes", in_reply_to=str(fox))
    await filters.add_filter(a.services, "alice", "foxes", contexts=["thread"])
    view = await timelines.thread(a.services, fox, viewer="alice")
    assert view.descendants == [] and view.status.status_id == fox
    assert reply in _ids(await timelines.home(a.services, "alice", Page()))
    opened = await timelines.thread(a.services, reply, viewer="alice")
    assert opened.status.status_id == reply and _ids(opened.ancestors) == [fox]

    # notifications context, and expiry
    await _post(a, "bob", bob.account_id, f"@alice@{a.domain} rude words")
    await filters.add_filter(a.services, "alice", "rude", contexts=["notifications"])
    assert await list_notifications(a.services, "alice", Page()) == []
    assert await timelines.notifications(a.services, "alice", Page()) == []
    await _expire(a, Filter)
    assert [n.type for n in await list_notifications(a.services, "alice", Page())] == \
        ["mention"]
    assert all(f.expired for f in await filters.list_filters(a.services, "alice"))
    view = await timelines.thread(a.services, fox, viewer="alice")
    assert _ids(view.descendants) == [reply]

    # bad input
    for kwargs in ({"phrase": " "}, {"phrase": "x", "contexts": ["inbox"]},
                   {"phrase": "x", "contexts": []}, {"phrase": "x", "action": "drop"},
                   {"phrase": "x", "expires_in": 0}, {"phrase": "x" * 300}):
        with pytest.raises(InvalidInput):
            await filters.add_filter(a.services, "alice", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await filters.remove_filter(a.services, "bob", ai.id + 1)


async def test_a_hidden_page_is_topped_up_from_older_posts(start: StartInstance) -> None:
    a = await start("a")
    bob = await a.add_user("bob")
    await a.add_user("alice")
    await follows.follow(a.services, "alice", f"bob@{a.domain}")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        for n in range(30):  # 5 plain posts, then 25 newer ones the filter hides
            text = f"plain {n}" if n < 5 else f"spam {n}"
            row = Status(uri=f"{a.base}/s/{n}", account_id=bob.account_id,
                         content=f"<p>{text}</p>")
            session.add(row)
            await session.flush()
    await filters.add_filter(a.services, "alice", "spam", contexts=["home", "public"])
    home = await timelines.home(a.services, "alice", Page(limit=10))
    assert [i.text for i in home] == [f"plain {n}" for n in range(4, -1, -1)]
    local = await timelines.local(a.services, Page(limit=3), viewer="alice")
    assert [i.text for i in local] == ["plain 4", "plain 3", "plain 2"]
