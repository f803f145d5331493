"""Interaction controls (GoToSocial's interactionPolicy) between a Dreamfeed instance and a
fake GoToSocial server over real HTTP: our Notes state their policy, and replies, boosts and
likes that break it are dropped as GoToSocial drops them (or wait for the author's
approval when the policy asks for it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from activitypub.vocab import PUBLIC
from server import appkeys
from server.services.statuses import interaction_approvals
from storage import accounts as account_queries
from storage.models import InteractionRequest, MediaAttachment, Status
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    boosts,
    create,
    favourites,
    fetch_as,
    fresh,
    local_post,
    note,
    notices,
    post,
    send,
)
from tests.server.web_helpers import browser


async def alices_post(a: Instance, choices: dict[str, str] | None,
                      visibility: str = "public") -> Status:
    status = await local_post(a, "alice", visibility)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Status).where(Status.id == status.id)
                              .values(interaction_choices=choices))
    return status


async def followed_by(a: Instance, fake: FakeRemote, actor: FakeActor) -> None:
    follow = actor.activity("Follow", a.actor("alice"))
    row = await send(fake, actor, a, follow, f"{a.actor('alice')}/inbox")
    assert row.state == "applied", row.error


def reply_to(actor: FakeActor, status: Status) -> dict[str, Any]:
    return note(actor, inReplyTo=status.uri, content="<p>well actually</p>")


async def requests(a: Instance) -> list[InteractionRequest]:
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(InteractionRequest))
        return list(result.scalars().all())


async def test_our_note_states_its_policy_in_both_spellings(a: Instance) -> None:
    status = await alices_post(a, {"canReply": "followers", "canAnnounce": "mentioned"})
    code, doc = await fetch_as(a, None, status.uri)
    assert code == 200
    alice, followers = a.actor("alice"), f"{a.actor('alice')}/followers"
    policy = doc["interactionPolicy"]
    assert policy["canLike"] == {"automaticApproval": [PUBLIC], "always": [PUBLIC]}
    assert policy["canReply"]["automaticApproval"] == [alice, followers]
    assert policy["canReply"]["always"] == [alice, followers]
    assert policy["canAnnounce"] == {"automaticApproval": [alice], "always": [alice]}
    # remix consent is in the family: a public post with images, anyone at once
    assert policy["canRemix"] == {"automaticApproval": [PUBLIC], "always": [PUBLIC]}
    assert doc["canRemix"] is True  # the boolean older Dreamfeed reads
    terms = doc["@context"][-1]
    assert terms["interactionPolicy"]["@id"] == "gts:interactionPolicy"

    open_post = await alices_post(a, None)
    _, doc = await fetch_as(a, None, open_post.uri)
    assert doc["interactionPolicy"]["canReply"] == {"automaticApproval": [PUBLIC],
                                                    "always": [PUBLIC]}


async def test_approval_choice_asks_everyone_else_manually(a: Instance) -> None:
    status = await alices_post(a, {"canReply": "approval"})
    _, doc = await fetch_as(a, None, status.uri)
    assert doc["interactionPolicy"]["canReply"] == {
        "automaticApproval": [a.actor("alice")], "always": [a.actor("alice")],
        "manualApproval": [PUBLIC], "approvalRequired": [PUBLIC]}


async def test_a_followers_only_post_is_boosted_by_its_author_alone(a: Instance) -> None:
    status = await alices_post(a, None, visibility="private")
    code, doc = await fetch_as(a, "alice", status.uri)
    assert code == 200
    followers = f"{a.actor('alice')}/followers"
    assert doc["interactionPolicy"]["canAnnounce"]["automaticApproval"] == [a.actor("alice")]
    assert doc["interactionPolicy"]["canReply"]["automaticApproval"] == [a.actor("alice"),
                                                                         followers]


async def test_unpermitted_reply_is_dropped(a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    status = await alices_post(a, {"canReply": "mentioned"})
    reply = reply_to(gus, status)
    row = await send(masto, gus, a, create(gus, reply), f"{a.actor('alice')}/inbox")
    assert row.state == "ignored"
    assert row.error is not None and "dropping unpermitted reply" in row.error
    assert await post(a, reply["id"]) is None
    assert (await fresh(a, status)).replies_count == 0
    assert await notices(a) == []


async def test_a_follower_may_reply_and_boost_where_followers_may(
        a: Instance, masto: FakeRemote) -> None:
    gus, stranger = masto.add_actor("gus", "gotosocial"), masto.add_actor("stranger")
    await followed_by(a, masto, gus)
    status = await alices_post(a, {"canReply": "followers", "canAnnounce": "followers"})
    reply = reply_to(gus, status)
    row = await send(masto, gus, a, create(gus, reply), f"{a.actor('alice')}/inbox")
    assert row.state == "applied", row.error
    assert (await fresh(a, status)).replies_count == 1

    boost = gus.activity("Announce", status.uri, to=[PUBLIC], cc=[a.actor("alice")])
    assert (await send(masto, gus, a, boost)).state == "applied"
    refused = stranger.activity("Announce", status.uri, to=[PUBLIC], cc=[a.actor("alice")])
    row = await send(masto, stranger, a, refused)
    assert row.state == "ignored" and "dropping unpermitted boost" in (row.error or "")
    assert [b.uri for b in await boosts(a, status.id)] == [boost["id"]]


async def test_likes_stay_open_to_whoever_sees_the_post(a: Instance,
                                                        masto: FakeRemote) -> None:
    stranger = masto.add_actor("stranger")
    status = await alices_post(a, {"canReply": "mentioned", "canAnnounce": "mentioned"})
    like = stranger.activity("Like", status.uri)
    assert (await send(masto, stranger, a, like)).state == "applied"
    assert len(await favourites(a, status.id)) == 1


async def test_a_reply_needing_approval_waits_for_the_author(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    status = await alices_post(a, {"canReply": "approval"})
    reply = reply_to(gus, status)
    row = await send(masto, gus, a, create(gus, reply), f"{a.actor('alice')}/inbox")
    assert row.state == "applied" and "waits for its author's approval" in (row.error or "")
    assert await post(a, reply["id"]) is None
    [queued] = await requests(a)
    assert (queued.kind, queued.state, queued.interaction_uri, queued.request_uri) == \
        ("reply", "pending", reply["id"], None)
    assert await notices(a) == [("interaction_request", gus.handle, status.uri)]


# The author's approval queue and the answers it sends --------------------------------------

DATA = Path(__file__).parent.parent / "data" / "gotosocial"


def recorded_reply_request(gus: FakeActor, status: Status) -> dict[str, Any]:
    """GoToSocial's documented ReplyRequest, its hosts and ids moved to the test servers."""
    doc = json.loads((DATA / "reply_request.json").read_text())
    reply = note(gus, inReplyTo=status.uri, content=doc["instrument"]["content"],
                 cc=[f"{gus.id}/followers", status.uri.split("/statuses/")[0]])
    doc.update({"id": gus.new_id("reply_requests"), "actor": gus.id,
                "to": reply["cc"][1], "object": status.uri, "instrument": reply})
    return dict(doc)


