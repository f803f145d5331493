"""Interaction controls between two Dreamfeed instances over real HTTP: bob@b lets others
reply only with his approval; alice@a's reply goes to him as a ReplyRequest and waits,
pending, seen by her alone; bob approves it on b; b answers with an Accept whose result is
the ReplyAuthorization it serves; a then sends the reply to its whole audience carrying
replyAuthorization, and b keeps it under bob's post."""

from __future__ import annotations

from activitypub import interaction_policy as wire
from server.services.social import follows
from server.services.statuses import interaction_approvals, posts
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import fetch_as, notices, post


async def test_a_reply_needing_approval_between_two_instances(
        a: Instance, start: StartInstance) -> None:
    b = await start("b")
    bob = await b.add_user("bob")
    await follows.follow(a.services, "alice", b.handle("bob"))
    await settle([a, b])
    media = await b.make_images(bob.account_id, "a lighthouse made of glass")
    bobs = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=media, caption="ask first", interaction_choices={"canReply": "approval"}))
    await settle([a, b])
    copy = await post(a, bobs.uri)
    assert copy is not None and copy.interaction_policy is not None
    stated = wire.Policy.from_json(copy.interaction_policy)
    assert stated is not None and stated.rule(wire.REPLY).manual == (wire.PUBLIC,)

    reply = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption="may I?", in_reply_to=bobs.uri))
    await settle([a, b])
    mine = await post(a, reply.uri)
    assert mine is not None and mine.pending_approval
    assert await post(b, reply.uri) is None  # b has only the request
    [waiting] = await interaction_approvals.pending_requests(b.services, "bob")
    assert (waiting.kind, waiting.from_handle, waiting.interaction_uri) == \
        ("reply", a.handle("alice"), reply.uri)
    assert ("interaction_request", a.handle("alice"), bobs.uri) in await notices(b, "bob")

    await interaction_approvals.approve(b.services, "bob", waiting.id)
    await settle([a, b])
    approved = await post(a, reply.uri)
    authorization = f"{b.actor('bob')}/authorizations/{waiting.id}"
    assert approved is not None and not approved.pending_approval
    assert approved.approved_by == authorization
    kept = await post(b, reply.uri)
    assert kept is not None and kept.in_reply_to_uri == bobs.uri
    bob_post = await post(b, bobs.uri)
    assert bob_post is not None and bob_post.replies_count == 1

    code, doc = await fetch_as(a, "alice", reply.uri)
    assert code == 200 and doc["replyAuthorization"] == authorization
    code, proof = await fetch_as(a, "alice", authorization)
    assert code == 200
    assert (proof["type"], proof["interactingObject"], proof["interactionTarget"]) == \
        ("ReplyAuthorization", reply.uri, bobs.uri)
