"""The default posting language through the client API (issue 18): update_credentials
source[language] sets it (form or JSON), verify_credentials' source.language and
/api/v1/preferences read it back, and a status posted without a language takes it (the
instance's default before any is chosen), as Mastodon does."""

from __future__ import annotations

from tests.api.harness import Api


async def _status_language(api: Api, token: str, **extra: str) -> str | None:
    [media_id] = await api.instance.make_images(api.users["alice"].account_id, "a lighthouse")
    answer = await api.post("/api/v1/statuses", token=token,
                            data={"status": "hi", "media_ids[]": str(media_id), **extra})
    assert answer.status == 200, answer.body
    language: str | None = answer.body["language"]
    return language


async def test_source_language_is_the_default_for_new_statuses(api: Api) -> None:
    token = await api.user("alice")
    me = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert me.body["source"]["language"] is None  # none chosen
    assert await _status_language(api, token) == "en"  # the instance's

    changed = await api.patch("/api/v1/accounts/update_credentials", token=token,
                              data={"source[language]": "de"})
    assert changed.status == 200 and changed.body["source"]["language"] == "de"
    me = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert me.body["source"]["language"] == "de"
    prefs = await api.get("/api/v1/preferences", token=token)
    assert prefs.body["posting:default:language"] == "de"
    assert await _status_language(api, token) == "de"
    assert await _status_language(api, token, language="ja") == "ja"

    # JSON, as Mastodon's web app sends it; "" clears the choice.
    cleared = await api.patch("/api/v1/accounts/update_credentials", token=token,
                              json={"source": {"language": ""}})
    assert cleared.status == 200 and cleared.body["source"]["language"] is None
    assert await _status_language(api, token) == "en"


async def test_a_language_that_is_not_one_is_refused(api: Api) -> None:
    token = await api.user("alice")
    refused = await api.patch("/api/v1/accounts/update_credentials", token=token,
                              data={"source[language]": "not a language",
                                    "display_name": "Changed"})
    assert refused.status == 422
    me = await api.get("/api/v1/accounts/verify_credentials", token=token)
    assert me.body["display_name"] != "Changed" and me.body["source"]["language"] is None
