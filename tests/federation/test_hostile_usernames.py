"""Remote usernames that pose as someone else (a right-to-left override, a zero-width space,
a Cyrillic look-alike, a whole handle in the name) are refused as Mastodon refuses them: the
actor is never stored, whether it first shows up signing a delivery or in an Update of an
actor we know. Payloads come from tests/data/hostile/, served by a fake Mastodon over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server import appkeys
from storage.models import Account, InboxActivity
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, settle

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
PAYLOADS = ["actor-username-rtl-override.json", "actor-username-zero-width-space.json",
            "actor-username-cyrillic-homoglyph.json", "actor-username-embedded-handle.json"]


def _payload(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((HOSTILE / name).read_text(encoding="utf-8"))
    return doc


async def _usernames(a: Instance) -> set[str]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return set((await session.execute(
            select(Account.username).where(Account.domain.is_not(None)))).scalars())


async def _stored(a: Instance) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        return len((await session.execute(select(InboxActivity))).scalars().all())


@pytest.mark.parametrize("name", PAYLOADS)
async def test_an_actor_with_a_hostile_username_is_never_stored(
        start: StartInstance, masto: FakeRemote, name: str) -> None:
    a = await start("a")
    await a.add_user("alice")
    inbox = f"{a.actor('alice')}/inbox"
    eve = masto.add_actor("eve")
    eve.overrides = _payload(name)
    reply = await masto.deliver(eve, inbox, eve.activity("Follow", a.actor("alice")))
    assert reply.status == 401, reply.text  # its key's owner cannot be stored
    await settle([a])
    assert await _usernames(a) == set()
    assert await _stored(a) == 0


@pytest.mark.parametrize("name", PAYLOADS)
async def test_an_update_to_a_hostile_username_is_refused(
        start: StartInstance, masto: FakeRemote, name: str) -> None:
    a = await start("a")
    await a.add_user("alice")
    inbox = f"{a.actor('alice')}/inbox"
    carol = masto.add_actor("carol")
    reply = await masto.deliver(carol, inbox, carol.activity("Follow", a.actor("alice")))
    assert reply.status == 202, reply.text
    await settle([a])
    assert await _usernames(a) == {"carol"}
    carol.overrides = _payload(name)
    reply = await masto.deliver(carol, inbox, carol.activity("Update", carol.document()))
    await settle([a])
    assert await _usernames(a) == {"carol"}


async def test_the_servers_own_name_stays_a_valid_instance_actor_name(
        start: StartInstance, masto: FakeRemote) -> None:
    """Instance actors are named after their domain, port included (ours, Mastodon's older
    ones): that name poses as nobody, and refusing it would break signed fetches."""
    a = await start("a")
    await a.add_user("alice")
    inbox = f"{a.actor('alice')}/inbox"
    actor = masto.add_actor("instance")
    actor.overrides = {"type": "Application", "preferredUsername": masto.domain}
    reply = await masto.deliver(actor, inbox, actor.activity("Follow", a.actor("alice")))
    assert reply.status == 202, reply.text
    await settle([a])
    assert await _usernames(a) == {masto.domain}
