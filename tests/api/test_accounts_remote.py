"""Client API follows of a remote account: found with search resolve=true (WebFinger and
the actor document), followed by id, the Follow delivered to its server, the Accept read;
unfollowing sends the Undo."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api
from tests.federation.fake_remote import FakeRemote


async def test_follow_a_remote_account_through_the_api(api: Api) -> None:
    token = await api.user("alice")
    async with FakeRemote("masto") as masto:
        dora = masto.add_actor("dora", name="Dora")
        # Not known here: lookup (no WebFinger) finds nothing, search with resolve does.
        assert (await api.get("/api/v1/accounts/lookup",
                              params={"acct": dora.handle})).status == 404
        found = await api.get("/api/v1/accounts/search", token=token,
                              params={"q": f"@{dora.handle}", "resolve": "true"})
        assert [a["acct"] for a in found.body] == [dora.handle]
        remote = found.body[0]
        assert remote["display_name"] == "Dora" and remote["url"] == f"{masto.base}/@dora"
        dora_id = remote["id"]
        assert (await api.get("/api/v1/accounts/lookup", params={"acct": dora.handle})
                ).body["id"] == dora_id

        # Mastodon answers an unlocked account as followed at once.
        followed = await api.post(f"/api/v1/accounts/{dora_id}/follow", token=token,
                                  json={"notify": True})
        assert followed.status == 200
        assert followed.body["following"] is True and followed.body["notifying"] is True
        await api.run_jobs()
        [delivered] = masto.deliveries("Follow")
        follow = delivered.json()
        assert delivered.status == 202 and follow["object"] == dora.id
        assert follow["actor"] == f"{api.base}/users/alice"
        # Until dora's server accepts, the follow is a request.
        [waiting] = (await api.get("/api/v1/accounts/relationships", token=token,
                                   params={"id[]": dora_id})).body
        assert waiting["requested"] is True and waiting["following"] is False
        accept = dora.activity("Accept", follow)
        assert (await masto.deliver(dora, f"{api.base}/users/alice/inbox", accept)
                ).status == 202
        await api.run_jobs()
        [accepted] = (await api.get("/api/v1/accounts/relationships", token=token,
                                    params={"id[]": dora_id})).body
        assert accepted["following"] is True and accepted["notifying"] is True
        following = await api.get(f"/api/v1/accounts/{api.account_id('alice')}/following")
        assert [a["acct"] for a in following.body] == [dora.handle]

        client = api.mastodon(token)
        [rel] = await asyncio.to_thread(client.account_relationships, dora_id)
        assert rel.following is True
        after = await asyncio.to_thread(client.account_unfollow, dora_id)
        assert after.following is False
        await api.run_jobs()
        [undo] = masto.deliveries("Undo")
        assert undo.json()["object"]["id"] == follow["id"]
