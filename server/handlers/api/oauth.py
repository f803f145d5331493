"""Client API: apps and OAuth 2's endpoints for them (Mastodon's api/v1/apps_controller.rb,
Doorkeeper's tokens controller, oauth/userinfo_controller.rb and the RFC 8414 metadata of
well_known/oauth_metadata_controller.rb). The authorization page itself is a web page
(server.handlers.web.oauth).

Registration is open: no token needed. The token and revocation endpoints answer OAuth's
errors, {"error": "invalid_grant", "error_description": ...}, with 400 (401 for a client that
failed to authenticate, 403 for a revocation it may not make).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    INVALID_TOKEN,
    ApiError,
    Params,
    api_json,
    grant,
    params,
    require_user,
)
from server.middlewares import CLIENT_IP
from server.services.accounts import profile_settings
from server.services.oauth import apps, grants, vapid
from server.services.oauth import scopes as scope_rules
from server.services.oauth.apps import RegisteredApp
from server.services.oauth.errors import OAuthError

# RFC 6749 5.1: token answers must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
DOCUMENTATION = "https://docs.joinmastodon.org/"


def application(app: RegisteredApp, vapid_key: str) -> dict[str, Any]:
    """Mastodon's Application entity (REST::ApplicationSerializer); with the client secret
    right after registration (CredentialApplication)."""
    entity: dict[str, Any] = {
        "id": str(app.id), "name": app.name, "website": app.website,
        "scopes": scope_rules.joined(app.scopes).split(),
        # Deprecated in 4.3 but still read by older apps: the URIs, one per line.
        "redirect_uri": "\n".join(app.redirect_uris), "redirect_uris": app.redirect_uris,
        "vapid_key": vapid_key,
    }
    if app.client_secret is not None:
        entity.update(client_id=app.client_id, client_secret=app.client_secret,
                      client_secret_expires_at=0)
    return entity


async def create_app(request: web.Request) -> web.Response:
    p = await params(request)
    services = request.app[appkeys.SERVICES]
    app = await apps.register_app(services, name=p.text("client_name"),
                                  redirect_uris=p.list("redirect_uris"),
                                  scopes=p.get("scopes"), website=p.get("website"))
    return api_json(application(app, await vapid.public_key(services)))


async def verify_app(request: web.Request) -> web.Response:
    """Any live token, an app's or a user's, with any scope (Mastodon 4.3)."""
    found = grant(request)
    if found is None:
        raise ApiError(401, INVALID_TOKEN)
    services = request.app[appkeys.SERVICES]
    app = await apps.app_by_id(services, found.app_id)
    if app is None:
        raise ApiError(401, INVALID_TOKEN)
    return api_json(application(app, await vapid.public_key(services)))


def _client_credentials(request: web.Request, p: Params) -> tuple[str, str, bool]:
    """(client_id, client_secret, whether they came as HTTP Basic): Basic first, then the
    parameters, as Doorkeeper reads them; Basic's parts are form-encoded (RFC 6749 2.3.1)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
        return unquote_plus(client_id), unquote_plus(secret), True
    return p.text("client_id"), p.text("client_secret"), False


def _refused(exc: OAuthError, basic: bool) -> ApiError:
    headers = dict(NO_STORE)
    if exc.status == 401 and basic:
        # RFC 6749 5.2: a client that tried HTTP Basic is told the scheme again.
        headers["WWW-Authenticate"] = 'Basic realm="oauth", error="invalid_client"'
    return ApiError(exc.status, exc.error, headers=headers,
                    error_description=exc.description)


async def token(request: web.Request) -> web.Response:
    p = await params(request)
    client_id, client_secret, basic = _client_credentials(request, p)
    wanted = grants.TokenRequest(
        grant_type=p.text("grant_type"), client_id=client_id, client_secret=client_secret,
        code=p.text("code"), redirect_uri=p.text("redirect_uri"),
        code_verifier=p.text("code_verifier"), scope=p.text("scope"),
        username=p.text("username"), password=p.text("password"))
    try:
        issued = await grants.exchange(request.app[appkeys.SERVICES], wanted,
                                       ip=request[CLIENT_IP])
    except OAuthError as exc:
        raise _refused(exc, basic) from None
    return api_json({"access_token": issued.access_token, "token_type": "Bearer",
                     "scope": scope_rules.joined(issued.scopes),
                     "created_at": issued.created_at}, headers=NO_STORE)


async def revoke(request: web.Request) -> web.Response:
    p = await params(request)
    client_id, client_secret, basic = _client_credentials(request, p)
    try:
        await grants.revoke(request.app[appkeys.SERVICES], client_id=client_id,
                            client_secret=client_secret, token=p.text("token"))
    except OAuthError as exc:
        raise _refused(exc, basic) from None
    return api_json({})


async def userinfo(request: web.Request) -> web.Response:
    """OpenID Connect's claims about the token's user (Mastodon 4.4,
    OAuthUserinfoSerializer); needs the `profile` scope (read and read:accounts cover it)."""
    user = require_user(request, "profile")
    services = request.app[appkeys.SERVICES]
    urls = services.urls
    profile = await profile_settings.profile(services, user.account_id)
    return api_json({"iss": urls.base + "/", "sub": urls.actor(user.username),
                     "name": profile.display_name or user.username,
                     "preferred_username": user.username,
                     "profile": urls.profile(user.username),
                     "picture": profile.avatar_url or urls.default_avatar})


async def authorization_server(request: web.Request) -> web.Response:
    """RFC 8414 metadata, as Mastodon 4.4 answers it (OAuthMetadataPresenter), claiming only
    what is implemented: codes answered in the query, three grant flows, S256 PKCE."""
    base = request.app[appkeys.CONFIG].base_url
    return api_json({
        "issuer": base + "/",
        "service_documentation": DOCUMENTATION,
        "authorization_endpoint": base + "/oauth/authorize",
        "token_endpoint": base + "/oauth/token",
        "app_registration_endpoint": base + "/api/v1/apps",
        "revocation_endpoint": base + "/oauth/revoke",
        "userinfo_endpoint": base + "/oauth/userinfo",
        "scopes_supported": list(scope_rules.ALL_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(grants.GRANT_TYPES),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    })


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/apps", create_app)
    app.router.add_get("/api/v1/apps/verify_credentials", verify_app)
    app.router.add_post("/oauth/token", token)
    app.router.add_post("/oauth/revoke", revoke)
    app.router.add_get("/oauth/userinfo", userinfo)
    app.router.add_post("/oauth/userinfo", userinfo)
    app.router.add_get("/.well-known/oauth-authorization-server", authorization_server)
