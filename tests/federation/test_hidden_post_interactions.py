"""A remote account cannot like, boost or reply to one of our posts it may not see (a
direct post it is not in, any post of an author who blocks it): the activity is dropped,
counts and notifications stay as they were, as a local non-recipient gets 404. Payloads
from tests/data/hostile/, sent signed by a fake Mastodon over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server import appkeys
from server.services.federation.remote import account_for_uri
from server.services.social import blocks
from storage.models import Mention, Status
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import AS_PUBLIC, FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import (
    boosts,
    favourites,
    fresh,
    local_post,
    notices,
    post,
    send,
)

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


def _payload(name: str, **values: str) -> dict[str, Any]:
    text = (HOSTILE / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    doc: dict[str, Any] = json.loads(text)
    return doc


async def _direct_post_to(a: Instance, recipient_uri: str) -> Status:
    """alice's direct post to one remote account (its Mention row, as posts make it)."""
    recipient = await account_for_uri(a.services, recipient_uri)
    status = await local_post(a, "alice", "direct")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        session.add(Mention(status_id=status.id, account_id=recipient.id))
    return status


async def test_a_non_recipient_cannot_like_or_reply_to_a_direct_post(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    erin, dave = masto.add_actor("erin"), masto.add_actor("dave")
    secret = await _direct_post_to(a, erin.id)

    like = _payload("like-direct-post-by-non-recipient.json", actor=dave.id,
                    object=secret.uri)
    row = await send(masto, dave, a, like)
    assert str(row.error).startswith("ignored"), row.error
    reply = _payload("reply-to-direct-post-by-non-recipient.json", actor=dave.id,
                     object=secret.uri, recipient=a.actor("alice"))
    await send(masto, dave, a, reply)
    stored = await post(a, reply["object"]["id"])
    assert stored is None or stored.in_reply_to_id is None  # not linked to the secret
    secret = await fresh(a, secret)
    assert (secret.favourites_count, secret.replies_count) == (0, 0)
    assert await favourites(a, secret.id) == []
    assert not [n for n in await notices(a) if n[0] in ("favourite", "reply")]

    # The recipient may.
    like = _payload("like-direct-post-by-non-recipient.json", actor=erin.id,
                    object=secret.uri)
    row = await send(masto, erin, a, like)
    assert row.error == "liked", row.error
    assert (await fresh(a, secret)).favourites_count == 1


async def test_an_account_the_author_blocks_cannot_like_or_boost(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    dave = masto.add_actor("dave")
    public = await local_post(a, "alice", "public")
    await account_for_uri(a.services, dave.id)
    await blocks.block(a.services, "alice", dave.handle)

    row = await send(masto, dave, a, _payload("like-direct-post-by-non-recipient.json",
                                              actor=dave.id, object=public.uri))
    assert str(row.error).startswith("ignored"), row.error
    announce = dave.activity("Announce", public.uri, to=[AS_PUBLIC],
                             cc=[f"{dave.id}/followers"])
    row = await send(masto, dave, a, announce)
    assert str(row.error).startswith("ignored"), row.error
    public = await fresh(a, public)
    assert (public.favourites_count, public.reblogs_count) == (0, 0)
    assert await favourites(a, public.id) == [] and await boosts(a, public.id) == []
    assert not [n for n in await notices(a) if n[0] in ("favourite", "reblog")]
