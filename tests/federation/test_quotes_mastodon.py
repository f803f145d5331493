"""Quote posts with a fake Mastodon 4.5 server over real HTTP, from the payloads of
tests/data/mastodon/quotes/ (as Mastodon's serializers write them): its QuoteRequest for
our post answered with an Accept and a stamp served at its id, and our revocation; its quote
of a third post verified by fetching the stamp, then revoked; our quotes of its posts as
their canQuote allows (automatic, followers only, nobody, no policy at all), approved by its
Accept or refused by its Reject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from server import appkeys
from server.services.errors import Forbidden
from server.services.reading.post_cards import PostCard, cards
from server.services.statuses import posts, quote_updates
from storage import accounts as account_queries
from storage import quotes as quote_queries
from storage.models import Status
from storage.models.quotes import Quote
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    alice_follows,
    create,
    fetch_as,
    local_post,
    post,
    send,
)

DATA = Path(__file__).parent.parent / "data" / "mastodon" / "quotes"


def payload(name: str, **values: str) -> dict[str, Any]:
    text = (DATA / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    doc = json.loads(text)
    doc.pop("_source", None)
    return doc


def _actor_values(actor: FakeActor) -> dict[str, str]:
    return {"ACTOR": actor.id, "BASE": actor.base, "USERNAME": actor.username}


async def _quote(a: Instance, status_id: int) -> Quote | None:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await quote_queries.of_status(session, status_id)


async def _card(a: Instance, status_id: int, viewer: int | None) -> PostCard:
    async with a.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(a.services, session, [status_id], viewer_account_id=viewer)
    return card


async def _account_id(a: Instance, username: str) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, username)
    assert account is not None
    return account.id


async def test_mastodon_quote_request_for_our_post(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    ours = await local_post(a, "alice")
    request = payload("quote_request.json", **_actor_values(carol), QUOTED=ours.uri,
                      QUOTED_AUTHOR=a.actor("alice"))
    quoting = request["instrument"]["id"]
    row = await send(masto, carol, a, request, f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied", "quote approved")

    # The Accept Mastodon waits for: its request embedded, our stamp as result.
    [accept] = [r.json() for r in masto.deliveries("Accept")]
    assert accept["actor"] == a.actor("alice")
    assert accept["object"]["type"] == "QuoteRequest"
    assert accept["object"]["id"] == request["id"]
    assert (accept["object"]["object"], accept["object"]["instrument"]) == (ours.uri, quoting)
    stamp = accept["result"]
    assert stamp.startswith(a.actor("alice") + "/quote_authorizations/")
    status, document = await fetch_as(a, None, stamp)
    assert status == 200
    recorded = payload("quote_authorization.json", **_actor_values(carol), STAMP=stamp,
                       QUOTING=quoting, QUOTED=ours.uri)
    assert {k: document[k] for k in ("id", "type", "interactingObject", "interactionTarget")} \
        == {k: recorded[k] for k in ("id", "type", "interactingObject", "interactionTarget")}
    assert document["attributedTo"] == a.actor("alice")

    # The quote post (stored from the inlined instrument) shows alice's post as a card.
    stored = await post(a, quoting)
    assert stored is not None
    alice_id = await _account_id(a, "alice")
    card = await _card(a, stored.id, alice_id)
    assert card.quote is not None and card.quote.state == "accepted" and card.quote.revocable

    # Mastodon sends the post again with the stamp: nothing changes here.
    note = payload("quote_note.json", **_actor_values(carol), QUOTED=ours.uri,
                   QUOTED_AUTHOR=a.actor("alice"), STAMP=stamp)
    note["updated"] = "2026-11-30T18:05:00Z"
    await send(masto, carol, a, carol.activity("Update", note, to=note["to"], cc=note["cc"]))
    assert (await _quote(a, stored.id)).state == "accepted"  # type: ignore[union-attr]

    # alice removes the quote: Mastodon gets the Delete of the stamp, as it sends one.
    await quote_updates.revoke(a.services, "alice", card.quote.quote_id)
    await settle([a])
    [delete] = [r.json() for r in masto.deliveries("Delete")]
    expected = payload("delete_quote_authorization.json", ACTOR=a.actor("alice"), STAMP=stamp)
    expected.pop("@context")
    assert {k: delete[k] for k in expected} == expected
    assert (await _card(a, stored.id, alice_id)).quote.state == "revoked"  # type: ignore[union-attr]


async def test_mastodon_refused_quote_request(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    ours = await local_post(a, "alice", visibility="private")
    request = payload("quote_request.json", **_actor_values(carol), QUOTED=ours.uri,
                      QUOTED_AUTHOR=a.actor("alice"))
    row = await send(masto, carol, a, request, f"{a.actor('alice')}/inbox")
    assert row.error.startswith("quote refused")
    [reject] = [r.json() for r in masto.deliveries("Reject")]
    assert reject["object"]["id"] == request["id"] and "result" not in reject


async def test_third_party_quote_is_verified_then_revoked(a: Instance,
                                                           masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    quoted = payload("note_quotable_by_followers.json", **_actor_values(dave))
    masto.serve(quoted)
    stamp = f"{dave.id}/quote_authorizations/115360799000000001"
    note = payload("quote_note.json", **_actor_values(carol), QUOTED=quoted["id"],
                   QUOTED_AUTHOR=dave.id, STAMP=stamp)
    masto.serve(payload("quote_authorization.json", **_actor_values(dave), STAMP=stamp,
                        QUOTING=note["id"], QUOTED=quoted["id"]))
    row = await send(masto, carol, a, create(carol, note))
    assert row.state == "applied"
    await settle([a])
    stored = await post(a, note["id"])
    assert stored is not None
    quote = await _quote(a, stored.id)
    assert quote is not None and (quote.state, quote.approval_uri) == ("accepted", stamp)
    alice_id = await _account_id(a, "alice")
    card = await _card(a, stored.id, alice_id)
    assert card.quote is not None and card.quote.state == "accepted"
    assert card.quote.text == "followers may quote this"

    # dave revokes it (to alice's server's shared inbox): the quote shows as removed.
    delete = payload("delete_quote_authorization.json", ACTOR=dave.id, STAMP=stamp)
    row = await send(masto, dave, a, delete)
    assert (row.state, row.error) == ("applied", "quote authorization revoked")
    assert (await _card(a, stored.id, alice_id)).quote.state == "revoked"  # type: ignore[union-attr]


async def test_a_stamp_that_names_another_post_is_refused(a: Instance,
                                                           masto: FakeRemote) -> None:
    carol, dave = masto.add_actor("carol"), masto.add_actor("dave")
    await alice_follows(a, masto, carol)
    quoted = payload("note_quotable_by_followers.json", **_actor_values(dave))
    masto.serve(quoted)
    stamp = f"{dave.id}/quote_authorizations/2"
    note = payload("quote_note.json", **_actor_values(carol), QUOTED=quoted["id"],
                   QUOTED_AUTHOR=dave.id, STAMP=stamp)
    masto.serve(payload("quote_authorization.json", **_actor_values(dave), STAMP=stamp,
                        QUOTING=f"{carol.id}/statuses/1", QUOTED=quoted["id"]))
    await send(masto, carol, a, create(carol, note))
    await settle([a])
    stored = await post(a, note["id"])
    assert stored is not None
    assert (await _quote(a, stored.id)).state == "rejected"  # type: ignore[union-attr]


async def _store_note(a: Instance, masto: FakeRemote, actor: FakeActor,
                      doc: dict[str, Any]) -> Status:
    await send(masto, actor, a, create(actor, doc))
    stored = await post(a, doc["id"])
    assert stored is not None
    return stored


async def test_our_quotes_follow_their_policy(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    await a.add_user("zed")
    followers_only = await _store_note(a, masto, carol, payload(
        "note_quotable_by_followers.json", **_actor_values(carol)))
    nobody = await _store_note(a, masto, carol, payload("note_not_quotable.json",
                                                        **_actor_values(carol)))
    legacy = await _store_note(a, masto, carol, {
        **payload("note_not_quotable.json", **_actor_values(carol)),
        "id": f"{carol.id}/statuses/3", "interactionPolicy": None})

    with pytest.raises(Forbidden, match="its author does not allow quotes of it"):
        await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[], caption="x", quote_of=str(nobody.id)))
    with pytest.raises(Forbidden, match="does not say that it may be quoted"):
        await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[], caption="x", quote_of=str(legacy.id)))
    with pytest.raises(Forbidden, match="lets only their followers quote it"):
        await posts.create_status(a.services, "zed", posts.NewStatus(
            media_ids=[], caption="x", quote_of=str(followers_only.id)))
    alice_id = await _account_id(a, "alice")
    offer = (await _card(a, nobody.id, alice_id)).quote_offer
    assert offer is not None and (offer.verdict, offer.reason) == (
        "denied", "Its author does not allow quotes")

    # alice follows carol: her quote goes out with a QuoteRequest and waits.
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption="lovely", quote_of=str(followers_only.id)))
    await settle([a])
    [request] = [r.json() for r in masto.deliveries("QuoteRequest")]
    assert (request["object"], request["instrument"]["id"]) == (followers_only.uri, view.uri)
    [quote_create] = [r.json() for r in masto.deliveries("Create")
                      if r.json()["object"]["id"] == view.uri]
    assert quote_create["object"]["quote"] == followers_only.uri
    assert "quoteAuthorization" not in quote_create["object"]
    assert (await _card(a, view.id, alice_id)).quote.state == "pending"  # type: ignore[union-attr]

    stamp = f"{carol.id}/quote_authorizations/115360799000000001"
    accept = payload("accept_quote_request.json", **_actor_values(carol), STAMP=stamp,
                     REQUEST=request["id"], REQUESTER=a.actor("alice"),
                     QUOTED=followers_only.uri, QUOTING=view.uri)
    row = await send(masto, carol, a, accept, f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied", "quote approved by its author")
    await settle([a])
    [update] = [r.json() for r in masto.deliveries("Update")
                if r.json()["object"]["id"] == view.uri]
    assert update["object"]["quoteAuthorization"] == stamp
    assert (await _card(a, view.id, alice_id)).quote.state == "accepted"  # type: ignore[union-attr]

    # A Reject of a second quote: refused.
    other = await _store_note(a, masto, carol, {
        **payload("note_quotable_by_followers.json", **_actor_values(carol)),
        "id": f"{carol.id}/statuses/4"})
    second = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[], caption="again", quote_of=str(other.id)))
    await settle([a])
    request = next(r.json() for r in masto.deliveries("QuoteRequest")
                   if r.json()["instrument"]["id"] == second.uri)
    reject = payload("reject_quote_request.json", **_actor_values(carol),
                     REQUEST=request["id"], REQUESTER=a.actor("alice"),
                     QUOTED=other.uri, QUOTING=second.uri)
    row = await send(masto, carol, a, reject, f"{a.actor('alice')}/inbox")
    assert (row.state, row.error) == ("applied", "quote refused by its author")
    card = await _card(a, second.id, alice_id)
    assert card.quote is not None and card.quote.label == "The quoted author declined this quote"
