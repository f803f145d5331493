"""Our users honour the interaction policies of a (fake) GoToSocial server's posts, over real
HTTP: what a policy forbids is refused with its reason; what it lets through only with the
author's approval goes out as a ReplyRequest/AnnounceRequest/LikeRequest to the author alone
and stays pending until the author's Accept (then it goes to everyone, carrying the
authorization) or Reject (then it is taken back). Answers are GoToSocial's documented
shapes (tests/data/gotosocial/)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from activitypub.vocab import PUBLIC
from server import appkeys
from server.services.errors import Forbidden
from server.services.social import follows
from server.services.statuses import boosts, favourites, posts
from storage import timeline_reach as reach
from storage import timelines as timeline_queries
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    alice_follows,
    create,
    note,
    post,
    send,
)
from tests.federation.interactions_helpers import (
    favourites as likes_of,
)
from tests.server.web_helpers import browser

DATA = Path(__file__).parent.parent / "data" / "gotosocial"
PASSWORD = "correct horse"  # Instance.add_user's


def policy(**rules: dict[str, list[str]]) -> dict[str, Any]:
    return {"interactionPolicy": rules}


async def gts_post(a: Instance, gts: FakeRemote, gus: FakeActor,
                   **rules: dict[str, list[str]]) -> str:
    """A post of gus (followed by alice) with `rules` as its interactionPolicy, stored."""
    await alice_follows(a, gts, gus)
    doc = note(gus, **policy(**rules))
    doc["@context"] = ["https://gotosocial.org/ns", "https://www.w3.org/ns/activitystreams"]
    row = await send(gts, gus, a, create(gus, doc))
    assert row.state == "applied", row.error
    stored = await post(a, doc["id"])
    assert stored is not None and stored.interaction_policy is not None
    return str(doc["id"])


def answer(kind: str, gus: FakeActor, request: dict[str, Any], *,
           result: str | None) -> dict[str, Any]:
    """GoToSocial's Accept/Reject of a request (recorded shape), naming our request."""
    recorded = "accept_reply_request" if kind == "Accept" else "reject_reply_request"
    doc = copy.deepcopy(json.loads((DATA / f"{recorded}.json").read_text()))
    doc.update({"id": gus.new_id(kind), "actor": gus.id, "to": request["actor"]})
    doc["object"].update({"id": request["id"], "actor": request["actor"],
                          "type": request["type"], "object": request["object"],
                          "instrument": request["instrument"]["id"]})
    if result is None:
        doc.pop("result", None)
    else:
        doc["result"] = result
    return dict(doc)


def delivered(gts: FakeRemote, kind: str) -> list[dict[str, Any]]:
    return [r.json() for r in gts.deliveries(kind)]


async def test_forbidden_reply_is_refused_with_its_reason(a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canReply={"automaticApproval": [gus.id]},
                         canAnnounce={"always": [gus.id]})
    with pytest.raises(Forbidden, match="does not allow you to reply"):
        await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[], caption="hi", in_reply_to=uri))
    with pytest.raises(Forbidden, match="does not allow you to boost"):
        await boosts.boost(a.services, "alice", uri)
    await favourites.favourite(a.services, "alice", uri)  # canLike unset: open
    await settle([a])
    [like] = delivered(masto, "Like")
    assert "likeAuthorization" not in like


