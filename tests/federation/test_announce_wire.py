"""A boost on the wire as Mastodon sends it (issue 18): the Announce carries `published`
and Mastodon's to/cc, its id answers a GET with the Announce itself (404 when it may not be
seen, 410 once undone), and an Announce received is dated by its `published`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import update

from server import appkeys
from server.services.social import blocks
from server.services.statuses import boosts
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import (
    alice_follows,
    create,
    fetch_as,
    local_post,
    note,
    post,
    send,
)
from tests.federation.interactions_helpers import boosts as boosts_of

DATA = Path(__file__).parent.parent / "data" / "mastodon"
AP = {"Accept": "application/activity+json"}


def _recorded_announce(actor: str, obj: str, obj_author: str) -> dict[str, Any]:
    text = (DATA / "announce.json").read_text()
    for key, value in (("{ACTOR}", actor), ("{OBJECT_AUTHOR}", obj_author), ("{OBJECT}", obj)):
        text = text.replace(key, value)
    doc: dict[str, Any] = json.loads(text)
    doc.pop("_source")
    return doc


async def _get(instance: Instance, url: str) -> tuple[int, str, Any]:
    local = url.replace(instance.base,
                        f"http://127.0.0.1:{instance.domain.rpartition(':')[2]}")
    async with aiohttp.ClientSession() as session, session.get(local, headers=AP) as resp:
        body = await resp.json(content_type=None) if resp.status == 200 else None
        return resp.status, resp.headers.get("Content-Type", ""), body


async def _url_of(instance: Instance, uri: str) -> str:
    found = await post(instance, uri)
    assert found is not None and found.url
    return found.url


async def _boost_of_daves_post(a: Instance, masto: FakeRemote) -> tuple[FakeActor, str]:
    dave = masto.add_actor("dave")
    await alice_follows(a, masto, dave)
    doc = note(dave)
    await send(masto, dave, a, create(dave, doc))
    await boosts.boost(a.services, "alice", doc["id"])
    await settle([a])
    return dave, doc["id"]


async def test_the_announce_has_mastodons_shape_and_date(a: Instance, masto: FakeRemote) -> None:
    dave, note_id = await _boost_of_daves_post(a, masto)
    [delivery] = masto.deliveries("Announce")
    sent = delivery.json()
    mastodons = _recorded_announce(a.actor("alice"), note_id, dave.id)
    assert set(mastodons) <= set(sent)
    assert sent["type"] == "Announce" and sent["actor"] == a.actor("alice")
    assert sent["object"] == note_id
    assert sent["to"] == mastodons["to"] == [AS_PUBLIC]
    assert sent["cc"] == mastodons["cc"] == [dave.id, f"{a.actor('alice')}/followers"]
    assert sent["id"].endswith("/activity")
    # Dated when it was made (the receiver no longer dates it on arrival).
    published = datetime.fromisoformat(sent["published"])
    assert abs(datetime.now(UTC) - published) < timedelta(minutes=1)


async def test_the_announce_answers_at_its_id(a: Instance, masto: FakeRemote) -> None:
    _, note_id = await _boost_of_daves_post(a, masto)
    sent = masto.deliveries("Announce")[0].json()
    status, content_type, served = await _get(a, sent["id"])
    assert status == 200
    assert content_type.startswith("application/activity+json")
    assert served == sent

    # The boost's own id leads to the boosted post (Mastodon's redirect_to_original).
    boost_uri = sent["id"].removesuffix("/activity")
    local = boost_uri.replace(a.base, f"http://127.0.0.1:{a.domain.rpartition(':')[2]}")
    async with aiohttp.ClientSession() as session, session.get(
            local, headers=AP, allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.headers["Location"] == await _url_of(a, note_id)

    # Undone: gone.
    await boosts.unboost(a.services, "alice", note_id)
    status, _, _ = await _get(a, sent["id"])
    assert status == 410
    status, _, _ = await _get(a, boost_uri)
    assert status == 410


async def test_a_boost_is_hidden_from_whom_the_booster_blocks(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    await a.add_user("carol")
    await b.add_user("bob")
    mine = await local_post(a, "alice")
    await boosts.boost(a.services, "carol", mine.uri)
    [boost] = await boosts_of(a, mine.id)
    announce_id = f"{boost.uri}/activity"
    status, served = await fetch_as(b, "bob", announce_id)
    assert status == 200 and served["type"] == "Announce" and served["object"] == mine.uri
    await blocks.block(a.services, "carol", b.handle("bob"))
    await settle([a, b])
    assert (await fetch_as(b, "bob", announce_id))[0] == 404
    assert (await fetch_as(b, None, announce_id))[0] == 200
    # The boosted post gone: so is what the boost points at.
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Status).where(Status.id == mine.id)
                              .values(deleted_at=datetime.now(UTC)))
    assert (await fetch_as(b, None, announce_id))[0] == 404
    # A post's /activity is still its Create.
    other = await local_post(a, "alice")
    status, create_doc = await fetch_as(b, None, f"{other.uri}/activity")
    assert status == 200 and create_doc["type"] == "Create"


async def test_an_announce_received_is_dated_by_its_published(
        a: Instance, masto: FakeRemote) -> None:
    mine = await local_post(a, "alice")
    dave = masto.add_actor("dave")
    announce = _recorded_announce(dave.id, mine.uri, a.actor("alice"))
    an_hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    announce["published"] = an_hour_ago.isoformat().replace("+00:00", "Z")
    assert (await send(masto, dave, a, announce)).error == "boosted"
    boost = await post(a, announce["id"])
    assert boost is not None
    assert boost.created_at.replace(tzinfo=UTC) == an_hour_ago
    # A date in the future is not believed.
    mine2 = await local_post(a, "alice")
    later = _recorded_announce(dave.id, mine2.uri, a.actor("alice"))
    later["id"] = f"{dave.id}/statuses/113583/activity"
    later["published"] = "2999-01-01T00:00:00Z"
    assert (await send(masto, dave, a, later)).error == "boosted"
    future = await post(a, later["id"])
    assert future is not None
    assert future.created_at.replace(tzinfo=UTC) <= datetime.now(UTC)
