"""Domain blocks and the allow-list against a fake Mastodon server over real HTTP: a suspended
server is refused at the inbox before any key fetch, gets nothing delivered (queued
deliveries are dropped), cannot be fetched, and loses its data here; a silenced one is
hidden from public timelines but not from followers, and its follows need approval;
reject_media stops media caching; allow-list mode; every action audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import appkeys
from server.services.errors import InvalidInput, NotFound
from server.services.federation.outbound import delivery
from server.services.federation.remote import RemoteRefused, resolve_account
from server.services.federation.remote_media import CACHE_REMOTE, remote_media_url
from server.services.moderation import domain_blocks
from server.services.moderation.domain_blocks import PURGE_DOMAIN
from server.services.reading import timelines
from server.services.social import follows
from storage import accounts as account_queries
from storage import audit
from storage import jobs as job_store
from storage.models import (
    Account,
    AccountKey,
    Favourite,
    Follow,
    InboxActivity,
    Notification,
    Status,
)
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    alice_follows,
    create,
    local_post,
    media,
    note,
    post,
    send,
)
from tests.federation.test_remote_media import attachment, get, png


@pytest.fixture
async def a(start: StartInstance) -> Instance:
    instance = await start("a")
    await instance.add_user("alice")
    await instance.add_user("ann")
    return instance


async def count(a: Instance, model: type, *where: object) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        return int(await session.scalar(
            select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]


async def account(a: Instance, actor: FakeActor) -> Account:
    async with a.app[appkeys.DATABASE].reader() as session:
        found = await account_queries.account_by_uri(session, actor.id)
    assert found is not None
    return found


async def actions(a: Instance) -> list[tuple[str, str]]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return [(e.action, e.target) for e in await audit.entries(session, Page(limit=40))]


async def queued(a: Instance, kind: str) -> list[job_store.JobRecord]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await job_store.list_jobs(session, kind=kind)


async def publish_to(a: Instance, inbox: str) -> None:
    """alice publishes a Create to `inbox`: the delivery job and nothing else."""
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        alice = await account_queries.local_account_by_username(session, "alice")
        assert alice is not None
        await delivery.publish(session, alice.id, {
            "id": f"{a.actor('alice')}/statuses/{alice.id}/activity-{inbox[-12:]}",
            "type": "Create", "actor": a.actor("alice"), "object": "x"}, [inbox])


async def carol_is_here(a: Instance, masto: FakeRemote, carol: FakeActor) -> Status:
    """alice and carol follow each other; carol posts, likes alice's post."""
    await alice_follows(a, masto, carol)
    follow = carol.activity("Follow", a.actor("alice"))
    await send(masto, carol, a, follow, f"{a.actor('alice')}/inbox")
    doc = note(carol)
    await send(masto, carol, a, create(carol, doc))
    mine = await local_post(a, "alice")
    await send(masto, carol, a, carol.activity("Like", mine.uri))
    stored = await post(a, doc["id"])
    assert stored is not None
    return mine


async def test_suspend_refuses_everything_and_removes_the_data(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    mine = await carol_is_here(a, masto, carol)
    assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]
    # A delivery queued before the block, not yet run.
    await publish_to(a, carol.inbox)
    assert len(await queued(a, "deliver")) == 1

    # The bare host: the block covers its ports and subdomains.
    result = await domain_blocks.block_domain(a.services, "MASTO.test", severity="suspend",
                                           private_comment="spam wave")
    assert (result.created, result.block.severity) == (True, "suspend")
    assert [j.payload for j in await queued(a, PURGE_DOMAIN)] == [{"domain": "masto.test"}]
    masto.forget()
    await settle([a])

    # Nothing was delivered, and the queued delivery is gone without being dead-lettered.
    assert masto.deliveries() == [] and await queued(a, "deliver") == []
    # Its data is gone, its account marked suspended.
    carol_row = await account(a, carol)
    assert carol_row.suspended_at is not None
    assert await count(a, Status, Status.account_id == carol_row.id) == 0
    assert await count(a, Follow) == 0
    assert await count(a, Favourite) == 0
    assert await count(a, Notification, Notification.from_account_id == carol_row.id) == 0
    assert await count(a, AccountKey, AccountKey.account_id == carol_row.id) == 0
    async with a.app[appkeys.DATABASE].reader() as session:
        liked = await session.get(Status, mine.id)
    assert liked is not None and liked.favourites_count == 0

    # Her activities are refused with 403 before any key fetch.
    reply = await masto.deliver(carol, f"{a.base}/inbox", create(carol, note(carol)))
    assert reply.status == 403 and "refused" in reply.text
    assert masto.received("GET") == []
    # A new delivery to the server is not even queued, and nothing is fetched from it.
    await publish_to(a, f"{masto.base}/inbox")
    assert await queued(a, "deliver") == []
    with pytest.raises(RemoteRefused):
        await resolve_account(a.services, f"dave@{masto.domain}")
    with pytest.raises(NotFound, match="suspended"):
        await follows.follow(a.services, "alice", carol.id)
    assert masto.received() == []

    # Lifting the block does not bring the data back.
    await domain_blocks.unblock_domain(a.services, "masto.test")
    assert (await account(a, carol)).suspended_at is None
    assert await count(a, Status, Status.account_id == carol_row.id) == 0
    reply = await masto.deliver(carol, f"{a.base}/inbox", create(carol, note(carol)))
    assert reply.status == 202
    assert [x for x, _ in await actions(a)] == ["domain.unblock", "domain.block"]


