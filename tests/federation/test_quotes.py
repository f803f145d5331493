"""Quote posts (FEP-044f, Mastodon 4.5) between two Dreamfeed instances over real HTTP: a
quote of a remote post asks its author (QuoteRequest), is pending until the Accept carries a
QuoteAuthorization (then attached to the quote post, sent again as an Update), the stamp is
served at its id, the quoted author revokes it (Delete) and the quote shows as removed; a
followers-only post is not quotable, with the reason; a quoted post deleted shows as gone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from server import appkeys
from server.render.to_mastodon.statuses import status as status_entity
from server.services.errors import Forbidden
from server.services.reading import api_statuses, composer
from server.services.reading.post_cards import cards
from server.services.social import follows
from server.services.statuses import posts, quote_updates
from storage.models import OutgoingActivity
from storage.models.quotes import Quote
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import fetch_as, notices, post

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def _quote_of(instance: Instance, status_id: int) -> Quote:
    async with instance.app[appkeys.DATABASE].reader() as session:
        found = (await session.execute(select(Quote).where(Quote.status_id == status_id))
                 ).scalar_one_or_none()
    assert found is not None
    return found


async def _sent(instance: Instance, kind: str) -> list[dict[str, Any]]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        rows = (await session.execute(select(OutgoingActivity))).scalars().all()
    return [r.body for r in rows if r.body and r.body.get("type") == kind]


async def _entity(instance: Instance, status_id: int, viewer_id: int) -> dict[str, Any]:
    parts = await api_statuses.status(instance.services, status_id, viewer_id)
    return status_entity(parts, instance.config.base_url)


async def _two(start: StartInstance) -> tuple[Instance, Instance, int, int]:
    """a: alice, who posts; b: bob, who follows her (so b holds her posts)."""
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    bob = await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    return a, b, alice.account_id, bob.account_id


async def test_quote_of_a_remote_post_waits_for_its_authorization(start: StartInstance) -> None:
    a, b, alice_id, bob_id = await _two(start)
    media = await a.make_images(alice_id, "a sky of lanterns")
    original = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Lantern night"))
    await settle([a, b])
    held = await post(b, original.uri)
    assert held is not None

    # Our Note states its quote policy: public, approved automatically (Mastodon's shape).
    status, note = await fetch_as(b, "bob", original.uri)
    assert status == 200
    assert note["interactionPolicy"]["canQuote"] == {"automaticApproval": [PUBLIC],
                                                     "manualApproval": []}

    # bob quotes it (text): pending until alice's server answers.
    quote_view = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=[], caption="the best lanterns", quote_of=str(held.id)))
    quote_row = await _quote_of(b, quote_view.id)
    assert (quote_row.state, quote_row.approval_uri) == ("pending", None)
    assert (await _entity(b, quote_view.id, bob_id))["quote"] == {"state": "pending",
                                                                  "quoted_status": None}
    [request] = await _sent(b, "QuoteRequest")
    assert request["object"] == original.uri
    assert request["instrument"]["id"] == quote_view.uri  # the quote post inlined
    assert request["instrument"]["quote"] == original.uri
    assert request["id"] == quote_row.activity_uri

    await settle([a, b])
    # alice's server approved (public, automatic) and served its stamp.
    [accept] = [x for x in await _sent(a, "Accept") if x["object"]["type"] == "QuoteRequest"]
    assert accept["object"]["id"] == request["id"]
    stamp = accept["result"]
    assert stamp.startswith(a.actor("alice") + "/quote_authorizations/")
    status, authorization = await fetch_as(b, "bob", stamp)
    assert status == 200
    assert authorization["type"] == "QuoteAuthorization"
    assert (authorization["attributedTo"], authorization["interactingObject"],
            authorization["interactionTarget"]) == (a.actor("alice"), quote_view.uri,
                                                    original.uri)

    # bob's quote is approved, carries the stamp and went out again as an Update.
    quote_row = await _quote_of(b, quote_view.id)
    assert (quote_row.state, quote_row.approval_uri) == ("accepted", stamp)
    update = next(u for u in await _sent(b, "Update") if u["object"]["id"] == quote_view.uri)
    assert update["object"]["quote"] == original.uri
    assert update["object"]["quoteAuthorization"] == stamp
    entity = await _entity(b, quote_view.id, bob_id)
    assert entity["quote"]["state"] == "accepted"
    assert entity["quote"]["quoted_status"]["id"] == str(held.id)
    assert entity["quote"]["quoted_status"]["quote"] is None

    # On alice's server the quote shows her post as a card, and she may remove it.
    stored = await post(a, quote_view.uri)
    assert stored is not None
    async with a.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(a.services, session, [stored.id], viewer_account_id=alice_id)
    assert card.quote is not None and card.quote.state == "accepted"
    assert card.quote.author is not None and card.quote.author.handle.startswith("alice@")
    assert card.quote.image is not None and card.quote.text == "Lantern night"
    assert card.quote.revocable
    assert ("quote", b.handle("bob"), quote_view.uri) in await notices(a)

    # Revocation: alice removes it; bob's server hears the Delete of the stamp.
    await quote_updates.revoke(a.services, "alice", card.quote.quote_id)
    await settle([a, b])
    [delete] = await _sent(a, "Delete")
    assert delete["object"] == stamp
    assert (await _quote_of(b, quote_view.id)).state == "revoked"
    assert (await _entity(b, quote_view.id, bob_id))["quote"] == {"state": "revoked",
                                                                  "quoted_status": None}
    status, _ = await fetch_as(b, "bob", stamp)
    assert status == 404  # a revoked stamp is no longer served
    async with b.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(b.services, session, [quote_view.id], viewer_account_id=bob_id)
    assert card.quote is not None and card.quote.state == "revoked"
    assert card.quote.label == "The quoted author removed this quote"


async def test_local_quote_and_a_deleted_quoted_post(start: StartInstance) -> None:
    a, b, alice_id, _ = await _two(start)
    await a.add_user("carol")
    media = await a.make_images(alice_id, "a paper boat")
    original = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Paper boat"))
    # carol quotes alice on the same instance: approved at once, no request.
    quote_view = await posts.create_status(a.services, "carol", posts.NewStatus(
        media_ids=[], caption="so small", quote_of=str(original.id)))
    assert (await _quote_of(a, quote_view.id)).state == "accepted"
    assert ("quote", a.handle("carol"), quote_view.uri) in await notices(a)
    await settle([a, b])
    assert await _sent(a, "QuoteRequest") == []
    async with a.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(a.services, session, [quote_view.id], viewer_account_id=None)
    assert card.quote is not None and card.quote.state == "accepted"
    assert "quote-inline" in card.content_html  # the fallback for other software

    await posts.delete_status(a.services, "alice", original.id)
    async with a.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(a.services, session, [quote_view.id], viewer_account_id=None)
    assert card.quote is not None and card.quote.state == "deleted"
    assert card.quote.label == "The quoted post was deleted"


async def test_followers_only_posts_are_not_quotable(start: StartInstance) -> None:
    a, b, alice_id, bob_id = await _two(start)
    media = await a.make_images(alice_id, "a lantern in the fog")
    private = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="only for you", visibility="private"))
    await settle([a, b])
    held = await post(b, private.uri)
    assert held is not None
    status, note = await fetch_as(b, "bob", private.uri)
    assert status == 200
    # Nobody but its author: written as the author alone (FEP-044f's "nobody").
    assert note["interactionPolicy"]["canQuote"]["automaticApproval"] == [a.actor("alice")]
    with pytest.raises(Forbidden, match="only public and unlisted posts can be quoted"):
        await posts.create_status(b.services, "bob", posts.NewStatus(
            media_ids=[], caption="hm", quote_of=str(held.id)))
    async with b.app[appkeys.DATABASE].reader() as session:
        [card] = await cards(b.services, session, [held.id], viewer_account_id=bob_id)
    assert card.quote_offer is not None and card.quote_offer.verdict == "denied"
    assert card.quote_offer.reason == "Only public and unlisted posts can be quoted"


async def test_a_remix_of_a_remote_post_goes_through_its_quote_policy(
        start: StartInstance) -> None:
    a, b, alice_id, bob_id = await _two(start)
    closed = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice_id, "a sky of lanterns"), caption="Mine alone",
        quote_approval_policy="nobody"))
    open_one = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice_id, "more lanterns"), caption="Lantern night"))
    await settle([a, b])
    held_closed = await post(b, closed.uri)
    held_open = await post(b, open_one.uri)
    assert held_closed is not None and held_open is not None

    # Its server would see the remix as a quote: refused, with the reason, before and at
    # posting.
    with pytest.raises(Forbidden, match="cannot be remixed"):
        await composer.remix(b.services, held_closed.id, bob_id)
    with pytest.raises(Forbidden, match="cannot be remixed"):
        await posts.create_status(b.services, "bob", posts.NewStatus(
            media_ids=await b.make_images(bob_id, "lanterns again"), remix_of=closed.uri))

    # An open post: the remix is a quote too, approved by alice's server; one link back.
    remix = await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=await b.make_images(bob_id, "lanterns, remade"), remix_of=open_one.uri))
    assert (await _quote_of(b, remix.id)).state == "pending"
    await settle([a, b])
    assert (await _quote_of(b, remix.id)).state == "accepted"
    status, note = await fetch_as(a, "alice", remix.uri)
    assert status == 200
    assert note["quote"] == open_one.uri and note["quoteAuthorization"]
    assert "quote-inline" not in note["content"] and open_one.url in note["content"]
