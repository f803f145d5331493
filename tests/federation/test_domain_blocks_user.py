"""A local person blocks a whole remote server (Mastodon's AccountDomainBlock), against a fake
Mastodon server: what AfterBlockDomainFromAccountService does (their followers there removed,
each sent a Reject of its Follow, a pending request too; the person's follows there undone
with Undo{Follow}; no Block sent), the Follow it refuses from then on, the follow it refuses
to make, what it hides (home, boosts of its posts, the federated timeline, notifications)
and what it leaves alone (other people's views, the profile); a direct message from there,
kept but starting no conversation and notifying nobody who blocks the server, as Mastodon's
NotifyService drops it before push_to_conversation!. Not the instance's domain blocks
(test_domain_blocks.py)."""

from __future__ import annotations

from typing import Any

import pytest

from server import appkeys
from server.services.errors import Forbidden, InvalidInput
from server.services.reading import api_conversations, timelines
from server.services.social import domain_blocks, follows
from server.services.statuses import boosts
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.pagination import Page
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import alice_follows, create, note, notices, send


async def _followed_by(masto: FakeRemote, a: Instance, actor: FakeActor, username: str,
                       outcome: str = "accepted") -> str:
    """`actor` follows local `username`, with this outcome; the Follow's id."""
    follow = actor.activity("Follow", a.actor(username))
    row = await send(masto, actor, a, follow, f"{a.actor(username)}/inbox")
    assert (row.state, row.error) == ("applied", outcome)
    return str(follow["id"])


async def _home(a: Instance, username: str) -> list[int]:
    return [item.status_id for item in await timelines.home(a.services, username, Page())]


async def _federated(a: Instance, username: str) -> list[int]:
    return [item.status_id
            for item in await timelines.federated(a.services, Page(), viewer=username)]


async def _stored_id(a: Instance, uri: str) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        found = await status_queries.by_uri(session, uri)
    assert found is not None
    return found.id


async def test_blocking_a_server_ends_follows_and_refuses_new_ones(
        a: Instance, masto: FakeRemote) -> None:
    await a.add_user("bob")
    await a.add_user("carol")
    wolf, dog, pup = masto.add_actor("wolf"), masto.add_actor("dog"), masto.add_actor("pup")
    # wolf and dog follow alice (and wolf bob); alice and bob follow pup; alice follows
    # carol, who boosts pup's post.
    theirs = {actor.id: await _followed_by(masto, a, actor, "alice") for actor in (wolf, dog)}
    await _followed_by(masto, a, wolf, "bob")
    await alice_follows(a, masto, pup)
    await follows.follow(a.services, "bob", pup.handle)
    await settle([a])
    [bobs_follow] = [r.json() for r in masto.deliveries("Follow")
                     if r.json()["actor"] == a.actor("bob")]
    await send(masto, pup, a, pup.activity("Accept", bobs_follow), f"{a.actor('bob')}/inbox")
    await follows.follow(a.services, "alice", f"carol@{a.domain}")
    await settle([a])
    picture = note(pup, content="<p>a puppy in the snow</p>")
    await send(masto, pup, a, create(pup, picture))
    pups = await _stored_id(a, picture["id"])
    await boosts.boost(a.services, "carol", str(pups))
    carols_boost = (await _home(a, "carol"))[0]
    assert pups in await _home(a, "alice") and carols_boost in await _home(a, "alice")
    assert pups in await _federated(a, "alice")
    mention = note(pup, content="<p>@alice look</p>", cc=[a.actor("alice")],
                   tag=[{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}])
    await send(masto, pup, a, create(pup, mention))
    assert {kind for kind, handle, _ in await notices(a) if handle in (wolf.handle, pup.handle)
            } == {"follow", "mention"}

    masto.forget()
    view = await domain_blocks.block_domain(a.services, "alice", f"{masto.base}/@pup")
    assert view.domain == masto.domain
    await settle([a])

    # Each follower there gets a Reject naming its own Follow; alice's follow is undone;
    # nothing says "Block".
    rejects = [r.json() for r in masto.deliveries("Reject")]
    assert sorted((r["object"]["actor"], r["object"]["id"]) for r in rejects) == \
        sorted(theirs.items())
    assert {r["actor"] for r in rejects} == {a.actor("alice")}
    [undo] = [r.json() for r in masto.deliveries("Undo")]
    assert (undo["actor"], undo["object"]["type"], undo["object"]["object"]) == \
        (a.actor("alice"), "Follow", pup.id)
    assert masto.deliveries("Block") == []
    assert await follows.relationships(a.services, "alice") == \
        follows.Relationships([], [f"carol@{a.domain}"], [], [])
    # Bob's follows of and by that server are his own business.
    bobs = await follows.relationships(a.services, "bob")
    assert (bobs.followers, bobs.following) == ([wolf.handle], [pup.handle])

    # pup's post and carol's boost of it leave alice's home and federated timeline; the
    # notifications from there are gone. Bob still sees it all.
    assert pups not in await _home(a, "alice") and carols_boost not in await _home(a, "alice")
    assert pups not in await _federated(a, "alice")
    assert not [n for n in await notices(a) if n[1] in (wolf.handle, dog.handle, pup.handle)]
    assert pups in await _home(a, "bob") and pups in await _federated(a, "bob")
    profile = await timelines.profile(a.services, pup.handle, Page(), viewer="alice")
    assert pups in [item.status_id for item in profile]

    # A new Follow from there is Rejected; a new mention notifies nobody.
    masto.forget()
    again = await _followed_by(masto, a, wolf, "alice", "rejected: blocked")
    await settle([a])
    [reject] = [r.json() for r in masto.deliveries("Reject")]
    assert reject["object"]["id"] == again and reject["object"]["actor"] == wolf.id
    assert (await follows.relationships(a.services, "alice")).followers == []
    later = note(pup, content="<p>@alice again</p>", cc=[a.actor("alice")],
                 tag=[{"type": "Mention", "href": a.actor("alice"), "name": "@alice"}])
    await send(masto, pup, a, create(pup, later))
    assert not [n for n in await notices(a) if n[1] == pup.handle]
    # ...and alice cannot follow anyone there, as Mastodon's FollowService refuses.
    with pytest.raises(Forbidden, match="you block its server"):
        await follows.follow(a.services, "alice", dog.handle)
    assert masto.deliveries("Follow") == []

    # Unblocking shows the posts again; the ended follows stay ended (as in Mastodon).
    assert await domain_blocks.unblock_domain(a.services, "alice", masto.domain)
    assert pups in await _federated(a, "alice")
    assert await follows.relationships(a.services, "alice") == \
        follows.Relationships([], [f"carol@{a.domain}"], [], [])
    await follows.follow(a.services, "alice", dog.handle)
    await settle([a])
    assert [r.json()["object"] for r in masto.deliveries("Follow")] == [dog.id]


