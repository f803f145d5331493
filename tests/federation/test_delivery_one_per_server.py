"""One POST per server (issue 18: Takahē logged a duplicate key when a Create reached both
its shared inbox, for a follower, and a mentioned account's personal inbox). As Mastodon's
StatusReachFinder#inboxes with Account.inboxes: every recipient is reached through its
server's shared inbox when it has one, each inbox once; an actor without a shared inbox
(GoToSocial's) through its own. Real HTTP against the fake Mastodon and GoToSocial servers."""

from __future__ import annotations

from server.services.federation.remote import resolve_account
from server.services.statuses import boosts, posts
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import alice_follows, create, note, post, send


async def _alice(start: StartInstance) -> tuple[Instance, int]:
    a = await start("a")
    alice = await a.add_user("alice")
    return a, alice.account_id


async def _followed_by(a: Instance, fake: FakeRemote, actor: FakeActor) -> None:
    """`actor` follows alice (who approves followers automatically)."""
    await send(fake, actor, a, actor.activity("Follow", a.actor("alice")))


async def _post(a: Instance, account_id: int, caption: str, visibility: str = "public") -> None:
    [media_id] = await a.make_images(account_id, "a lighthouse")
    await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media_id], caption=caption, visibility=visibility))
    await a.run_jobs()


async def test_follower_and_mentioned_on_one_server_get_one_post(
        start: StartInstance, masto: FakeRemote) -> None:
    a, alice_id = await _alice(start)
    bob, carol = masto.add_actor("bob"), masto.add_actor("carol")
    await _followed_by(a, masto, bob)
    await resolve_account(a.services, carol.handle)
    masto.forget()

    await _post(a, alice_id, f"Hello @{carol.handle}")

    [create_post] = masto.deliveries("Create")  # not a second one to carol's own inbox
    assert create_post.path == "/inbox" and create_post.status == 202
    assert carol.id in create_post.json()["object"]["cc"]


async def test_mention_without_shared_inbox_goes_to_the_personal_inbox(
        start: StartInstance, masto: FakeRemote) -> None:
    """GoToSocial has no shared inbox: its accounts are reached one by one."""
    a, alice_id = await _alice(start)
    bob = masto.add_actor("bob")
    gus = masto.add_actor("gus", "gotosocial")
    await resolve_account(a.services, bob.handle)
    await resolve_account(a.services, gus.handle)
    masto.forget()

    await _post(a, alice_id, f"Hello @{bob.handle} and @{gus.handle}")

    paths = sorted(r.path for r in masto.deliveries("Create"))
    assert paths == ["/inbox", "/users/gus/inbox"]


async def test_direct_message_reaches_a_mentioned_account_without_followers_there(
        start: StartInstance, masto: FakeRemote) -> None:
    """Nobody on the server follows alice: the direct message still goes there, through
    the shared inbox (as Mastodon sends it), addressed to the account alone."""
    a, alice_id = await _alice(start)
    carol = masto.add_actor("carol")
    await resolve_account(a.services, carol.handle)
    masto.forget()

    await _post(a, alice_id, f"Just for you @{carol.handle}", visibility="direct")

    [dm] = masto.deliveries("Create")
    assert dm.path == "/inbox" and dm.status == 202
    body = dm.json()
    assert body["object"]["to"] == [carol.id] and AS_PUBLIC not in body["object"]["cc"]


async def test_boost_of_a_followers_post_is_one_post(start: StartInstance,
                                                     masto: FakeRemote) -> None:
    """carol and alice follow each other and alice boosts carol's post: the Announce reaches carol's
    server once (followers and the boosted author share its inbox)."""
    a, _ = await _alice(start)
    carol = masto.add_actor("carol")
    await _followed_by(a, masto, carol)
    await alice_follows(a, masto, carol)  # so carol's post is stored here
    remote = note(carol)
    await send(masto, carol, a, create(carol, remote))
    assert await post(a, remote["id"]) is not None
    masto.forget()

    await boosts.boost(a.services, "alice", remote["id"])
    await a.run_jobs()
    [announce] = masto.deliveries("Announce")
    assert announce.path == "/inbox"

    await boosts.unboost(a.services, "alice", remote["id"])
    await a.run_jobs()
    assert [r.path for r in masto.deliveries("Undo")] == ["/inbox"]


async def test_reply_to_a_follower_is_one_post(start: StartInstance, masto: FakeRemote) -> None:
    """A reply reaches the replied-to author's server once, though she follows alice too."""
    a, _ = await _alice(start)
    carol = masto.add_actor("carol")
    await _followed_by(a, masto, carol)
    await alice_follows(a, masto, carol)
    remote = note(carol)
    await send(masto, carol, a, create(carol, remote))
    masto.forget()

    await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption=f"@{carol.handle} lovely", in_reply_to=remote["id"]))
    await a.run_jobs()
    [reply] = masto.deliveries("Create")
    assert reply.path == "/inbox" and reply.json()["object"]["inReplyTo"] == remote["id"]
