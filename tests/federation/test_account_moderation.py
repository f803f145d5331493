"""Suspending and silencing accounts, local and remote, over real HTTP (a fake Mastodon
server and two Dreamfeed instances), with the audit entries each action writes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from sqlalchemy import func, select

from server import appkeys
from server.services.errors import AccountSuspended, Conflict, NotFound
from server.services.generation import generate
from server.services.moderation import account_moderation, domain_blocks
from server.services.reading import timelines
from server.services.social import follows
from server.services.statuses import posts
from storage import accounts as account_queries
from storage import audit
from storage import jobs as job_store
from storage.models import InboxActivity
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    alice_follows,
    create,
    local_post,
    note,
    send,
)
from tests.federation.test_domain_blocks import publish_to, queued

ACTIVITY = "application/activity+json"


@pytest.fixture
async def a(start: StartInstance) -> Instance:
    instance = await start("a")
    await instance.add_user("alice")
    await instance.add_user("ann")
    return instance


async def audited(a: Instance) -> list[tuple[str, str, dict[str, object]]]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return [(e.action, e.target, e.detail)
                for e in reversed(await audit.entries(session, Page(limit=40)))]


def uris(items: list[timelines.TimelineItem]) -> list[str]:
    return [i.uri for i in items]


async def get(masto: FakeRemote, url: str, accept: str = ACTIVITY) -> tuple[int, object]:
    async with masto.session.get(url, headers={"Accept": accept},
                                 allow_redirects=False) as response:
        body = await response.json(content_type=None) if accept == ACTIVITY \
            and response.status == 200 else await response.text()
        return response.status, body


async def test_suspended_local_account(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
               f"{a.actor('alice')}/inbox")
    mine = await local_post(a, "alice")
    assert mine.uri in uris(await timelines.local(a.services, Page()))
    masto.forget()

    await account_moderation.suspend(a.services, "alice", reason="ban evasion")
    await settle([a])
    # Its followers' servers get the actor, marked suspended (Mastodon sends an Update).
    [update] = [r.json() for r in masto.deliveries("Update")]
    assert update["object"]["id"] == a.actor("alice")
    assert update["object"]["suspended"] is True

    with pytest.raises(AccountSuspended):
        await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=[1], caption="hi"))
    with pytest.raises(AccountSuspended):
        await follows.follow(a.services, "alice", a.handle("ann"))
    alice = await _local(a, "alice")
    with pytest.raises(AccountSuspended):
        await generate.request_generation(a.app[appkeys.SERVICES], alice, "a cat")
    # Nothing of it is served but the (stripped) actor; its posts are hidden.
    status, actor = await get(masto, a.actor("alice"))
    assert status == 200 and isinstance(actor, dict)
    assert actor["suspended"] is True and actor["summary"] == "" and actor["name"] == "alice"
    assert (await get(masto, f"{a.base}/@alice", "text/html"))[0] == 403
    assert (await get(masto, mine.uri))[0] == 404
    assert (await get(masto, f"{a.actor('alice')}/outbox"))[0] == 404
    assert mine.uri not in uris(await timelines.local(a.services, Page()))
    # A Follow from outside is not applied to it.
    row = await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
                     f"{a.actor('alice')}/inbox")
    assert row.error == "ignored: not a local account"

    with pytest.raises(Conflict):
        await account_moderation.suspend(a.services, a.handle("alice"))
    await account_moderation.unsuspend(a.services, "alice")
    await settle([a])
    assert "suspended" not in masto.deliveries("Update")[-1].json()["object"]
    assert (await follows.follow(a.services, "alice", a.handle("ann"))).state == "accepted"
    assert mine.uri in uris(await timelines.local(a.services, Page()))
    assert [(x, t) for x, t, _ in await audited(a)] == [
        ("account.suspend", a.handle("alice")), ("account.unsuspend", a.handle("alice"))]
    assert (await audited(a))[0][2] == {"reason": "ban evasion"}


async def _local(a: Instance, username: str) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, username)
    assert account is not None
    return account.id


async def test_suspended_remote_account(a: Instance, masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
               f"{a.actor('alice')}/inbox")
    doc = note(carol)
    await send(masto, carol, a, create(carol, doc))
    assert doc["id"] in uris(await timelines.home(a.services, "alice", Page()))
    masto.forget()

    await account_moderation.suspend(a.services, carol.handle)
    await settle([a])
    # Its follow of alice is rejected and removed (Mastodon's reject_remote_follows!).
    [reject] = [r.json() for r in masto.deliveries("Reject")]
    assert reject["actor"] == a.actor("alice") and reject["object"]["actor"] == carol.id
    assert (await follows.relationships(a.services, "alice")).followers == []
    # Its posts are hidden everywhere, even from the home of those following it.
    assert doc["id"] not in uris(await timelines.home(a.services, "alice", Page()))
    assert doc["id"] not in uris(await timelines.federated(a.services, Page()))
    # Its activities are answered 202 and dropped, without a key fetch; nothing goes to it.
    masto.forget()
    reply = await masto.deliver(carol, f"{a.base}/inbox", create(carol, note(carol)))
    assert reply.status == 202 and "suspended" in reply.text
    assert masto.received("GET") == []
    async with a.app[appkeys.DATABASE].reader() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxActivity).where(
            InboxActivity.actor_uri == carol.id, InboxActivity.activity_type == "Create"))
    assert stored == 1
    await publish_to(a, carol.inbox)
    assert await queued(a, "deliver") == []
    with pytest.raises(NotFound, match="suspended"):
        await follows.follow(a.services, "ann", carol.handle)
    # Others on the same server are not affected.
    row = await send(masto, dave, a, dave.activity("Follow", a.actor("ann")),
                     f"{a.actor('ann')}/inbox")
    assert row.state == "applied"

    state = await account_moderation.show(a.services, carol.handle)
    assert state.suspended_at is not None and not state.local and state.statuses == 1
    await account_moderation.unsuspend(a.services, carol.handle)
    assert doc["id"] in uris(await timelines.home(a.services, "alice", Page()))


async def test_silenced_accounts(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await account_moderation.silence(a.services, "ann", reason="spam")
    ann_post = await local_post(a, "ann")
    await follows.follow(a.services, "alice", a.handle("ann"))
    # Hidden from public timelines except for followers and itself.
    assert ann_post.uri not in uris(await timelines.local(a.services, Page()))
    assert ann_post.uri in uris(await timelines.local(a.services, Page(), viewer="alice"))
    assert ann_post.uri in uris(await timelines.local(a.services, Page(), viewer="ann"))

    # A silenced remote account's follow of an unlocked account needs approval.
    await send(masto, carol, a, carol.activity("Follow", a.actor("bob")))  # makes carol known
    await account_moderation.silence(a.services, carol.handle)
    row = await send(masto, carol, a, carol.activity("Follow", a.actor("alice")),
                     f"{a.actor('alice')}/inbox")
    assert row.error == "pending"
    assert (await follows.relationships(a.services, "alice")).requests == [carol.handle]
    assert await timelines.notifications(a.services, "alice", Page()) == []

    with pytest.raises(Conflict):
        await account_moderation.silence(a.services, "ann")
    await account_moderation.unsilence(a.services, "ann")
    assert ann_post.uri in uris(await timelines.local(a.services, Page()))
    with pytest.raises(NotFound):
        await account_moderation.silence(a.services, "nobody@nowhere.example")
    assert [(x, t, d) for x, t, d in await audited(a)] == [
        ("account.silence", a.handle("ann"), {"reason": "spam"}),
        ("account.silence", carol.handle, {}),
        ("account.unsilence", a.handle("ann"), {})]


async def test_two_instances_a_suspends_b(start: StartInstance) -> None:
    seen: list[tuple[str, str]] = []

    @web.middleware
    async def record(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
        seen.append((request.method, request.path))
        return await handler(request)

    a = await start("a")
    b = await start("b", middlewares=[record])
    await a.add_user("alice")
    await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    assert (await follows.relationships(a.services, "alice")).followers == [b.handle("bob")]

    await account_moderation.suspend(a.services, b.handle("bob"))
    await settle([a, b])
    # bob's server got the Reject: the follow is gone on both sides.
    assert (await follows.relationships(b.services, "bob")).following == []
    await account_moderation.unsuspend(a.services, b.handle("bob"))
    await domain_blocks.block_domain(a.services, b.domain, severity="suspend")
    await settle([a, b])
    seen.clear()
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    # A refused the Follow (403: B dead-letters it, no retries) and fetched nothing from B.
    assert [m for m, _ in seen] == []
    async with b.app[appkeys.DATABASE].reader() as session:
        dead = await job_store.list_jobs(session, kind="deliver", state="dead")
    assert len(dead) == 1 and "403" in (dead[0].last_error or "")
    assert (await follows.relationships(a.services, "alice")).followers == []
    # Nothing A publishes goes to B.
    await publish_to(a, f"{b.base}/inbox")
    assert await queued(a, "deliver") == []