async def test_activities_received_before_the_block_are_dropped(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    doc = note(carol)
    reply = await masto.deliver(carol, f"{a.base}/inbox", create(carol, doc))
    assert reply.status == 202  # stored, not applied yet
    await domain_blocks.block_domain(a.services, masto.domain, severity="suspend")
    await settle([a])
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await session.scalar(select(InboxActivity).where(
            InboxActivity.activity_type == "Create"))
    assert row is not None and row.state == "ignored"
    assert row.error is not None and "suspended" in row.error
    assert await post(a, doc["id"]) is None


async def test_silence_hides_from_public_timelines_but_not_from_followers(
        a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    doc = note(carol)
    await send(masto, carol, a, create(carol, doc))
    carol_row = await account(a, carol)

    def ids(items: list[timelines.TimelineItem]) -> list[str]:
        return [i.uri for i in items]

    assert doc["id"] in ids(await timelines.federated(a.services, Page(), viewer="ann"))
    await domain_blocks.block_domain(a.services, masto.domain, severity="silence")
    assert (await account(a, carol)).silenced_at is not None

    assert doc["id"] not in ids(await timelines.federated(a.services, Page(), viewer="ann"))
    assert doc["id"] not in ids(await timelines.federated(a.services, Page()))
    assert doc["id"] in ids(await timelines.federated(a.services, Page(), viewer="alice"))
    assert doc["id"] in ids(await timelines.home(a.services, "alice", Page()))

    # A new account of the silenced server is silenced too, and its follow of an unlocked
    # account becomes a request; the follow request notification is hidden (not followed).
    dave = masto.add_actor("dave")
    row = await send(masto, dave, a, dave.activity("Follow", a.actor("ann")),
                     f"{a.actor('ann')}/inbox")
    assert row.state == "applied" and row.error == "pending"
    assert (await account(a, dave)).silenced_at is not None
    assert (await follows.relationships(a.services, "ann")).requests == [dave.handle]
    assert [n.type for n in await timelines.notifications(a.services, "ann", Page())] == []
    # carol, followed by alice, still notifies her.
    await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
               f"{a.actor('alice')}/inbox")
    assert "follow_request" in [
        n.type for n in await timelines.notifications(a.services, "alice", Page())]

    # Changing the block to noop (just an update) lifts the domain's silence.
    result = await domain_blocks.block_domain(a.services, masto.domain, severity="noop")
    assert (result.created, result.changed) == (False, True)
    assert (await account(a, carol)).silenced_at is None
    assert doc["id"] in ids(await timelines.federated(a.services, Page(), viewer="ann"))
    entries = await actions(a)
    assert entries == [("domain.block", masto.domain), ("domain.block", masto.domain)]
    async with a.app[appkeys.DATABASE].reader() as session:
        latest = (await audit.entries(session, Page(limit=1)))[0]
    assert latest.detail == {"severity": "noop", "reject_media": False,
                             "previous": {"severity": "silence", "reject_media": False}}
    assert carol_row.id == (await account(a, carol)).id


async def test_reject_media_stops_caching_and_serving(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    url = masto.serve_bytes("/system/media/1.png", png(64, 48), "image/png")
    cached_doc = note(carol, attachment=[attachment(url)])
    await send(masto, carol, a, create(carol, cached_doc))
    cached_status = await post(a, cached_doc["id"])
    assert cached_status is not None
    [cached] = await media(a, cached_status.id)
    assert cached.cache_state == "cached" and cached.cached_key is not None
    cached_file = Path(a.config.media.path) / str(cached.cached_key)

    await domain_blocks.block_domain(a.services, masto.domain, severity="noop",
                                  reject_media=True)
    masto.forget()
    await settle([a])  # the clean-up job deletes the cached files
    assert not cached_file.exists()
    [cleared] = await media(a, cached_status.id)
    assert cleared.cached_key is None

    doc = note(carol, attachment=[attachment(url)])
    await send(masto, carol, a, create(carol, doc))
    status = await post(a, doc["id"])
    assert status is not None  # the post itself is kept
    [row] = await media(a, status.id)
    assert row.cached_key is None and await queued(a, CACHE_REMOTE) == []
    for served in (row, cached):
        code, _, _ = await get(masto, remote_media_url(a.config, served, "image.jpg"))
        assert code == 404
    assert masto.fetches_of(url) == []


async def test_allowlist_mode(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a", federation={"allowlist_mode": True})
    await a.add_user("alice")
    async with FakeRemote("other") as other:
        carol, mallory = masto.add_actor("carol"), other.add_actor("mallory")
        assert await domain_blocks.allow_domain(a.services, masto.domain)
        assert not await domain_blocks.allow_domain(a.services, masto.domain)
        assert await domain_blocks.list_allows(a.services) == [masto.domain]

        reply = await other.deliver(mallory, f"{a.actor('alice')}/inbox",
                                    mallory.activity("Follow", a.actor("alice")))
        assert reply.status == 403 and other.received("GET") == []
        with pytest.raises(RemoteRefused):
            await resolve_account(a.services, mallory.handle)
        # (publish cannot see the allow-list mode, a setting: the delivery job drops it)
        await publish_to(a, mallory.inbox)
        await settle([a])
        assert other.deliveries() == [] and await queued(a, "deliver") == []

        row = await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
                         f"{a.actor('alice')}/inbox")
        assert row.state == "applied"
        assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]

        await domain_blocks.disallow_domain(a.services, masto.domain)
        await settle([a])  # no longer allowed: its accounts' data go
        assert (await follows.relationships(a.services, "alice")).followers == []
        reply = await masto.deliver(carol, f"{a.base}/inbox", create(carol, note(carol)))
        assert reply.status == 403
        # Allowed again, it federates again (its key is fetched anew).
        await domain_blocks.allow_domain(a.services, masto.domain)
        row = await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
                         f"{a.actor('alice')}/inbox")
        assert row.state == "applied"
        assert (await follows.relationships(a.services, "alice")).followers == [carol.handle]
    assert [x for x, _ in await actions(a)] == ["domain.allow", "domain.disallow",
                                                "domain.allow"]


async def test_bad_domain_input(a: Instance) -> None:
    with pytest.raises(InvalidInput, match="own domain"):
        await domain_blocks.block_domain(a.services, a.domain)
    with pytest.raises(InvalidInput, match="severity"):
        await domain_blocks.block_domain(a.services, "x.example", severity="nuke")
    for bad in ("two words", "", "a..b", "x.example/path", "-"*300 + "\u2603.example"):
        with pytest.raises(InvalidInput, match="not a domain"):
            await domain_blocks.block_domain(a.services, bad)
    # Non-ASCII names are stored as Mastodon stores them (punycode).
    result = await domain_blocks.block_domain(a.services, "Bücher.example")
    assert result.block.domain == "xn--bcher-kva.example"
    await domain_blocks.unblock_domain(a.services, "bücher.example")
    with pytest.raises(NotFound):
        await domain_blocks.unblock_domain(a.services, "never.example")
    with pytest.raises(NotFound):
        await domain_blocks.disallow_domain(a.services, "never.example")
    # Nothing is recorded for refused input.
    assert [x for x, _ in await actions(a)] == ["domain.unblock", "domain.block"]
