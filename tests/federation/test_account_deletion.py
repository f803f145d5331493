"""A local user deletes their account: every server that knows it receives a signed Delete of
the actor (sent after the data is gone: the key is kept) and removes everything of it; the
home instance answers 410 with a Tombstone and never hands the name out again."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from server import appkeys
from server.services.accounts import account_deletion
from server.services.accounts.users import NameTaken
from server.services.errors import NotFound
from server.services.social import follows
from server.services.statuses import boosts, favourites, posts
from storage import accounts as account_queries
from storage.models import (
    Account,
    AccountKey,
    Favourite,
    Follow,
    InboxActivity,
    MediaAttachment,
    Notification,
    OutgoingActivity,
    RemoteMedia,
    Status,
    User,
)
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, TestResolver, settle

AP = "application/activity+json"


async def _count(instance: Instance, stmt: object) -> int:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(stmt)).scalar_one())  # type: ignore[call-overload]


async def _account(instance: Instance, uri: str) -> Account:
    async with instance.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    assert account is not None
    return account


async def _media_files(a: Instance, account_id: int) -> list[Path]:
    root = Path(a.config.media.path)
    async with a.app[appkeys.DATABASE].reader() as session:
        rows = (await session.execute(select(MediaAttachment).where(
            MediaAttachment.account_id == account_id))).scalars().all()
    return [root / key for m in rows
            for key in (m.original_key, m.jpeg_key, m.webp_key, m.thumb_key)]


async def _cached_files(b: Instance, account_id: int) -> list[Path]:
    root = Path(b.config.media.path)
    async with b.app[appkeys.DATABASE].reader() as session:
        rows = (await session.execute(select(RemoteMedia).join(
            Status, Status.id == RemoteMedia.status_id).where(
            Status.account_id == account_id))).scalars().all()
    return [root / key for m in rows for key in (m.cached_key, m.thumb_key) if key]


async def test_deleted_account_is_gone_everywhere(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    await a.add_user("carol")  # a local follower on alice's own instance

    # bob follows alice and alice follows bob; carol follows alice.
    await follows.follow(b.services, "bob", a.handle("alice"))
    await follows.follow(a.services, "alice", b.handle("bob"))
    await follows.follow(a.services, "carol", a.handle("alice"))
    await settle([a, b])
    # alice posts; bob has the post and boosts it; alice likes bob's post.
    media = await a.make_images(alice.account_id, "a lighthouse at dusk")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Beam"))
    await settle([a, b])
    await boosts.boost(b.services, "bob", view.uri)
    bob = await _account(b, b.actor("bob"))
    bob_view = await posts.create_status(b.services, "bob", posts.NewStatus(
        caption="Waves", media_ids=await b.make_images(bob.id, "waves")))
    await settle([a, b])
    await favourites.favourite(a.services, "alice", bob_view.uri)
    await settle([a, b])

    remote_alice = await _account(b, alice.actor_uri)
    assert await _count(b, select(func.count()).select_from(Status).where(
        Status.account_id == remote_alice.id)) == 1
    assert await _count(b, select(func.count()).select_from(Notification).where(
        Notification.from_account_id == remote_alice.id)) == 2  # follow, favourite
    assert await _count(b, select(func.count()).select_from(Status).where(
        Status.reblog_of_id.is_not(None))) == 1
    files = await _media_files(a, alice.account_id)
    assert files and all(f.is_file() for f in files)
    cached = await _cached_files(b, remote_alice.id)
    assert cached and all(f.is_file() for f in cached)

    deleted = await account_deletion.delete_local_account(a.services, "alice")
    assert deleted.inboxes == 1  # b's shared inbox: every server that knows alice

    # Unusable at once: no login, the actor and its posts are gone.
    assert await _count(a, select(func.count()).select_from(User).where(
        User.account_id == alice.account_id)) == 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(
            resolver=TestResolver())) as http:
        async with http.get(alice.actor_uri, headers={"Accept": AP}) as response:
            assert response.status == 410
            body = await response.json(content_type=None)
            assert body["type"] == "Tombstone" and body["id"] == alice.actor_uri
        # Her posts are gone for good, as Mastodon answers for a deleted account's: 410.
        async with http.get(view.uri, headers={"Accept": AP}) as response:
            assert response.status == 410
            body = await response.json(content_type=None)
            assert body["type"] == "Tombstone" and body["id"] == view.uri
        async with http.get(f"{a.base}/@alice/{view.id}", allow_redirects=False) as response:
            assert response.status == 410
        async with http.get(f"{alice.actor_uri}/outbox", headers={"Accept": AP}) as response:
            assert response.status in (404, 410)
    with pytest.raises(NameTaken, match="deleted account"):
        await a.add_user("alice")
    with pytest.raises(NotFound):
        await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=media))

    # The data goes first (what the purge job does), the Delete after: it is still signed.
    removed = await account_deletion.purge_account(
        a.app[appkeys.DATABASE], a.app[appkeys.SERVICES].media, alice.account_id,
        keep_activity_id=f"{alice.actor_uri}#delete")
    assert removed == len(set(files))
    await settle([a, b])
    assert not any(f.exists() for f in files)
    assert await _count(a, select(func.count()).select_from(Status).where(
        Status.account_id == alice.account_id)) == 0
    assert await _count(a, select(func.count()).select_from(Follow).where(
        (Follow.account_id == alice.account_id)
        | (Follow.target_account_id == alice.account_id))) == 0
    assert await _count(a, select(func.count()).select_from(AccountKey).where(
        AccountKey.account_id == alice.account_id)) == 1
    assert (await follows.relationships(a.services, "carol")).following == []

    async with b.app[appkeys.DATABASE].reader() as session:
        received = (await session.execute(select(InboxActivity).where(
            InboxActivity.activity_id == f"{alice.actor_uri}#delete"))).scalar_one()
    assert received.state == "applied", received.error
    assert received.signer_uri == alice.actor_uri
    assert received.body is None  # dropped once applied; what a sent is kept there
    async with a.app[appkeys.DATABASE].reader() as session:
        sent = (await session.execute(select(OutgoingActivity).where(
            OutgoingActivity.activity_id == f"{alice.actor_uri}#delete"))).scalar_one()
    assert sent.body["object"] == alice.actor_uri
    assert sent.body["to"] == ["https://www.w3.org/ns/activitystreams#Public"]

    # b keeps nothing of alice: posts, boosts of them, follows, likes, notifications.
    remote_alice = await _account(b, alice.actor_uri)
    assert remote_alice.deleted_at is not None
    assert await _count(b, select(func.count()).select_from(Status).where(
        Status.account_id == remote_alice.id)) == 0
    assert await _count(b, select(func.count()).select_from(Status).where(
        Status.reblog_of_id.is_not(None))) == 0
    assert await _count(b, select(func.count()).select_from(Follow).where(
        (Follow.account_id == remote_alice.id)
        | (Follow.target_account_id == remote_alice.id))) == 0
    assert await _count(b, select(func.count()).select_from(Favourite).where(
        Favourite.account_id == remote_alice.id)) == 0
    assert await _count(b, select(func.count()).select_from(Notification).where(
        Notification.from_account_id == remote_alice.id)) == 0
    assert await _count(b, select(func.count()).select_from(AccountKey).where(
        AccountKey.account_id == remote_alice.id)) == 0
    assert not any(f.exists() for f in cached)  # b's cached copies of alice's images
    async with b.app[appkeys.DATABASE].reader() as session:
        liked = await session.get(Status, bob_view.id)
    assert liked is not None and liked.favourites_count == 0
    assert (await follows.relationships(b.services, "bob")).following == []
    assert (await follows.relationships(b.services, "bob")).followers == []


async def test_delete_is_refused_twice_and_for_unknown_names(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    await account_deletion.delete_local_account(a.services, "alice")
    with pytest.raises(NotFound, match="already deleted"):
        await account_deletion.delete_local_account(a.services, "alice")
    with pytest.raises(NotFound, match="no local account"):
        await account_deletion.delete_local_account(a.services, "nobody")
    await a.run_jobs()
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, "alice")
    assert account is not None and account.deleted_at is not None
