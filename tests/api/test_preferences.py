"""Preferences set on the web settings page are what the client API reports
(/api/v1/preferences through Mastodon.py's preferences(), verify_credentials'
`source`), what update_credentials' `source[privacy]` and `source[sensitive]` change, and
what a status posted without a visibility or sensitive flag gets."""

from __future__ import annotations

import asyncio

from tests.api.harness import Api
from tests.server.web_helpers import browser

PASSWORD = "correct horse"  # what Instance.add_user gives


async def test_web_preferences_reach_the_client_api(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    async with browser(api.instance) as web:
        await web.sign_in("alice", PASSWORD)
        saved = await web.post("/settings/preferences", {
            "visibility": "private", "sensitive": "1", "language": "fr",
            "expand_media": "show_all", "reduce_motion": "1"})
        assert saved.status == 303 and saved.location == "/settings/preferences?saved=1"
        # A refused choice changes nothing and says why.
        refused = await web.post("/settings/preferences", {
            "visibility": "direct", "expand_media": "default"})
        assert refused.status == 422 and "The default visibility is one of" in refused.text

    client = api.mastodon(token)
    prefs = await asyncio.to_thread(client.preferences)
    assert prefs["posting:default:visibility"] == "private"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fr"
    assert prefs["reading:expand:media"] == "show_all"
    me = await asyncio.to_thread(client.account_verify_credentials)
    assert (me["source"]["privacy"], me["source"]["sensitive"], me["source"]["language"]) \
        == ("private", True, "fr")

    # A status that names neither gets the defaults; one that names them keeps its own.
    first, second = await api.instance.make_images(api.users["alice"].account_id, "a kite",
                                                   n=2)
    # (Mastodon.py always sends `sensitive`, so this one is posted as a bare client would.)
    plain = (await api.post("/api/v1/statuses", token=token, json={
        "status": "Defaults apply", "media_ids": [str(first)]})).body
    assert (plain["visibility"], plain["sensitive"]) == ("private", True)
    named = await asyncio.to_thread(client.status_post, "Named", media_ids=[second],
                                    visibility="public", sensitive=False)
    assert (named["visibility"], named["sensitive"]) == ("public", False)

    # update_credentials' source changes the same preferences the web page shows.
    changed = (await api.request("PATCH", "/api/v1/accounts/update_credentials", token=token,
                                 data={"source[privacy]": "unlisted",
                                       "source[sensitive]": "false"})).body
    assert (changed["source"]["privacy"], changed["source"]["sensitive"]) == ("unlisted", False)
    async with browser(api.instance) as web:
        await web.sign_in("alice", PASSWORD)
        page = await web.get("/settings/preferences")
        assert 'name="visibility" value="unlisted" checked' in page.text
        assert 'name="sensitive" value="1" checked' not in page.text
    refused = await api.request("PATCH", "/api/v1/accounts/update_credentials", token=token,
                                data={"source[privacy]": "direct"})
    assert refused.status == 422
