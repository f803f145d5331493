"""The fake remote server is itself a real check: its verifier refuses what it should, so
"the fake accepted our signature" in test_interop.py means something. No Dreamfeed instance
here, so these run once, not per database."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any

from tests.federation.fake_remote import FakeRemote, Reply, cavage_headers
from tests.federation.fake_signatures import ACTIVITY_JSON, FRESH_SECONDS


async def test_the_fakes_verifier_refuses_what_it_should(masto: FakeRemote) -> None:
    """So that "the fake accepted our signature" means something."""
    carol, mallory = masto.add_actor("carol"), masto.add_actor("mallory")
    inbox = f"{masto.base}/inbox"
    body = json.dumps(mallory.activity("Follow", carol.id)).encode()

    def post(data: bytes = body, **sign_options: Any) -> Awaitable[Reply]:
        return masto.send(inbox, data, masto.sign(mallory, inbox, body, **sign_options))

    assert (await post()).status == 202
    assert (await post(algorithm="hs2019")).status == 202
    assert (await post(data=body + b" ")).status == 401  # Digest
    assert (await post(key=carol.key)).status == 401  # wrong key
    assert (await post(age=FRESH_SECONDS + 60)).status == 401  # stale Date
    assert (await post(algorithm="hmac-sha256")).status == 401
    assert (await masto.send(inbox, body, {"Content-Type": ACTIVITY_JSON})).status == 401
    only_date = cavage_headers("POST", inbox, body, mallory.key_id, mallory.key,
                               covered=["date"])
    assert (await masto.send(inbox, body, only_date)).status == 401  # covers too little
    other_host = cavage_headers("POST", inbox.replace(masto.domain, "elsewhere.test"), body,
                                mallory.key_id, mallory.key)
    assert (await masto.send(inbox, body, other_host)).status == 401  # signed for elsewhere
    assert [r.signature is not None for r in masto.deliveries()] == [True, True] + [False] * 7

    # A GoToSocial key: the stub at /main-key, confirmed by the owner's actor.
    gus = masto.add_actor("gus", "gotosocial")
    assert (await post(key=gus.key, key_id=gus.key_id)).status == 202
    assert [r.path for r in masto.received("GET")][-2:] == ["/users/gus/main-key", "/users/gus"]
    # A bare key document naming carol as owner, which carol's actor does not hold.
    masto.serve({"id": f"{masto.base}/keys/evil", "type": "Key", "owner": carol.id,
                 "publicKeyPem": mallory.key.public_pem})
    assert (await post(key_id=f"{masto.base}/keys/evil")).status == 401

    # GoToSocial mode: unsigned GETs of actors are refused, the key stub is served to anyone.
    async with masto.session.get(gus.id, headers={"Accept": "text/html"}) as response:
        assert response.content_type == "text/html"  # a browser gets the profile page
    masto.require_signed_get = True
    async with masto.session.get(gus.id, headers={"Accept": ACTIVITY_JSON}) as response:
        assert response.status == 401
    async with masto.session.get(gus.key_id, headers={"Accept": ACTIVITY_JSON}) as response:
        assert response.status == 200
        stub = await response.json(content_type=None)
        assert stub["id"] == gus.id and stub["publicKey"]["id"] == gus.key_id
        assert "inbox" not in stub