async def test_a_boost_needing_approval_is_pending_until_accepted(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canAnnounce={"automaticApproval": [gus.id],
                                                    "manualApproval": [PUBLIC]})
    masto.forget()
    await boosts.boost(a.services, "alice", uri)
    await settle([a])
    assert delivered(masto, "Announce") == []  # nobody hears of it yet
    [request] = delivered(masto, "AnnounceRequest")
    assert (request["actor"], request["to"], request["object"]) == (a.actor("alice"), gus.id,
                                                                    uri)
    assert request["instrument"]["type"] == "Announce"
    target = await post(a, uri)
    assert target is not None and target.reblogs_count == 0
    boost = await post(a, request["instrument"]["id"].removesuffix("/activity"))
    assert boost is not None and boost.pending_approval

    authorization = f"{gus.id}/authorizations/01KFGBRQBK8PPCQBE7K7Z22J5T"
    row = await send(masto, gus, a, answer("Accept", gus, request, result=authorization),
                     f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied", "announce approved by its post's author")
    [announce] = delivered(masto, "Announce")
    assert announce["announceAuthorization"] == authorization
    assert announce["approvedBy"] == authorization
    assert announce["id"] == request["instrument"]["id"]
    refreshed = await post(a, boost.uri)
    assert refreshed is not None and not refreshed.pending_approval
    assert refreshed.approved_by == authorization


async def test_a_reply_needing_approval_is_asked_for_and_taken_back_on_reject(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canReply={"automaticApproval": [gus.id],
                                                 "manualApproval": [PUBLIC]})
    masto.forget()
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption="may I?", in_reply_to=uri))
    await settle([a])
    assert delivered(masto, "Create") == []
    [request] = delivered(masto, "ReplyRequest")
    assert request["instrument"]["id"] == view.uri
    assert request["instrument"]["inReplyTo"] == uri
    mine = await post(a, view.uri)
    assert mine is not None and mine.pending_approval
    bob = await a.add_user("bob")
    async with a.app[appkeys.DATABASE].reader() as session:  # its author alone sees it
        assert await timeline_queries.visible(session, [mine.id], mine.account_id) \
            == {mine.id}
        assert await timeline_queries.visible(session, [mine.id], bob.account_id) == set()
        assert await timeline_queries.visible(session, [mine.id], None) == set()
    # nor in anyone else's timelines (home of a follower, local, federated), nor streamed
    await follows.follow(a.services, "bob", a.handle("alice"))
    async with a.app[appkeys.DATABASE].reader() as session:
        for viewer in (bob.account_id, None):
            for query in (timeline_queries.local_query(viewer),
                          timeline_queries.federated_query(viewer)):
                assert not await reach.includes(session, query, mine.id)
        assert not await reach.includes(
            session, timeline_queries.home_query(bob.account_id), mine.id)
        assert await reach.includes(
            session, timeline_queries.home_query(mine.account_id), mine.id)

    row = await send(masto, gus, a, answer("Reject", gus, request, result=None),
                     f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied", "reply refused by its post's author")
    gone = await post(a, view.uri)
    assert gone is not None and gone.deleted_at is not None
    assert delivered(masto, "Create") == []


async def test_an_approved_reply_goes_out_with_its_authorization(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canReply={"always": [gus.id],
                                                 "approvalRequired": [PUBLIC]})
    masto.forget()
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption="may I?", in_reply_to=uri))
    await settle([a])
    [request] = delivered(masto, "ReplyRequest")
    authorization = f"{gus.id}/authorizations/01KFGBRQBK8PPCQBE7K7Z22J5T"
    await send(masto, gus, a, answer("Accept", gus, request, result=authorization),
               f"{a.actor('alice')}/inbox")
    [created] = delivered(masto, "Create")
    assert created["object"]["id"] == view.uri
    assert created["object"]["replyAuthorization"] == authorization
    target = await post(a, uri)
    assert target is not None and target.replies_count == 1


async def test_a_like_of_a_followers_only_liking_post_asks_as_a_follower(
        a: Instance, masto: FakeRemote) -> None:
    """Allowed only as a follower: third servers cannot check that, so we ask (GoToSocial's
    case 2) and the like is pending until the author answers."""
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canLike={"automaticApproval": [gus.id,
                                                                      f"{gus.id}/followers"]})
    masto.forget()
    await favourites.favourite(a.services, "alice", uri)
    await settle([a])
    assert delivered(masto, "Like") == []
    [request] = delivered(masto, "LikeRequest")
    assert request["instrument"]["type"] == "Like"
    target = await post(a, uri)
    assert target is not None
    [like] = await likes_of(a, target.id)
    assert like.pending_approval and target.favourites_count == 0


async def test_the_web_app_shows_forbidden_approval_and_pending_states(
        a: Instance, masto: FakeRemote) -> None:
    gus = masto.add_actor("gus", "gotosocial")
    uri = await gts_post(a, masto, gus, canReply={"automaticApproval": [gus.id]},
                         canAnnounce={"automaticApproval": [gus.id],
                                      "manualApproval": [PUBLIC]})
    target = await post(a, uri)
    assert target is not None
    async with browser(a) as web:
        assert (await web.sign_in("alice", PASSWORD)).status == 303
        page = (await web.get(f"/@{gus.handle}/{target.id}")).text
        reply = _action(page, "reply")
        assert 'data-policy="forbidden"' in reply
        assert "does not allow you to reply to it (as its server says)" in reply
        boost = _action(page, "boost")
        assert 'data-policy="approval"' in boost and "approves it first" in boost
        assert 'data-policy' not in _action(page, "like")  # allowed: as always
        # The same reasons in the reader's language (N_ templates the card translates).
        web.session.cookie_jar.update_cookies({"dreamfeed_language": "fr"})
        page = (await web.get(f"/@{gus.handle}/{target.id}")).text
        assert "ne vous permet pas d\u2019y répondre (selon son serveur)" in _action(page,
                                                                                "reply")
        assert "L\u2019auteur doit d\u2019abord donner son accord" in _action(page, "boost")
        web.session.cookie_jar.update_cookies({"dreamfeed_language": "en"})

        await boosts.boost(a.services, "alice", uri)
        page = (await web.get(f"/@{gus.handle}/{target.id}")).text
        boost = _action(page, "boost")
        assert 'data-policy="pending"' in boost and "Pending" in boost

        # A reply posted anyway (a page from before the policy) is refused with the reason.
        refused = await web.post(f"/web/posts/{target.id}/reply", {"caption": "hi"},
                                 form_page=f"/@{gus.handle}/{target.id}")
        assert refused.status == 403, refused.status
        assert "does not allow you to reply" in refused.text


def _action(page: str, kind: str) -> str:
    """The markup of one action of the post's footer (its first element of that kind)."""
    footer = page[page.index('<footer class="actions">'):]
    start = footer.index(f'class="action {kind}')
    start = footer.rindex("<", 0, start)
    return footer[start:footer.index("</", start) + 200]
