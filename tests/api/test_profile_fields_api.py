"""Profile fields through the client API (issue 18): update_credentials fields_attributes
sets them (at most 4, as Mastodon), a link in one is checked by a job for a rel="me" link
back to the profile, and verified_at then shows in the account, in verify_credentials'
source.fields and through Mastodon.py, all checked against Mastodon's schema."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api
from tests.federation.fake_remote import FakeRemote


async def test_a_field_link_is_verified_and_says_so(api: Api) -> None:
    token = await api.user("alice")
    async with FakeRemote("site") as site:
        back = f'<a href="{api.base}/@alice" rel="me">me</a>'
        mine = site.serve_bytes("/me", f"<html><body>{back}</body></html>".encode(),
                                "text/html")
        other = site.serve_bytes("/other", b"<html><body>nothing</body></html>", "text/html")
        changed = await api.patch("/api/v1/accounts/update_credentials", token=token, json={
            "fields_attributes": [{"name": "Site", "value": mine},
                                  {"name": "Other", "value": other}]})
        assert changed.status == 200
        assert [f["verified_at"] for f in changed.body["fields"]] == [None, None]
        await api.run_jobs()
    account = await api.get(f"/api/v1/accounts/{api.account_id('alice')}", token=token)
    site_field, other_field = account.body["fields"]
    assert site_field["verified_at"] is not None and other_field["verified_at"] is None
    me = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert me.body["source"]["fields"][0]["verified_at"] == site_field["verified_at"]
    client = api.mastodon(token)
    seen = await asyncio.to_thread(client.account, api.account_id("alice"))
    assert seen["fields"][0]["verified_at"] is not None


async def test_at_most_four_fields(api: Api) -> None:
    token = await api.user("alice")
    refused = await api.patch("/api/v1/accounts/update_credentials", token=token, json={
        "fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(5)]})
    assert refused.status == 422