async def test_a_pending_request_is_rejected_and_the_own_domain_refused(
        a: Instance, masto: FakeRemote) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        alice = await account_queries.local_account_by_username(session, "alice")
        assert alice is not None
        alice.manually_approves_followers = True
    wolf = masto.add_actor("wolf")
    request = await _followed_by(masto, a, wolf, "alice", "pending")
    assert (await follows.relationships(a.services, "alice")).requests == [wolf.handle]
    masto.forget()
    await domain_blocks.block_domain(a.services, "alice", masto.domain.upper())
    await settle([a])
    [reject] = [r.json() for r in masto.deliveries("Reject")]
    assert reject["object"]["id"] == request
    assert (await follows.relationships(a.services, "alice")).requests == []
    assert [b.domain for b in await domain_blocks.list_blocks(a.services, "alice")] == \
        [masto.domain]
    with pytest.raises(InvalidInput, match="own domain"):
        await domain_blocks.block_domain(a.services, "alice", a.domain)


async def _conversations(a: Instance, account_id: int) -> list[str]:
    """The uris of the newest status of each of the account's conversations."""
    found = (await api_conversations.conversations(a.services, account_id, Page())).conversations
    return [c.last_status.status.uri for c in found if c.last_status is not None]


def _direct(actor: FakeActor, a: Instance, *usernames: str) -> dict[str, Any]:
    """A Mastodon-shaped direct Note from `actor` to these local people."""
    return note(actor, to=[a.actor(name) for name in usernames], cc=[],
                content="<p>" + " ".join(f"@{name}" for name in usernames) + " psst</p>",
                tag=[{"type": "Mention", "href": a.actor(name), "name": f"@{a.handle(name)}"}
                     for name in usernames])


async def test_a_direct_message_from_a_blocked_server_starts_no_conversation(
        a: Instance, masto: FakeRemote) -> None:
    async with a.app[appkeys.DATABASE].reader() as session:
        found = await account_queries.local_account_by_username(session, "alice")
    assert found is not None
    alice = found.id
    bob = (await a.add_user("bob")).account_id
    dave = masto.add_actor("dave")
    await domain_blocks.block_domain(a.services, "alice", masto.domain)

    first = _direct(dave, a, "alice", "bob")
    row = await send(masto, dave, a, create(dave, first))
    assert row.state == "applied", row.error
    # Kept (bob has it), but alice gets no conversation and no notification of it.
    assert await _stored_id(a, first["id"])
    assert await _conversations(a, alice) == []
    assert await _conversations(a, bob) == [first["id"]]
    assert [(kind, handle) for kind, handle, _ in await notices(a, "bob")] == \
        [("mention", dave.handle)]
    assert await notices(a, "alice") == []

    # Unblocked, the next one does; the one that came during the block stays out.
    await domain_blocks.unblock_domain(a.services, "alice", masto.domain)
    second = _direct(dave, a, "alice")
    await send(masto, dave, a, create(dave, second))
    assert await _conversations(a, alice) == [second["id"]]
    assert [uri for _, _, uri in await notices(a)] == [second["id"]]
