"""OAuth 2 for apps, over real HTTP with every answer checked against Mastodon's schema:
registration (in every encoding clients use), the authorization page, the code flow with
and without PKCE, client credentials, the password grant, revocation, the RFC 8414
metadata, and what a token may do (scopes)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import FormData
from sqlalchemy import select, update

from server import appkeys
from server.services.oauth import tokens
from storage.models import OAuthCode, OAuthToken
from tests.api.harness import Api, ApiResponse, open_api
from tests.api.oauth_flow import (
    CALLBACK,
    IVORY,
    OOB,
    App,
    browser,
    hidden_fields,
    pkce,
    query_of,
    register,
)

FULL = "read write follow push"


async def _token(api: Api, form: dict[str, str], **kwargs: Any) -> ApiResponse:
    return await api.post("/oauth/token", data=form, **kwargs)


def _oauth_error(answer: ApiResponse, status: int, error: str) -> None:
    assert answer.status == status, answer.body
    assert answer.body["error"] == error
    assert answer.body["error_description"]


# --- registration ---------------------------------------------------------------------------


async def test_apps_register_in_every_encoding(api: Api) -> None:
    fields = {"client_name": "Ivory", "redirect_uris": IVORY, "scopes": "read write push",
              "website": "https://tapbots.com/ivory/"}
    multipart = FormData(default_to_multipart=True)
    for name, value in fields.items():
        multipart.add_field(name, value)
    answers = [await api.post("/api/v1/apps", params=fields),
               await api.post("/api/v1/apps", data=fields),
               await api.post("/api/v1/apps", json=fields),
               await api.post("/api/v1/apps", data=multipart)]
    for answer in answers:
        assert answer.status == 200, answer.body
        body = answer.body
        assert body["name"] == "Ivory" and body["website"] == "https://tapbots.com/ivory/"
        assert body["scopes"] == ["read", "write", "push"]
        assert body["redirect_uri"] == IVORY and body["redirect_uris"] == [IVORY]
        assert body["client_secret_expires_at"] == 0
        assert isinstance(body["id"], str) and body["client_id"] and body["client_secret"]
    assert len({answer.body["client_id"] for answer in answers}) == 4
    # One VAPID key for the instance, on every answer: a P-256 public point.
    vapid = {answer.body["vapid_key"] for answer in answers}
    assert len(vapid) == 1
    point = base64.urlsafe_b64decode(vapid.pop())
    assert len(point) == 65 and point[0] == 4


async def test_several_redirect_uris_as_lines_or_a_list(api: Api) -> None:
    for given in (f"{CALLBACK}\n{OOB}\n", [CALLBACK, OOB]):
        answer = await api.post("/api/v1/apps", json={"client_name": "Elk",
                                                      "redirect_uris": given})
        assert answer.status == 200, answer.body
        assert answer.body["redirect_uris"] == [CALLBACK, OOB]
        assert answer.body["redirect_uri"] == f"{CALLBACK}\n{OOB}"
        assert answer.body["scopes"] == ["read"]  # Mastodon's default
    form = [("client_name", "Phanpy"), ("redirect_uris[]", CALLBACK), ("redirect_uris[]", OOB)]
    answer = await api.post("/api/v1/apps", data=form)
    assert answer.status == 200 and answer.body["redirect_uris"] == [CALLBACK, OOB]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_registrations_refused(api: Api) -> None:
    good = {"client_name": "App", "redirect_uris": CALLBACK}
    for fields in ({**good, "client_name": ""},
                   {**good, "client_name": "x" * 61},
                   {**good, "redirect_uris": ""},
                   {**good, "redirect_uris": "/relative/path"},
                   {**good, "redirect_uris": "javascript:alert(1)"},
                   {**good, "redirect_uris": "https://app.example/cb#fragment"},
                   {**good, "scopes": "read delete:everything"},
                   {**good, "website": "not a url"}):
        answer = await api.post("/api/v1/apps", json=fields)
        assert answer.status == 422, (fields, answer.body)
        assert answer.body["error"]


# --- the code flow --------------------------------------------------------------------------


async def test_code_flow_with_pkce(api: Api) -> None:
    await api.instance.add_user("alice")
    app = await register(api, redirect_uris=[IVORY, CALLBACK])
    verifier, challenge = pkce()
    async with browser(api) as alice:
        await alice.sign_in("alice")
        code = await alice.code(app, redirect_uri=IVORY, state="xyz", challenge=challenge)
        # A code made with a challenge, and verifiers for two more.
        wrong_code = await alice.code(app, redirect_uri=IVORY, challenge=challenge)
        missing_code = await alice.code(app, redirect_uri=IVORY, challenge=challenge)
    exchange = {"grant_type": "authorization_code", "client_id": app.client_id,
                "client_secret": app.client_secret, "redirect_uri": IVORY}

    answer = await _token(api, {**exchange, "code": code, "code_verifier": verifier})
    assert answer.status == 200, answer.body
    assert answer.body["token_type"] == "Bearer" and answer.body["scope"] == FULL
    assert isinstance(answer.body["created_at"], int)
    assert answer.headers["Cache-Control"] == "no-store"
    me = await api.get("/api/v1/apps/verify_credentials", token=answer.body["access_token"])
    assert me.status == 200 and me.body["name"] == "Test app"
    assert "client_secret" not in me.body

    again = await _token(api, {**exchange, "code": code, "code_verifier": verifier})
    _oauth_error(again, 400, "invalid_grant")  # a code works once

    wrong = await _token(api, {**exchange, "code": wrong_code,
                               "code_verifier": pkce()[0]})
    _oauth_error(wrong, 400, "invalid_grant")
    missing = await _token(api, {**exchange, "code": missing_code})
    _oauth_error(missing, 400, "invalid_request")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_code_flow_without_pkce_with_http_basic(api: Api) -> None:
    await api.instance.add_user("alice", email="alice@example.com")
    app = await register(api)
    async with browser(api) as alice:
        await alice.sign_in("alice@example.com")
        code = await alice.code(app, scope="read write")
        mismatched = await alice.code(app, scope="read")
        plain = await alice.code(app, scope="read")
    basic = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode()
    answer = await _token(api, {"grant_type": "authorization_code", "code": code,
                                "redirect_uri": CALLBACK},
                          headers={"Authorization": f"Basic {basic}"})
    assert answer.status == 200, answer.body
    assert answer.body["scope"] == "read write"

    exchange = {"grant_type": "authorization_code", "client_id": app.client_id,
                "client_secret": app.client_secret}
    other = await _token(api, {**exchange, "code": mismatched,
                               "redirect_uri": "https://app.example/other"})
    _oauth_error(other, 400, "invalid_grant")
    # A verifier for a code made without a challenge is refused too.
    verifier = await _token(api, {**exchange, "code": plain, "redirect_uri": CALLBACK,
                                  "code_verifier": pkce()[0]})
    _oauth_error(verifier, 400, "invalid_grant")
    wrong_secret = await _token(api, {**exchange, "client_secret": "nope", "code": plain,
                                      "redirect_uri": CALLBACK})
    _oauth_error(wrong_secret, 401, "invalid_client")
    _oauth_error(await _token(api, {**exchange, "redirect_uri": CALLBACK}), 400,
                 "invalid_request")
    _oauth_error(await _token(api, {**exchange, "grant_type": "implicit"}), 400,
                 "unsupported_grant_type")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_authorization_page_checks_the_request(api: Api) -> None:
    await api.instance.add_user("alice")
    app = await register(api, redirect_uris=[CALLBACK, OOB], scopes="read write")
    async with browser(api) as alice:
        # Signed out: the sign-in page, then back to the same request.
        status, _, location = await alice.authorize_page(app, scope="read", state="s")
        assert status == 303 and location.startswith("/auth/sign_in?next=")
        back = await alice.sign_in("alice", next_path=query_of(location)["next"])
        assert back.startswith("/oauth/authorize?")
        status, page, _ = await alice.get(back)
        assert status == 200 and "Test app" in page and "@alice" in page
        assert "see all posts you can see" not in page  # `read` is described as a whole
        assert "Read everything of your account" in page

        # Unknown clients and unregistered redirect URIs: a page, never a redirect.
        status, page, location = await alice.authorize_page(App("nobody", ""))
        assert status == 400 and not location and "Authorization failed" in page
        status, page, location = await alice.authorize_page(
            app, redirect_uri="https://evil.example/steal")
        assert status == 400 and not location

        # Other errors go back to the app, with the state.
        for extra, error in (({"scope": "read follow"}, "invalid_scope"),
                             ({"scope": "read bogus"}, "invalid_scope"),
                             ({"response_type": "token"}, "unsupported_response_type"),
                             ({"code_challenge": pkce()[1], "code_challenge_method": "plain"},
                              "invalid_request")):
            status, _, location = await alice.get("/oauth/authorize?" + "&".join(
                f"{k}={v}" for k, v in {"response_type": "code", "client_id": app.client_id,
                                        "redirect_uri": CALLBACK, "state": "st",
                                        **extra}.items()))
            assert status == 303, extra
            assert query_of(location)["error"] == error
            assert query_of(location)["state"] == "st"

        # Deny: back to the app with access_denied.
        status, page, _ = await alice.authorize_page(app, scope="read", state="no")
        status, _, location = await alice.decide(page, "deny")
        assert status == 303 and location.startswith(CALLBACK + "?")
        assert query_of(location) == {"error": "access_denied", "state": "no",
                                      "error_description": query_of(location)[
                                          "error_description"]}

        # Out of band: the code on a page, and it works.
        status, page, _ = await alice.authorize_page(app, redirect_uri=OOB, scope="read")
        status, page, location = await alice.decide(page, "authorize")
        assert status == 200 and not location
        code = page.split('id="oauth-code"')[1].split('value="')[1].split('"')[0]
        answer = await _token(api, {"grant_type": "authorization_code", "code": code,
                                    "redirect_uri": OOB, "client_id": app.client_id,
                                    "client_secret": app.client_secret})
        assert answer.status == 200 and answer.body["scope"] == "read"

        # A forged form (the scope raised in the hidden field) is checked again.
        status, page, _ = await alice.authorize_page(app, scope="read")
        forged = page.replace('name="scope" value="read"', 'name="scope" value="admin:read"')
        status, _, location = await alice.decide(forged, "authorize")
        assert status == 303 and query_of(location)["error"] == "invalid_scope"
        # And it needs the session's CSRF token.
        status, _, _ = await alice.decide(page.replace('name="csrf_token"', 'name="x"'),
                                          "authorize")
        assert status == 403


# --- other grants ---------------------------------------------------------------------------


async def test_client_credentials(api: Api) -> None:
    app = await register(api, scopes="read write")
    grant = {"grant_type": "client_credentials", "client_id": app.client_id,
             "client_secret": app.client_secret}
    answer = await _token(api, grant)
    assert answer.status == 200 and answer.body["scope"] == "read"  # the default
    token = answer.body["access_token"]
    found = await tokens.authenticate(api.instance.services, token)
    assert found is not None and found.user_id is None
    me = await api.get("/api/v1/apps/verify_credentials", token=token)
    assert me.status == 200 and me.body["scopes"] == ["read", "write"]
    _oauth_error(await _token(api, {**grant, "scope": "read follow"}), 400, "invalid_scope")
    answer = await _token(api, {**grant, "scope": "write:statuses"})
    assert answer.status == 200 and answer.body["scope"] == "write:statuses"


async def test_password_grant(api: Api) -> None:
    await api.instance.add_user("bob", email="bob@example.com")
    app = await register(api)
    grant = {"grant_type": "password", "client_id": app.client_id,
             "client_secret": app.client_secret, "password": "correct horse"}
    for login in ("bob@example.com", "bob"):
        answer = await _token(api, {**grant, "username": login, "scope": "read write"})
        assert answer.status == 200, answer.body
        assert answer.body["scope"] == "read write"
        found = await tokens.authenticate(api.instance.services, answer.body["access_token"])
        assert found is not None and found.username == "bob"
    _oauth_error(await _token(api, {**grant, "username": "bob", "password": "wrong one"}),
                 400, "invalid_grant")
    _oauth_error(await _token(api, {**grant, "username": "nobody"}), 400, "invalid_grant")
    _oauth_error(await _token(api, {**grant, "username": "bob", "scope": "admin:read"}),
                 400, "invalid_scope")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_password_grant_shares_the_login_limit(database_url: str,
                                                     tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path,
                        ratelimits={"login": "3 per minute"}) as api:
        await api.instance.add_user("bob")
        app = await register(api)
        grant = {"grant_type": "password", "client_id": app.client_id,
                 "client_secret": app.client_secret, "username": "bob",
                 "password": "wrong guess"}
        for _ in range(3):
            _oauth_error(await _token(api, grant), 400, "invalid_grant")
        limited = await _token(api, {**grant, "password": "correct horse"})
        assert limited.status == 429 and "Retry-After" in limited.headers
        # The web sign-in counts against the same budget.
        async with browser(api) as bob:
            status, page, _ = await bob.get("/auth/sign_in")
            status, _, _ = await bob.post("/auth/sign_in", {
                "csrf_token": page.split('name="csrf_token" value="')[1].split('"')[0],
                "login": "bob", "password": "correct horse"})
            assert status == 429


# --- revocation, storage, scopes, metadata -------------------------------------------------


async def test_revoke(api: Api) -> None:
    app = await register(api)
    other = await register(api)
    grant = {"grant_type": "client_credentials", "client_id": app.client_id,
             "client_secret": app.client_secret}
    token = (await _token(api, grant)).body["access_token"]
    kept = (await _token(api, grant)).body["access_token"]
    credentials = {"client_id": app.client_id, "client_secret": app.client_secret}

    # Another app may not revoke it; an unknown token is fine (RFC 7009).
    refused = await api.post("/oauth/revoke", data={
        "client_id": other.client_id, "client_secret": other.client_secret, "token": token})
    _oauth_error(refused, 403, "unauthorized_client")
    unknown = await api.post("/oauth/revoke", data={**credentials, "token": "no-such-token"})
    assert unknown.status == 200 and unknown.body == {}

    answer = await api.post("/oauth/revoke", data={**credentials, "token": token})
    assert answer.status == 200 and answer.body == {}
    gone = await api.get("/api/v1/apps/verify_credentials", token=token)
    assert gone.status == 401 and gone.body == {"error": "The access token is invalid"}
    again = await api.post("/oauth/revoke", json={**credentials, "token": token})
    assert again.status == 200
    assert (await api.get("/api/v1/apps/verify_credentials", token=kept)).status == 200
    assert (await api.get("/api/v1/apps/verify_credentials")).status == 401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_tokens_and_codes_are_stored_hashed(api: Api) -> None:
    await api.instance.add_user("alice")
    app = await register(api)
    async with browser(api) as alice:
        await alice.sign_in("alice")
        code = await alice.code(app)
    db = api.instance.app[appkeys.DATABASE]
    async with db.reader() as session:
        codes = (await session.execute(select(OAuthCode.code_hash))).scalars().all()
    assert codes == [hashlib.sha256(code.encode()).hexdigest()]
    answer = await _token(api, {"grant_type": "authorization_code", "code": code,
                                "redirect_uri": CALLBACK, "client_id": app.client_id,
                                "client_secret": app.client_secret})
    raw = answer.body["access_token"]
    async with db.reader() as session:
        stored = (await session.execute(select(OAuthToken.token_hash))).scalars().all()
        codes = (await session.execute(select(OAuthCode.code_hash))).scalars().all()
    assert raw not in stored
    assert hashlib.sha256(raw.encode()).hexdigest() in stored
    assert codes == []  # exchanged: gone


async def test_scopes_are_enforced(api: Api) -> None:
    write_only = await api.user("alice", scopes="write")
    profile = await api.user("alice", scopes="profile")
    info = await api.get("/oauth/userinfo", token=write_only)
    assert info.status == 403
    assert info.body == {"error": "This action is outside the authorized scopes"}
    info = await api.get("/oauth/userinfo", token=profile)
    assert info.status == 200
    assert info.body["preferred_username"] == "alice"
    assert info.body["sub"] == api.instance.actor("alice")
    assert info.body["picture"].startswith("http")
    # The hierarchy: `read` covers read:statuses, not write:statuses.
    found = await tokens.authenticate(api.instance.services, await api.user("alice",
                                                                            scopes="read"))
    assert found is not None
    assert found.allows("read:statuses") and not found.allows("write:statuses")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_authorization_server_metadata(api: Api) -> None:
    answer = await api.get("/.well-known/oauth-authorization-server")
    assert answer.status == 200
    body = answer.body
    assert body["issuer"] == api.base + "/"
    assert body["authorization_endpoint"] == api.base + "/oauth/authorize"
    assert body["token_endpoint"] == api.base + "/oauth/token"
    assert body["revocation_endpoint"] == api.base + "/oauth/revoke"
    assert body["app_registration_endpoint"] == api.base + "/api/v1/apps"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert set(body["grant_types_supported"]) == {"authorization_code", "password",
                                                  "client_credentials"}
    assert "write:statuses" in body["scopes_supported"]
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_settings_list_and_revoke_authorized_apps(api: Api) -> None:
    await api.instance.add_user("alice")
    await api.instance.add_user("bob")
    app = await register(api)
    async with browser(api) as alice, browser(api) as bob:
        await alice.sign_in("alice")
        await bob.sign_in("bob")
        status, page, _ = await alice.get("/settings/apps")
        assert status == 200 and "No app has access to your account." in page
        exchange = {"grant_type": "authorization_code", "redirect_uri": CALLBACK,
                    "client_id": app.client_id, "client_secret": app.client_secret}
        first = await _token(api, {**exchange, "code": await alice.code(app, scope="read")})
        second = await _token(api, {**exchange, "code": await alice.code(app, scope="write")})
        await alice.code(app)  # a code not exchanged yet: revoking the app spends it too
        bobs = await _token(api, {**exchange, "code": await bob.code(app)})
        tokens_of = [first.body["access_token"], second.body["access_token"]]
        await api.get("/api/v1/apps/verify_credentials", token=tokens_of[0])

        status, page, _ = await alice.get("/settings/apps")
        assert status == 200 and page.count('action="/settings/apps/') == 1
        assert "Test app" in page and "<code>read</code>" in page
        assert "<code>write</code>" in page and "last used" in page
        app_id = page.split('action="/settings/apps/')[1].split("/")[0]

        # Bob cannot revoke Alice's app; an app without access is not found.
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        status, _, _ = await bob.post(f"/settings/apps/{app_id}/revoke",
                                      {"csrf_token": csrf})
        assert status == 403  # not his session's token
        _, bob_page, _ = await bob.get("/settings/apps")
        bob_csrf = bob_page.split('name="csrf_token" value="')[1].split('"')[0]
        status, _, _ = await bob.post("/settings/apps/123/revoke", {"csrf_token": bob_csrf})
        assert status == 404

        status, _, location = await alice.post(f"/settings/apps/{app_id}/revoke",
                                               {"csrf_token": csrf})
        assert status == 303 and location == "/settings/apps?revoked=1"
        for token in tokens_of:
            answer = await api.get("/api/v1/apps/verify_credentials", token=token)
            assert answer.status == 401
        bob_token = bobs.body["access_token"]
        assert (await api.get("/api/v1/apps/verify_credentials",
                              token=bob_token)).status == 200
        status, page, _ = await alice.get("/settings/apps?revoked=1")
        assert "The app's access was revoked" in page and "Test app" not in page
    async with api.instance.app[appkeys.DATABASE].reader() as session:
        left = (await session.execute(select(OAuthCode))).scalars().all()
    assert left == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_authorization_details(api: Api) -> None:
    await api.instance.add_user("alice")
    await api.instance.add_user("bob")
    loopback = "http://127.0.0.1/callback"
    app = await register(api, redirect_uris=[CALLBACK, loopback], scopes="read")
    async with browser(api) as person:
        await person.sign_in("alice")
        # force_login: the sign-in form again, coming back without force_login.
        status, page, _ = await person.authorize_page(app, scope="read", force_login="true")
        assert status == 200 and 'action="/auth/sign_in"' in page
        next_path = hidden_fields(page)["next"]
        assert next_path.startswith("/oauth/authorize?") and "force_login" not in next_path
        status, _, location = await person.post("/auth/sign_in", {
            **hidden_fields(page), "login": "bob", "password": "correct horse"})
        assert status == 303 and location == next_path
        status, page, _ = await person.get(next_path)
        assert status == 200 and "@bob" in page
        # Mastodon.py sends force_login=False: no sign-in then.
        status, page, _ = await person.authorize_page(app, scope="read", force_login="False")
        assert status == 200 and "@bob" in page and "Authorize" in page

        # toot's /oauth/authorize/ (a trailing slash) is the same page.
        status, page, _ = await person.get("/oauth/authorize/?" + urlencode({
            "response_type": "code", "client_id": app.client_id, "redirect_uri": CALLBACK}))
        assert status == 200 and "Read everything of your account" in page  # scope: read

        # A loopback redirect URI may use any port (RFC 8252 7.3), nothing else may.
        on_a_port = "http://127.0.0.1:49152/callback"
        code = await person.code(app, redirect_uri=on_a_port, scope="read")
        status, _, _ = await person.authorize_page(app, redirect_uri="http://127.0.0.1:1/cb")
        assert status == 400
        status, _, _ = await person.authorize_page(
            app, redirect_uri="https://app.example:8443/callback")
        assert status == 400
        # Parameters in a JSON body, as some clients send them.
        answer = await api.post("/oauth/token", json={
            "grant_type": "authorization_code", "code": code, "redirect_uri": on_a_port,
            "client_id": app.client_id, "client_secret": app.client_secret})
        assert answer.status == 200 and answer.body["scope"] == "read"

        # A code lasts ten minutes.
        late = await person.code(app, scope="read")
    async with api.instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(OAuthCode).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    expired = await _token(api, {"grant_type": "authorization_code", "code": late,
                                 "redirect_uri": CALLBACK, "client_id": app.client_id,
                                 "client_secret": app.client_secret})
    _oauth_error(expired, 400, "invalid_grant")