def answers(fake: FakeRemote, kind: str) -> list[dict[str, Any]]:
    return [r.json() for r in fake.deliveries(kind)]


async def test_approving_an_impolite_reply_stores_it_and_serves_the_authorization(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    status = await alices_post(a, {"canReply": "approval"})
    reply = reply_to(gus, status)
    masto.serve(reply)  # fetched again from its origin once approved
    await send(masto, gus, a, create(gus, reply), f"{a.actor('alice')}/inbox")
    [queued] = await interaction_approvals.pending_requests(a.services, "alice")
    assert (queued.kind, queued.from_handle, queued.interaction_uri) == \
        ("reply", gus.handle, reply["id"])

    await interaction_approvals.approve(a.services, "alice", queued.id)
    await settle([a])
    [accept] = answers(masto, "Accept")
    authorization = f"{a.actor('alice')}/authorizations/{queued.id}"
    assert (accept["actor"], accept["object"], accept["target"], accept["result"]) == \
        (a.actor("alice"), reply["id"], status.uri, authorization)
    assert f"{a.actor('alice')}/followers" in accept["cc"]
    stored = await post(a, reply["id"])
    assert stored is not None and stored.in_reply_to_id == status.id
    assert (await fresh(a, status)).replies_count == 1
    assert await interaction_approvals.pending_requests(a.services, "alice") == []

    code, doc = await fetch_as(a, None, authorization)
    assert code == 200
    assert (doc["type"], doc["attributedTo"], doc["interactingObject"],
            doc["interactionTarget"]) == ("ReplyAuthorization", a.actor("alice"), reply["id"],
                                          status.uri)


async def test_a_polite_reply_request_from_a_follower_is_approved_at_once(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    await followed_by(a, masto, gus)
    status = await alices_post(a, {"canReply": "followers"})
    request = recorded_reply_request(gus, status)
    row = await send(masto, gus, a, request, f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied",
                                      "reply request approved by the post's policy")
    await settle([a])
    [accept] = [doc for doc in answers(masto, "Accept")
                if doc["object"].get("type") == "ReplyRequest"]
    assert accept["object"]["id"] == request["id"]
    assert accept["object"]["instrument"] == request["instrument"]["id"]
    assert "cc" not in accept  # a polite request's answer goes to the requester alone
    code, doc = await fetch_as(a, None, accept["result"])
    assert code == 200 and doc["interactingObject"] == request["instrument"]["id"]

    # The reply itself follows, carrying the authorization, and is kept.
    reply = {**request["instrument"], "replyAuthorization": accept["result"]}
    row = await send(masto, gus, a, create(gus, reply), f"{a.actor('alice')}/inbox")
    assert row.state == "applied", row.error
    assert (await fresh(a, status)).replies_count == 1


async def test_requests_the_policy_forbids_are_rejected_and_others_wait(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    status = await alices_post(a, {"canReply": "mentioned", "canAnnounce": "approval"})
    request = recorded_reply_request(gus, status)
    row = await send(masto, gus, a, request, f"{a.actor('alice')}/inbox")
    assert row.error == "reply request refused by the post's policy"
    await settle([a])
    [reject] = answers(masto, "Reject")
    assert reject["object"]["id"] == request["id"] and "result" not in reject

    announce = gus.activity("Announce", status.uri, to=[PUBLIC])
    boost_request = gus.activity("AnnounceRequest", status.uri, instrument=announce,
                                 to=a.actor("alice"))
    row = await send(masto, gus, a, boost_request, f"{a.actor('alice')}/inbox")
    assert row.error == "queued: the announce waits for its author's approval"
    [queued] = await interaction_approvals.pending_requests(a.services, "alice")
    async with browser(a) as web:
        assert (await web.sign_in("alice", "correct horse")).status == 303
        page = (await web.get("/interactions")).text
        assert f"<bdi>@{gus.handle}</bdi></strong> wants to boost <a href=" in page
        # One sentence per kind, each in the reader's language; and the page's answer.
        web.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})
        page = (await web.get("/interactions")).text
        assert f"<bdi>@{gus.handle}</bdi></strong> souhaite partager <a href=" in page
        rejected = await web.post(f"/interactions/{queued.id}/reject", {},
                                  form_page="/interactions")
        assert rejected.location == "/interactions?done=rejected"
        page = (await web.get(rejected.location)).text
        assert "Demande refusée." in page and "Rien n\u2019attend." in page
        assert 'dans <a href="/settings/interactions">vos paramètres</a>.' in page
    await settle([a])
    assert [r["object"]["id"] for r in answers(masto, "Reject")] == [request["id"],
                                                                      boost_request["id"]]
    code, _ = await fetch_as(a, None, f"{a.actor('alice')}/authorizations/{queued.id}")
    assert code == 404  # nothing approved, nothing to prove
    assert await boosts(a, status.id) == []


async def test_defaults_in_settings_and_a_choice_when_composing(a: Instance) -> None:
    async with browser(a) as web:
        assert (await web.sign_in("alice", "correct horse")).status == 303
        page = await web.get("/settings/interactions")
        assert page.status == 200 and 'name="canReply"' in page.text
        assert 'name="canQuote"' in page.text
        saved = await web.post("/settings/interactions",
                               {"canReply": "everyone", "canAnnounce": "followers",
                                "canQuote": "nobody"})
        assert saved.status == 303
        settings = (await web.get("/settings/interactions")).text
        assert 'value="followers" selected' in settings
        assert 'value="nobody" selected' in settings
        refused = await web.post("/settings/interactions", {"canReply": "nobody-at-all"},
                                 form_page="/settings/interactions")
        assert refused.status == 422
        refused = await web.post("/settings/interactions", {"canQuote": "strangers"},
                                 form_page="/settings/interactions")
        assert refused.status == 422

        media = await a.make_images(await _alice_id(a), "a lantern in the fog")
        async with a.app[appkeys.DATABASE].reader() as session:
            image = await session.get(MediaAttachment, media[0])
        assert image is not None
        composed = await web.get(f"/compose?generation={image.generation_id}")
        assert 'name="canReply"' in composed.text and "Your default" in composed.text
        made = await web.post("/compose/post", {"media_id": str(media[0]), "caption": "hi",
                                                f"alt_{media[0]}": "A violet nebula",
                                                "visibility": "public",
                                                "canReply": "mentioned"},
                              form_page="/compose")
        assert made.status == 303, made.text[:300]
    status_id = int(made.location.rsplit("/", 1)[1])
    async with a.app[appkeys.DATABASE].reader() as session:
        status = await session.get(Status, status_id)
    assert status is not None
    # The post's own choice, the author's default for the rest.
    assert status.interaction_choices == {"canReply": "mentioned", "canAnnounce": "followers"}
    _, doc = await fetch_as(a, None, status.uri)
    assert doc["interactionPolicy"]["canReply"]["automaticApproval"] == [a.actor("alice")]
    # the default quote policy: nobody but her (FEP-044f's shape for "nobody")
    assert doc["interactionPolicy"]["canQuote"]["automaticApproval"] == [a.actor("alice")]


async def _alice_id(a: Instance) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, "alice")
    assert account is not None
    return account.id
