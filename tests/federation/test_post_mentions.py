"""Mentions without remote work in the request: an account stored here is linked while the
POST is answered; an unknown remote one is looked up by a job, after which the post's Create
reaches its inbox (and everyone else's) with the mention linked. Real HTTP, a slow remote."""

from __future__ import annotations

from server.services.federation.remote import resolve_account
from server.services.statuses import posts
from storage import statuses as status_queries
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, Page, browser

PASSWORD = "correct horse"  # what Instance.add_user gives
SLOW = 3.0  # seconds the remote takes to answer WebFinger


async def _post(a: Instance, b: Browser, media_id: int, caption: str) -> Page:
    return await b.post("/compose/post", {"media_id": str(media_id), "caption": caption,
                                          f"alt_{media_id}": "A violet nebula",
                                          "visibility": "public"}, form_page="/compose")


async def _mentioned(a: Instance, status_id: int) -> set[str]:
    async with a.services.db.reader() as session:
        return {m.uri for m in await status_queries.mentioned_accounts(session, status_id)}


async def test_unknown_mention_is_resolved_by_a_job(start: StartInstance,
                                                    masto: FakeRemote) -> None:
    a = await start("a")
    bob, carol = masto.add_actor("bob"), masto.add_actor("carol")
    await resolve_account(a.services, carol.handle)  # carol is known here, bob is not
    alice = await a.add_user("alice")
    [media_id] = await a.make_images(alice.account_id, "a lighthouse")
    masto.webfinger_delay = SLOW
    masto.forget()
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = await _post(a, b, media_id, f"Hello @{bob.handle} and @{carol.handle}")
    assert page.status == 303, page.text
    # The POST never asked the (slow) remote: no WebFinger request reached it. A timing bound
    # would say the same less reliably on a loaded machine.
    assert not masto.received("GET", "/.well-known/webfinger")
    status_id = int(page.location.rsplit("/", 1)[1])
    assert await _mentioned(a, status_id) == {carol.id}  # the known one, linked at once
    assert not masto.deliveries("Create")  # the Create waits for the job

    await a.run_jobs()

    assert await _mentioned(a, status_id) == {bob.id, carol.id}
    creates = masto.deliveries("Create")
    # Both mentioned actors get the Create (bob found by the job) in one POST to
    # their server's shared inbox.
    assert [r.path for r in creates] == ["/inbox"]
    note = creates[0].json()["object"]
    assert {t["href"] for t in note["tag"] if t["type"] == "Mention"} == {bob.id, carol.id}
    assert bob.id in note["cc"]
    assert f'href="{masto.base}/@bob" class="u-url mention"' in note["content"]


async def test_unknown_mention_in_an_edit(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    bob = masto.add_actor("bob")
    alice = await a.add_user("alice")
    [media_id] = await a.make_images(alice.account_id, "a harbour")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media_id], caption="Dusk"))
    await a.run_jobs()
    masto.webfinger_delay = SLOW
    await posts.edit_status(a.services, "alice", view.id, caption=f"Dusk, for @{bob.handle}")
    assert not masto.deliveries("Update")
    await a.run_jobs()
    assert await _mentioned(a, view.id) == {bob.id}
    [update] = masto.deliveries("Update")
    assert bob.id in {t["href"] for t in update.json()["object"]["tag"] if t["type"] == "Mention"}


async def test_unresolvable_mention_stays_text(start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = masto.add_actor("bob")
    [media_id] = await a.make_images(alice.account_id, "a field")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media_id], caption=f"Hi @nobody@{masto.domain} and @{bob.handle}"))
    await a.run_jobs()
    assert await _mentioned(a, view.id) == {bob.id}
    [create] = masto.deliveries("Create")
    assert f"@nobody@{masto.domain}" in create.json()["object"]["content"]
