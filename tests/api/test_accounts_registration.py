"""Client API registration (POST /api/v1/accounts) by an app's own token, per `[instance]
registrations`: open, approval, invite and closed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.services.accounts import registrations
from tests.api.harness import Api, open_api

SIGN_UP = {"username": "newbie", "email": "newbie@example.com",
           "password": "a long password", "agreement": True, "locale": "en"}


async def _sign_up(api: Api, **changes: Any) -> Any:
    app = await api.app_token(scopes="read write")
    return await api.post("/api/v1/accounts", token=app, json={**SIGN_UP, **changes})


async def test_open_sign_up_answers_a_working_token(api: Api) -> None:
    answer = await _sign_up(api)
    assert answer.status == 200, answer.body
    token = answer.body
    assert token["token_type"] == "Bearer" and isinstance(token["created_at"], int)
    # The app's scopes (the test app's), as Mastodon's AppSignUpService gives them.
    assert set(token["scope"].split()) >= {"read", "write", "follow", "push"}
    assert answer.headers["Cache-Control"] == "no-store"
    me = await api.get("/api/v1/accounts/verify_credentials", token=token["access_token"])
    assert me.status == 200 and me.body["username"] == "newbie"


async def test_refused_fields_come_with_mastodons_details(api: Api) -> None:
    await api.user("taken")
    refused = await _sign_up(api, username="taken", email="", password="short",
                             agreement=False, locale="not a locale!")
    assert refused.status == 422
    details = refused.body["details"]
    assert {name: [e["error"] for e in errors] for name, errors in details.items()} == {
        "username": ["ERR_TAKEN"], "email": ["ERR_BLANK"], "password": ["ERR_TOO_SHORT"],
        "agreement": ["ERR_ACCEPTED"], "locale": ["ERR_INCLUSION"]}
    assert refused.body["error"].startswith("Validation failed: ")
    assert "Username is already taken" in refused.body["error"]
    bad = await _sign_up(api, username="no spaces please", email="not-an-address")
    assert {name: [e["error"] for e in errors]
            for name, errors in bad.body["details"].items()} == {
        "username": ["ERR_INVALID"], "email": ["ERR_INVALID"]}
    first = await _sign_up(api)
    assert first.status == 200
    again = await _sign_up(api, username="other")
    assert again.status == 422 and [e["error"] for e in again.body["details"]["email"]] == [
        "ERR_TAKEN"]


async def test_only_an_apps_own_token_with_write_accounts(api: Api) -> None:
    user = await api.user("alice")
    by_user = await api.post("/api/v1/accounts", token=user, json=SIGN_UP)
    assert by_user.status == 403
    assert by_user.body == {"error": "This method requires an client credentials "
                                     "authentication"}
    reader = await api.app_token(scopes="read")
    assert (await api.post("/api/v1/accounts", token=reader, json=SIGN_UP)).status == 403
    assert (await api.post("/api/v1/accounts", json=SIGN_UP)).status == 401


async def test_approval_mode_answers_a_token_that_works_once_approved(
        database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path,
                        instance={"registrations": "approval"}) as api:
        no_reason = await _sign_up(api)
        assert no_reason.status == 422
        assert [e["error"] for e in no_reason.body["details"]["reason"]] == ["ERR_BLANK"]
        pending = await _sign_up(api, reason="I paint clouds")
        assert pending.status == 200
        token = pending.body["access_token"]
        # The token is answered, as Mastodon does; it works once an admin approves, and
        # meanwhile says why it does not.
        waiting = await api.get("/api/v1/accounts/verify_credentials", token=token)
        assert waiting.status == 403
        assert waiting.body == {"error": "Your login is currently pending approval"}
        await registrations.approve(api.instance.services.db, "newbie", actor_account_id=None)
        assert (await api.get("/api/v1/accounts/verify_credentials", token=token)
                ).status == 200


async def test_invite_mode_needs_a_valid_code(database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, instance={"registrations": "invite"}) as api:
        refused = await _sign_up(api)
        assert refused.status == 403 and refused.body == {"error": "This action is not allowed"}
        invite = await registrations.create_invite(api.instance.services.db,
                                                   actor_account_id=None)
        assert (await _sign_up(api, invite_code="wrong")).status == 403
        assert (await _sign_up(api, invite_code=invite.code)).status == 200


async def test_closed_mode_refuses(database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, instance={"registrations": "closed"}) as api:
        closed = await _sign_up(api)
        assert closed.status == 403 and closed.body == {"error": "This action is not allowed"}
