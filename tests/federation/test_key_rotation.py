"""A local account's key pair replaced (`dreamfeed admin account rotate-key`, Mastodon's
`tootctl accounts rotate`): the actor serves the new public key at once (its cached document
dropped), the followers' servers receive an Update carrying it, signed with it, and what is
signs with it. Real HTTP: the fake Mastodon server verifies every
signature independently, fetching the key from our actor (so the Update's signature
verifying means it was made with the new key)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from server.services.accounts.key_rotation import rotate_key
from server.services.errors import NotFound
from server.services.federation.remote import resolve_account
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import send
from tests.server.web_helpers import browser


async def _public_key(a: Instance, username: str) -> str:
    async with browser(a) as web, web.session.get(
            a.actor(username), headers={"Accept": "application/activity+json"}) as response:
        assert response.status == 200
        doc: dict[str, Any] = json.loads(await response.text())
    return str(doc["publicKey"]["publicKeyPem"])


async def test_a_rotated_key_is_served_and_sent_signed_with_itself(
        a: Instance, masto: FakeRemote) -> None:
    bob = masto.add_actor("bob")
    await resolve_account(a.services, bob.handle)
    await send(masto, bob, a, bob.activity("Follow", a.actor("alice")))
    old = await _public_key(a, "alice")  # now kept in the document cache
    masto.forget()

    rotated = await rotate_key(a.services, "alice")
    assert rotated.key_id == f"{a.actor('alice')}#main-key"
    new = await _public_key(a, "alice")
    assert new != old and "BEGIN PUBLIC KEY" in new
    await a.run_jobs()
    [update] = masto.deliveries("Update")
    assert update.json()["object"]["publicKey"] == {
        "id": rotated.key_id, "owner": a.actor("alice"), "publicKeyPem": new}
    assert update.signature is not None, update.signature_error


async def test_only_a_local_account_has_its_key_rotated(a: Instance,
                                                         masto: FakeRemote) -> None:
    with pytest.raises(NotFound):
        await rotate_key(a.services, "nobody")
    bob = masto.add_actor("bob")
    await resolve_account(a.services, bob.handle)
    with pytest.raises(NotFound):
        await rotate_key(a.services, bob.handle)
