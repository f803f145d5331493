"""A batch of received activities reads its actors' accounts and the posts its Likes and
Announces name once (batch_lookups); what each activity decides is what it decided when it
read them itself."""

from __future__ import annotations

from sqlalchemy import func, select

from server import appkeys
from server.services.federation.inbound import inbox_apply
from storage.models import Favourite
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeRemote
from tests.federation.interactions_helpers import fresh, local_post, received_in_inbox


async def test_likes_in_one_batch(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    mine = await local_post(a, "alice")
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    ids = await received_in_inbox(a, masto, [
        (carol, carol.activity("Like", mine.uri)),
        (dave, dave.activity("Like", f"{a.base}/users/alice/statuses/1")),  # no such post
        (carol, carol.activity("Like", mine.uri)),  # again, under another id
        (dave, dave.activity("Like", mine.uri)),
    ])
    outcomes = await inbox_apply.apply_many(a.services, ids)
    assert outcomes == ["liked", "ignored: no such local post", "ignored: already liked",
                        "liked"]
    assert (await fresh(a, mine)).favourites_count == 2
    async with a.app[appkeys.DATABASE].reader() as session:
        assert (await session.execute(select(func.count()).select_from(Favourite))
                ).scalar_one() == 2


async def test_an_actor_updated_earlier_in_the_batch_is_read_again(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    mine = await local_post(a, "alice")
    carol = masto.add_actor("carol")
    moved = f"{carol.id}/fans"
    # carol is known here first (an Update of an actor we never stored is not kept).
    await received_in_inbox(a, masto, [(carol, carol.activity("Like", f"{a.base}/users/alice/x"))])
    await a.run_jobs()
    # The boost is addressed to carol's followers collection as her Update just gave it:
    # read from the batch's copy of her account (the old collection), it would be a boost
    # addressed to nobody.
    ids = await received_in_inbox(a, masto, [
        (carol, carol.activity("Update", {**carol.document(), "followers": moved})),
        (carol, carol.activity("Announce", mine.uri, to=[moved])),
    ])
    assert await inbox_apply.apply_many(a.services, ids) == ["profile updated", "boosted"]
    assert (await fresh(a, mine)).reblogs_count == 1


async def test_a_boost_of_a_post_we_do_not_have(start: StartInstance,
                                                masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    ids = await received_in_inbox(a, masto, [
        (carol, carol.activity("Announce", f"{a.base}/users/alice/statuses/7",
                               to=[AS_PUBLIC])),
    ])
    assert await inbox_apply.apply_many(a.services, ids) == [
        "ignored: boost of a post we do not have"]
