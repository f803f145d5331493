"""What comes back to a Dreamfeed instance from a fake Mastodon server, with real signatures:
remote posts, replies, mentions, likes, boosts, edits and deletes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from server import appkeys
from storage.ids import id_time
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import (
    alice_follows,
    boosts,
    create,
    favourites,
    fresh,
    local_post,
    media,
    mentioned_ids,
    note,
    notices,
    post,
    send,
    tags_of,
)


def two_images() -> list[dict[str, Any]]:
    # As Mastodon's MediaAttachmentSerializer sends them.
    return [
        {"type": "Document", "mediaType": "image/jpeg", "url": "http://files.test/1.jpg",
         "name": "two moons", "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
         "focalPoint": [0.0, 0.0], "width": 1536, "height": 1024},
        {"type": "Document", "mediaType": "image/png", "url": "http://files.test/2.png",
         "name": "a violet sea", "blurhash": "LIIE|gRj00WB-;j[t7j[4nWBj[Rj",
         "width": 800, "height": 600},
    ]


async def test_followed_users_note_with_two_images_is_stored(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    doc = note(carol, summary="bright colours", attachment=two_images(),
               content='<p>night swim <a href="http://masto.test/tags/moon" class="mention '
                       'hashtag" rel="tag" onclick="x()">#moon</a></p><script>alert(1)</script>',
               contentMap={"en": "<p>night swim</p>"},
               published="2024-11-02T09:15:27Z",
               tag=[{"type": "Hashtag", "name": "#Moon", "href": "http://masto.test/tags/moon"}])
    row = await send(masto, carol, a, create(carol, doc))
    assert (row.state, row.error) == ("applied", "stored public post")

    status = await post(a, doc["id"])
    assert status is not None and not status.local
    assert status.url == doc["url"] and status.visibility == "public"
    assert status.content == ('<p>night swim <a href="http://masto.test/tags/moon" '
                              'class="mention hashtag" rel="nofollow noopener noreferrer">'
                              "#moon</a></p>")
    assert status.spoiler_text == "bright colours"
    assert status.sensitive  # a content warning hides the media too
    assert status.language == "en"
    assert status.created_at.isoformat() == "2024-11-02T09:15:27+00:00"
    assert id_time(status.id).date().isoformat() == "2024-11-02"  # ids sort by publication
    assert not status.can_remix  # Mastodon cannot consent to remixes
    first, second = await media(a, status.id)
    assert (first.position, first.url, first.media_type, first.description) == \
        (0, "http://files.test/1.jpg", "image/jpeg", "two moons")
    assert (first.width, first.height, first.blurhash) == \
        (1536, 1024, "LEHV6nWB2yk8pyo0adR*.7kCMdnj")
    assert (second.position, second.description, second.blurhash) == \
        (1, "a violet sea", "LIIE|gRj00WB-;j[t7j[4nWBj[Rj")
    assert await tags_of(a, status.id) == ["moon"]
    assert await notices(a) == []  # a post from someone you follow is not a notification

    # The same Create again (Mastodon retries), and another Create of the same note: one row.
    again = await send(masto, carol, a, create(carol, doc))
    assert again.error == "ignored: post already stored"
    assert len(await media(a, status.id)) == 2


async def test_followers_only_and_unlisted_addressing(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    followers = f"{carol.id}/followers"
    private = note(carol, to=[followers], cc=[])
    unlisted = note(carol, to=[followers], cc=[AS_PUBLIC])
    for doc in (private, unlisted):
        await send(masto, carol, a, create(carol, doc))
    assert [(await fresh_uri(a, d["id"])).visibility for d in (private, unlisted)] == \
        ["private", "unlisted"]


async def fresh_uri(a: Instance, uri: str) -> Any:
    found = await post(a, uri)
    assert found is not None
    return found


async def test_strangers_unrelated_note_is_ignored(a: Instance, masto: FakeRemote) -> None:
    dave = masto.add_actor("dave")
    doc = note(dave)
    # At the shared inbox, the relevance filter drops it before anything is applied...
    row = await send(masto, dave, a, create(dave, doc))
    assert row.state == "ignored" and "concerns no local or followed account" in str(row.error)
    # ...and at a personal inbox, the post handler finds nothing of ours in it.
    row = await send(masto, dave, a, create(dave, doc), f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("ignored", "ignored: the post concerns no local account")
    assert await post(a, doc["id"]) is None


async def test_reply_to_a_local_post_counts_notifies_and_is_deleted(
        a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    # Mastodon replies mention the parent's author too: still one notification, a reply.
    reply = note(dave, inReplyTo=mine.uri, cc=[f"{dave.id}/followers", a.actor("alice")],
                 tag=[{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}])
    row = await send(masto, dave, a, create(dave, reply))
    assert row.error == "stored public post"

    stored = await post(a, reply["id"])
    assert stored is not None
    assert (stored.in_reply_to_id, stored.in_reply_to_uri, stored.in_reply_to_account_id) == \
        (mine.id, mine.uri, mine.account_id)
    assert (await fresh(a, mine)).replies_count == 1
    assert await notices(a) == [("reply", dave.handle, reply["id"])]
    assert await mentioned_ids(a, stored.id) == [mine.account_id]

    # Someone else cannot delete it.
    eve = masto.add_actor("eve")
    row = await send(masto, eve, a, eve.activity("Delete", reply["id"]))
    assert row.state == "ignored" and "only its author" in str(row.error)
    # Its author deletes it, as Mastodon does: a Tombstone.
    tombstone = {"id": reply["id"], "type": "Tombstone"}
    row = await send(masto, dave, a, dave.activity("Delete", tombstone, to=[AS_PUBLIC]))
    assert row.error == "post deleted"
    gone = await post(a, reply["id"])
    assert gone is not None and gone.deleted_at is not None
    assert (await fresh(a, mine)).replies_count == 0
    assert await notices(a) == []
    # A second Delete, and a late redelivery of the Create, change nothing.
    row = await send(masto, dave, a, dave.activity("Delete", reply["id"]))
    assert row.error == "ignored: already deleted"
    row = await send(masto, dave, a, create(dave, reply))
    assert row.error == "ignored: post already stored"
    assert (await fresh(a, mine)).replies_count == 0


async def test_mention_notifies_only_when_addressed(a: Instance, masto: FakeRemote) -> None:
    await a.add_user("bob")
    dave = masto.add_actor("dave")
    mention = [{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}]
    addressed = note(dave, cc=[a.actor("alice")], tag=mention)
    await send(masto, dave, a, create(dave, addressed))
    assert await notices(a) == [("mention", dave.handle, addressed["id"])]
    assert await notices(a, "bob") == []

    # A Mention tag alone neither delivers nor notifies (INTEROP.md).
    tag_only = note(dave, tag=mention)
    row = await send(masto, dave, a, create(dave, tag_only), f"{a.actor('alice')}/inbox")
    assert row.error == "ignored: the post concerns no local account"
    assert len(await notices(a)) == 1


async def test_direct_message_is_kept_for_its_addressee(a: Instance, masto: FakeRemote) -> None:
    dave = masto.add_actor("dave")
    dm = note(dave, to=[a.actor("alice")], cc=[],
              tag=[{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}])
    await send(masto, dave, a, create(dave, dm), f"{a.actor('alice')}/inbox")
    stored = await post(a, dm["id"])
    assert stored is not None and stored.visibility == "direct"
    assert await notices(a) == [("mention", dave.handle, dm["id"])]


async def test_like_and_undo_like(a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    like = dave.activity("Like", mine.uri)
    assert (await send(masto, dave, a, like)).error == "liked"
    [favourite] = await favourites(a, mine.id)
    assert favourite.uri == like["id"]
    assert (await fresh(a, mine)).favourites_count == 1
    assert await notices(a) == [("favourite", dave.handle, mine.uri)]
    # A second Like by the same account (a new id) is the same like.
    row = await send(masto, dave, a, dave.activity("Like", mine.uri))
    assert row.error == "ignored: already liked"
    assert (await fresh(a, mine)).favourites_count == 1

    # Undo with the Like embedded, as Mastodon sends it.
    undo = dave.activity("Undo", {k: v for k, v in like.items() if k != "@context"})
    assert (await send(masto, dave, a, undo)).error == "like undone"
    assert await favourites(a, mine.id) == []
    assert (await fresh(a, mine)).favourites_count == 0

    # Like again, undone by id only.
    like = dave.activity("Like", mine.uri)
    await send(masto, dave, a, like)
    assert (await fresh(a, mine)).favourites_count == 1
    assert (await send(masto, dave, a, dave.activity("Undo", like["id"]))).error == \
        "like undone"
    assert (await fresh(a, mine)).favourites_count == 0
    # Nobody else can undo a like, and a like of something not ours is ignored.
    row = await send(masto, dave, a, dave.activity("Like", f"{a.base}/users/alice/statuses/1"))
    assert row.error == "ignored: no such local post"


async def test_announce_and_undo_announce(a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    announce = dave.activity("Announce", mine.uri, to=[AS_PUBLIC],
                             cc=[f"{dave.id}/followers", a.actor("alice")])
    assert (await send(masto, dave, a, announce)).error == "boosted"
    [boost] = await boosts(a, mine.id)
    assert (boost.uri, boost.local, boost.visibility) == (announce["id"], False, "public")
    assert (await fresh(a, mine)).reblogs_count == 1
    assert await notices(a) == [("reblog", dave.handle, mine.uri)]
    # Redelivered, or boosted again under a new id: still one boost.
    await send(masto, dave, a, announce)
    again = dave.activity("Announce", mine.uri, to=[AS_PUBLIC])
    assert (await send(masto, dave, a, again)).error == "ignored: already boosted"
    assert len(await boosts(a, mine.id)) == 1 and (await fresh(a, mine)).reblogs_count == 1

    undo = dave.activity("Undo", {k: v for k, v in announce.items() if k != "@context"})
    assert (await send(masto, dave, a, undo)).error == "boost undone"
    assert await boosts(a, mine.id) == [] and await post(a, announce["id"]) is None
    assert (await fresh(a, mine)).reblogs_count == 0


async def test_announce_of_unknown_or_private_posts_is_ignored(
        a: Instance, masto: FakeRemote) -> None:
    dave = masto.add_actor("dave")
    unknown = dave.activity("Announce", "http://elsewhere.test/notes/1", to=[AS_PUBLIC])
    row = await send(masto, dave, a, unknown, f"{a.actor('alice')}/inbox")
    assert row.error == "ignored: boost of a post we do not have"
    private = await local_post(a, "alice", visibility="private")
    row = await send(masto, dave, a, dave.activity("Announce", private.uri, to=[AS_PUBLIC]))
    assert row.error == "ignored: a non-public post cannot be boosted"
    assert (await fresh(a, private)).reblogs_count == 0


async def test_update_changes_text_and_alt_text(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    doc = note(carol, attachment=two_images())
    await send(masto, carol, a, create(carol, doc))

    edited = {**doc, "content": "<p>edited</p>", "summary": "cw", "updated":
              "2099-01-01T00:00:00Z",
              "attachment": [{**two_images()[0], "name": "two moons, one eclipsed"},
                             two_images()[1]]}
    row = await send(masto, carol, a, carol.activity("Update", edited, to=[AS_PUBLIC]))
    assert row.error == "post updated"
    status = await post(a, doc["id"])
    assert status is not None
    assert (status.content, status.spoiler_text, status.sensitive) == \
        ("<p>edited</p>", "cw", True)
    assert status.edited_at is not None  # clamped to now, not 2099
    assert [m.description for m in await media(a, status.id)] == \
        ["two moons, one eclipsed", "a violet sea"]

    # An older edit arriving late is not applied over the newer one.
    stale = {**edited, "content": "<p>older</p>", "updated": "2020-01-01T00:00:00Z"}
    row = await send(masto, carol, a, carol.activity("Update", stale))
    assert row.error == "ignored: an older edit than the one stored"
    # Only its author may edit it: eve names herself the author of carol's note id.
    eve = masto.add_actor("eve")
    forged = {**edited, "attributedTo": eve.id, "content": "<p>forged</p>", "updated": None}
    row = await send(masto, eve, a, eve.activity("Update", forged))
    assert row.state == "ignored" and "only its author" in str(row.error)
    assert (await fresh_uri(a, doc["id"])).content == "<p>edited</p>"


async def test_note_attributed_to_someone_else_is_refused(
        a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    carol, eve = masto.add_actor("carol"), masto.add_actor("eve")
    forged = note(carol, inReplyTo=mine.uri)  # carol's name, sent and signed by eve
    row = await send(masto, eve, a, create(eve, forged))
    assert row.state == "ignored"
    assert f"attributed to {carol.id}, not to the actor {eve.id}" in str(row.error)
    assert await post(a, forged["id"]) is None
    assert (await fresh(a, mine)).replies_count == 0

    # A note whose id is on another server than its author is refused as well.
    elsewhere = note(eve, id="http://other.test/notes/1", inReplyTo=mine.uri)
    row = await send(masto, eve, a, create(eve, elsewhere))
    assert row.state == "ignored" and await post(a, elsewhere["id"]) is None


async def test_follow_and_follow_request_notify(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    await a.add_user("locked")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.username == "locked")
                              .values(manually_approves_followers=True))
    carol: FakeActor = masto.add_actor("carol")
    for name in ("alice", "locked"):
        follow = carol.activity("Follow", a.actor(name))
        await send(masto, carol, a, follow, f"{a.actor(name)}/inbox")
    assert await notices(a) == [("follow", carol.handle, None)]
    assert await notices(a, "locked") == [("follow_request", carol.handle, None)]
    # Following again does not notify again.
    await send(masto, carol, a, carol.activity("Follow", a.actor("alice")))
    assert len(await notices(a)) == 1
