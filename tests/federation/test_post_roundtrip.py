"""The posts issue end to end: alice@A posts an AI image, bob@B (her follower) gets it whole,
likes, boosts, replies and remixes it; alice sees each; her alt-text edit and her delete
reach B."""

from __future__ import annotations

from sqlalchemy import select

from server import appkeys
from server.services.social import follows
from server.services.statuses import boosts, favourites, posts
from storage.models import Notification, RemoteMedia, Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle


async def _status(instance: Instance, uri: str) -> Status | None:
    async with instance.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Status).where(Status.uri == uri))
        return result.scalar_one_or_none()


async def _remote_media(instance: Instance, status_id: int) -> list[RemoteMedia]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(RemoteMedia).where(
            RemoteMedia.status_id == status_id).order_by(RemoteMedia.position))
        return list(result.scalars().all())


async def _notification_types(instance: Instance, account_id: int) -> list[str]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Notification.type).where(
            Notification.account_id == account_id).order_by(Notification.id))
        return list(result.scalars().all())


async def test_post_roundtrip(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    bob = await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])

    media = await a.make_images(alice.account_id, "a glass whale in the clouds", n=2)
    post = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Migration season #whales", alt_texts=["a glass whale", "clouds"],
        spoiler_text="big", publish_prompt=True))
    await settle([a, b])

    # bob's server has the post with every attachment field intact.
    copy = await _status(b, post.uri)
    assert copy is not None and not copy.local
    assert copy.spoiler_text == "big" and copy.sensitive
    assert "#<span>AIGenerated</span>" in copy.content
    stored = await _remote_media(b, copy.id)
    origin = await _status(a, post.uri)
    assert origin is not None
    assert [m.description for m in stored] == ["a glass whale", "clouds"]
    for m in stored:
        assert m.url.startswith(a.base + "/media/") and m.media_type == "image/jpeg"
        assert (m.width, m.height) == (256, 256) and m.blurhash

    # bob likes, boosts, replies and remixes; alice sees counts and notifications.
    await favourites.favourite(b.services, "bob", post.uri)
    await boosts.boost(b.services, "bob", post.uri)
    reply_media = await b.make_images(bob.account_id, "a paper whale")
    reply = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=reply_media, caption="Lovely!", in_reply_to=post.uri))
    remix_media = await b.make_images(bob.account_id, "a glass whale at night")
    remix = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=remix_media, remix_of=post.uri))
    await settle([a, b])
    origin = await _status(a, post.uri)
    assert origin is not None
    assert (origin.favourites_count, origin.reblogs_count, origin.replies_count,
            origin.remixes_count) == (1, 1, 1, 1)
    assert sorted(await _notification_types(a, alice.account_id)) == [
        "favourite", "follow", "reblog", "remix", "reply"]
    reply_copy = await _status(a, reply.uri)
    assert reply_copy is not None and reply_copy.in_reply_to_id == origin.id
    remix_copy = await _status(a, remix.uri)
    assert remix_copy is not None and remix_copy.remix_of_id == origin.id

    # alice edits the alt text: bob's copy follows.
    await posts.edit_status(a.services, "alice", post.id,
                            alt_texts=["a glass whale, sunlit", "clouds at dawn"])
    await settle([a, b])
    copy = await _status(b, post.uri)
    assert copy is not None
    assert [m.description for m in await _remote_media(b, copy.id)] == [
        "a glass whale, sunlit", "clouds at dawn"]

    # alice deletes it: gone on B.
    await posts.delete_status(a.services, "alice", post.id)
    await settle([a, b])
    copy = await _status(b, post.uri)
    assert copy is not None and copy.deleted_at is not None
