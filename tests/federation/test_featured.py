"""Pins over the wire (issue 18): the actor's `featured` collection served as Mastodon serves
it (public and unlisted pins, each Note inline, newest pin first; empty for a blocked signer,
404 for a suspended server), Add/Remove sent to followers on pin and unpin and applied by
the receiving instance, and the remote side: Mastodon's and GoToSocial's recorded
collections (tests/data/featured/) read when the account is fetched, their id-less Add and
Remove applied only from the collection's owner and only for its own posts, the pins shown
first on the remote profile. Two Dreamfeed instances and fake remote servers on loopback."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.services.federation import featured
from server.services.federation.remote import resolve_account
from server.services.moderation import domain_blocks
from server.services.social import blocks, follows
from server.services.statuses import pins, posts
from storage import accounts as account_queries
from storage import status_pins as pin_queries
from storage import statuses as status_queries
from storage.models import Account, OutgoingActivity
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import fetch_as
from tests.server.web_helpers import browser

DATA = Path(__file__).parent.parent / "data" / "featured"


def recorded(name: str, **values: str) -> dict[str, Any]:
    """A recorded payload with {ACTOR}, {NOTE1}, ... filled in, its `_source` dropped."""
    text = (DATA / name).read_text()
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    doc: dict[str, Any] = json.loads(text)
    doc.pop("_source")
    return doc


async def remote_account(instance: Instance, uri: str) -> Account:
    async with instance.services.db.reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    assert account is not None, uri
    return account


async def pinned_uris(instance: Instance, account_uri: str) -> list[str]:
    """The account's pins as this instance holds them, newest first (anyone's view)."""
    account = await remote_account(instance, account_uri)
    ids = await pins.pinned_ids_of(instance.services, account.id)
    async with instance.services.db.reader() as session:
        found = [await status_queries.by_id(session, i) for i in ids]
    return [status.uri for status in found if status is not None]


# --- between two Dreamfeed instances --------------------------------------------------------


async def test_pins_are_served_as_featured_and_sent_as_add_and_remove(
        start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    media = await a.make_images(alice.account_id, "a lighthouse", n=4)
    made = [await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[image], caption=caption, visibility=visibility))
        for image, caption, visibility in zip(
            media, ("Beam", "Fog", "Keeper", "Storm"),
            ("public", "unlisted", "private", "public"), strict=True)]
    beam, fog, keeper, storm = made
    await pins.pin(a.services, "alice", beam.id)  # before bob follows: read from the collection
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])

    # The actor names its collection, with Mastodon's term.
    _, actor = await fetch_as(b, None, a.actor("alice"))
    collection_url = f"{a.actor('alice')}/collections/featured"
    assert actor["featured"] == collection_url
    assert {"@id": "toot:featured", "@type": "@id"} in [
        term.get("featured") for term in actor["@context"] if isinstance(term, dict)]
    # b read alice's collection when it stored her.
    assert await pinned_uris(b, a.actor("alice")) == [beam.uri]

    # Pinning sends Add to her followers; a followers-only pin stays off the wire.
    for view in (keeper, fog):
        await pins.pin(a.services, "alice", view.id)
    await settle([a, b])
    status, collection = await fetch_as(b, "bob", collection_url)
    assert status == 200 and collection["type"] == "OrderedCollection"
    assert collection["id"] == collection_url and collection["totalItems"] == 2
    items = collection["orderedItems"]
    assert [note["id"] for note in items] == [fog.uri, beam.uri]  # newest pin first
    assert items[0]["type"] == "Note" and "@context" not in items[0]
    assert items[0]["attributedTo"] == a.actor("alice")
    assert AS_PUBLIC in items[0]["cc"]  # unlisted
    assert await pinned_uris(b, a.actor("alice")) == [fog.uri, beam.uri]

    # Unpinning sends Remove; unpinning the followers-only one sends nothing.
    await pins.unpin(a.services, "alice", beam.id)
    await pins.unpin(a.services, "alice", keeper.id)
    await pins.pin(a.services, "alice", storm.id)
    await settle([a, b])
    assert await pinned_uris(b, a.actor("alice")) == [storm.uri, fog.uri]
    sent = await _sent(a, alice.account_id)
    assert [(doc["type"], doc["object"]) for doc in sent] == [
        ("Add", beam.uri), ("Add", fog.uri), ("Remove", beam.uri), ("Add", storm.uri)]
    assert all(doc["target"] == collection_url and doc["actor"] == a.actor("alice")
               for doc in sent)

    # A refresh reads the collection again, in its order.
    async with b.services.db.writer.begin() as session:
        account = await account_queries.account_by_uri(session, a.actor("alice"))
        assert account is not None
        await pin_queries.remove_all(session, account.id)
    assert await featured.fetch_featured(b.services, account.id) == "2 pinned"
    assert await pinned_uris(b, a.actor("alice")) == [storm.uri, fog.uri]

    # bob sees them first on alice's profile on b.
    async with browser(b) as visitor:
        page = await visitor.get(f"/@alice@{a.domain}?tab=replies")
        assert page.status == 200
        pinned = re.findall(r'id="post-(\d+)" data-post="\d+"\s*>\s*<p class="pinned-label">',
                            page.text)
    async with b.services.db.reader() as session:
        shown = [await status_queries.by_id(session, int(i)) for i in pinned]
    assert [s.uri for s in shown if s is not None] == [storm.uri, fog.uri]


async def _sent(instance: Instance, account_id: int) -> list[dict[str, Any]]:
    """The Add and Remove the account sent, oldest first."""
    async with instance.services.db.reader() as session:
        result = await session.execute(select(OutgoingActivity).where(
            OutgoingActivity.account_id == account_id).order_by(OutgoingActivity.id))
    return [row.body for row in result.scalars().all() if row.body["type"] in ("Add", "Remove")]


async def test_featured_for_blocked_and_suspended_signers(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    await b.add_user("carol")
    [image] = await a.make_images(alice.account_id, "a lighthouse")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[image], caption="Beam"))
    await pins.pin(a.services, "alice", view.id)
    url = f"{a.actor('alice')}/collections/featured"
    assert (await fetch_as(b, None, url))[1]["totalItems"] == 1

    await blocks.block(a.services, "alice", b.handle("bob"))
    status, collection = await fetch_as(b, "bob", url)
    assert status == 200 and collection["orderedItems"] == [] and collection["totalItems"] == 0
    assert (await fetch_as(b, "carol", url))[1]["totalItems"] == 1

    await domain_blocks.block_domain(a.services, b.domain, severity="suspend")
    assert (await fetch_as(b, "carol", url))[0] == 404
    assert (await fetch_as(b, None, f"{a.actor('nobody')}/collections/featured"))[0] == 404


# --- Mastodon and GoToSocial ----------------------------------------------------------------


def _note(actor: FakeActor, number: int, content: str) -> dict[str, Any]:
    uri = f"{actor.id}/statuses/10{number}"
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": uri, "type": "Note",
            "attributedTo": actor.id, "content": f"<p>{content}</p>",
            "published": f"2024-11-0{number}T10:00:00Z", "url": uri,
            "to": [AS_PUBLIC], "cc": [f"{actor.id}/followers"]}


async def test_mastodon_featured_collection_and_its_add_and_remove(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    dave = masto.add_actor("dave")
    notes = [_note(carol, n, f"carol {n}") for n in (1, 2, 3)]
    collection_url = f"{carol.id}/collections/featured"
    carol.overrides["featured"] = collection_url
    masto.serve(recorded("mastodon_featured.json", ACTOR=carol.id, NOTE1=notes[0]["id"],
                         NOTE2=notes[1]["id"]))
    masto.serve(notes[2])
    dave_note = _note(dave, 4, "dave's")
    masto.serve(dave_note)

    await resolve_account(a.services, carol.handle)
    await settle([a])
    # Both read from the collection as it came (inline Notes: no fetch of either).
    assert await pinned_uris(a, carol.id) == [notes[0]["id"], notes[1]["id"]]
    assert masto.fetches_of(notes[0]["id"]) == []

    # Mastodon's Add and Remove have no id: they are applied all the same, once.
    inbox = f"{a.actor('alice')}/inbox"
    add = recorded("mastodon_add.json", ACTOR=carol.id, NOTE1=notes[2]["id"])
    assert (await masto.deliver(carol, inbox, add)).status == 202
    assert "already received" in (await masto.deliver(carol, inbox, add)).text
    await settle([a])
    assert await pinned_uris(a, carol.id) == [notes[2]["id"], notes[0]["id"], notes[1]["id"]]
    remove = recorded("mastodon_remove.json", ACTOR=carol.id, NOTE1=notes[0]["id"])
    assert (await masto.deliver(carol, inbox, remove)).status == 202
    await settle([a])
    assert await pinned_uris(a, carol.id) == [notes[2]["id"], notes[1]["id"]]

    # Only the owner changes its collection, only with its own posts.
    await resolve_account(a.services, dave.handle)
    for sender, activity in (
            (dave, recorded("mastodon_remove.json", ACTOR=dave.id, NOTE1=notes[2]["id"])
             | {"target": collection_url}),
            (carol, recorded("mastodon_add.json", ACTOR=carol.id, NOTE1=dave_note["id"])),
            (carol, recorded("mastodon_add.json", ACTOR=carol.id, NOTE1=notes[0]["id"])
             | {"target": f"{carol.id}/collections/tags"})):
        assert (await masto.deliver(sender, inbox, activity)).status == 202
    await settle([a])
    assert await pinned_uris(a, carol.id) == [notes[2]["id"], notes[1]["id"]]

    # Shown first on her profile here, marked.
    async with browser(a) as visitor:
        page = await visitor.get(f"/@carol@{masto.domain}?tab=replies")
    assert page.status == 200 and page.text.count('<p class="pinned-label">') == 2
    assert page.text.index("carol 3") < page.text.index("an older one, unlisted")


async def test_gotosocial_featured_ids_are_fetched_signed(start: StartInstance) -> None:
    a = await start("a")
    async with FakeRemote("gts", require_signed_get=True) as gts:
        zork = gts.add_actor("zork", flavour="gotosocial")
        notes = [_note(zork, n, f"zork {n}") for n in (1, 2)]
        zork.overrides["featured"] = f"{zork.id}/collections/featured"
        gts.serve(recorded("gotosocial_featured.json", ACTOR=zork.id, NOTE1=notes[0]["id"],
                           NOTE2=notes[1]["id"]))
        for note in notes:
            gts.serve(note)
        await resolve_account(a.services, zork.handle)
        await settle([a])
        assert await pinned_uris(a, zork.id) == [notes[0]["id"], notes[1]["id"]]
        # Each id fetched from its origin, signed (GoToSocial refuses unsigned GETs).
        for note in notes:
            [fetch] = gts.fetches_of(note["id"])
            assert fetch.signature is not None and fetch.status == 200


async def test_a_paged_collection_is_read_from_its_first_page_on_its_own_origin(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    erin = masto.add_actor("erin")
    note = _note(erin, 1, "erin's")
    masto.serve(note)
    url = f"{erin.id}/collections/featured"
    erin.overrides["featured"] = url
    masto.serve({"id": url, "type": "OrderedCollection", "totalItems": 1,
                 "first": f"{url}/page1"})
    masto.serve({"id": f"{url}/page1", "type": "OrderedCollectionPage", "partOf": url,
                 "orderedItems": [note["id"], {"type": "Hashtag", "name": "#kites"}]})
    await resolve_account(a.services, erin.handle)
    await settle([a])
    assert await pinned_uris(a, erin.id) == [note["id"]]

    # A first page on another server is not believed, and the pins stay as they were.
    masto.serve({"id": url, "type": "OrderedCollection", "totalItems": 0,
                 "first": "http://elsewhere.test:1/featured?page=1"})
    account = await remote_account(a, erin.id)
    outcome = await featured.fetch_featured(a.services, account.id)
    assert outcome.startswith("ignored") and "another origin" in outcome
    assert await pinned_uris(a, erin.id) == [note["id"]]
