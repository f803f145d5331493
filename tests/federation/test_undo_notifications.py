"""An undone like or boost takes its notification with it (issue 18: they stayed), as
Mastodon (a favourite's or reblog's notification is destroyed with it) and Takahē do:
Mastodon's recorded Undo payloads from a fake Mastodon server, a Dreamfeed instance's
unfavourite and unboost across real HTTP, and the same here between two local users."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.services.social import follows
from server.services.statuses import boosts, favourites, posts
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import local_post, notices, send

DATA = Path(__file__).parent.parent / "data" / "mastodon"


def _recorded(name: str, actor: FakeActor, obj: str, obj_author: str) -> dict[str, Any]:
    text = (DATA / name).read_text()
    for key, value in (("{ACTOR}", actor.id), ("{OBJECT_AUTHOR}", obj_author),
                       ("{OBJECT}", obj)):
        text = text.replace(key, value)
    doc: dict[str, Any] = json.loads(text)
    doc.pop("_source")
    return doc


async def test_mastodon_undo_like_and_undo_announce_remove_their_notifications(
        a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    carol = masto.add_actor("carol")
    undo_like = _recorded("undo_like.json", dave, mine.uri, a.actor("alice"))
    undo_announce = _recorded("undo_announce.json", dave, mine.uri, a.actor("alice"))
    # The Like and the Announce those Undos take back, as Mastodon sent them first.
    like = {"@context": undo_like["@context"], **undo_like["object"]}
    announce = {"@context": undo_announce["@context"], **undo_announce["object"]}
    assert (await send(masto, dave, a, like)).error == "liked"
    assert (await send(masto, dave, a, announce)).error == "boosted"
    assert (await send(masto, carol, a, carol.activity("Like", mine.uri))).error == "liked"
    assert sorted(await notices(a)) == [("favourite", carol.handle, mine.uri),
                                        ("favourite", dave.handle, mine.uri),
                                        ("reblog", dave.handle, mine.uri)]

    assert (await send(masto, dave, a, undo_like)).error == "like undone"
    assert sorted(await notices(a)) == [("favourite", carol.handle, mine.uri),
                                        ("reblog", dave.handle, mine.uri)]
    assert (await send(masto, dave, a, undo_announce)).error == "boost undone"
    # carol's like stands, and so does its notification.
    assert await notices(a) == [("favourite", carol.handle, mine.uri)]


async def test_a_delete_of_a_boost_removes_its_notification(
        a: Instance, masto: FakeRemote) -> None:
    """Some servers send a Delete of the Announce's status in place of an Undo."""
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    announce = dave.activity("Announce", mine.uri, to=[AS_PUBLIC],
                             cc=[a.actor("alice"), f"{dave.id}/followers"])
    assert (await send(masto, dave, a, announce)).error == "boosted"
    assert await notices(a) == [("reblog", dave.handle, mine.uri)]
    row = await send(masto, dave, a, dave.activity("Delete", announce["id"], to=[AS_PUBLIC]))
    assert row.state == "applied", row.error
    assert await notices(a) == []


async def test_unfavourite_and_unboost_from_another_instance(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    media = await a.make_images(alice.account_id, "a comet over the sea")
    post = await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=media))
    await settle([a, b])

    await favourites.favourite(b.services, "bob", post.uri)
    await boosts.boost(b.services, "bob", post.uri)
    await settle([a, b])
    assert sorted(await notices(a)) == [("favourite", b.handle("bob"), post.uri),
                                        ("follow", b.handle("bob"), None),
                                        ("reblog", b.handle("bob"), post.uri)]

    await favourites.unfavourite(b.services, "bob", post.uri)
    await boosts.unboost(b.services, "bob", post.uri)
    await settle([a, b])
    assert await notices(a) == [("follow", b.handle("bob"), None)]


async def test_local_unfavourite_and_unboost(a: Instance) -> None:
    mine = await local_post(a, "alice")
    await a.add_user("carol")
    await favourites.favourite(a.services, "carol", mine.uri)
    await boosts.boost(a.services, "carol", mine.uri)
    assert sorted(await notices(a)) == [("favourite", a.handle("carol"), mine.uri),
                                        ("reblog", a.handle("carol"), mine.uri)]
    await favourites.unfavourite(a.services, "carol", mine.uri)
    assert await notices(a) == [("reblog", a.handle("carol"), mine.uri)]
    await boosts.unboost(a.services, "carol", mine.uri)
    assert await notices(a) == []
    # Liked again: a new notification, as for a first like.
    await favourites.favourite(a.services, "carol", mine.uri)
    assert await notices(a) == [("favourite", a.handle("carol"), mine.uri)]
