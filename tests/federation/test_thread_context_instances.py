"""Opening a post from another Dreamfeed instance fetches the replies its author's followers
never received (issue 18, Threads), through that instance's own `replies` collections (the
Note's embedded first page of self-replies, then the pages of everyone else's), over real
HTTP between two instances, on both databases."""

from __future__ import annotations

from server.services.social import follows
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.harness import settle
from tests.federation.interactions_helpers import post
from tests.server.web_helpers import browser


async def test_a_dreamfeed_thread_is_fetched_from_its_instance(start: StartInstance) -> None:
    a, b = await start("a"), await start("b")
    await a.add_user("alice")
    bob = await b.add_user("bob")
    for name in ("carol", "dan"):
        await b.add_user(name)
    await follows.follow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    media = await b.make_images(bob.account_id, "a violet sea")
    root = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=media, caption="Moons over a violet sea"))
    own = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=[], caption="made with Euler a", in_reply_to=str(root.id)))
    carol = await posts.create_status(b.services, "carol", posts.NewStatus(
        media_ids=[], caption="the glow on the water!", in_reply_to=str(root.id)))
    dan = await posts.create_status(b.services, "dan", posts.NewStatus(
        media_ids=[], caption="agreed, the glow", in_reply_to=str(carol.id)))
    await settle([a, b])
    # bob's followers got his posts; the others' replies never came to alice's server.
    here = await post(a, root.uri)
    assert here is not None and await post(a, own.uri) is not None
    assert await post(a, carol.uri) is None and await post(a, dan.uri) is None

    async with browser(a) as web:
        assert (await web.sign_in("alice", "correct horse")).status == 303
        assert (await web.get(f"/@{b.handle('bob')}/{here.id}")).status == 200
        await settle([a, b])
        carol_here, dan_here = await post(a, carol.uri), await post(a, dan.uri)
        assert carol_here is not None and carol_here.in_reply_to_id == here.id
        assert dan_here is not None and dan_here.in_reply_to_id == carol_here.id
        page = await web.get(f"/@{b.handle('bob')}/{here.id}")
    assert "the glow on the water!" in page.text and "agreed, the glow" in page.text
