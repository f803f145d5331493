"""The token endpoint's decisions (POST /oauth/token and /oauth/revoke), as Mastodon's
Doorkeeper makes them (config/initializers/doorkeeper.rb: grant flows authorization_code,
password and client_credentials; tokens never expire, no refresh tokens).

Every grant needs the client's id and secret (Mastodon's apps are confidential clients),
from HTTP Basic or the parameters. Errors are OAuth's (server.services.oauth.errors):
invalid_client answers 401, the others 400.
- authorization_code: the code, the same redirect URI, and the verifier when the code was
  made with a PKCE challenge; the token has the code's user and scopes.
- client_credentials: a token of the app alone (no user); scopes default to `read` and must
  be within the app's.
- password: `username` is the e-mail address (as Mastodon) or the username, checked as the
  web sign-in checks it and counted against the same `[ratelimits] login` per address.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.i18n import N_
from server.services.accounts import web_sessions
from server.services.accounts.web_sessions import SignInRefused
from server.services.context import Services
from server.services.errors import InvalidInput
from server.services.oauth import apps, codes
from server.services.oauth import scopes as scope_rules
from server.services.oauth.apps import RegisteredApp
from server.services.oauth.errors import OAuthError
from server.services.oauth.tokens import IssuedToken, digest, issue_token
from storage import oauth_tokens as token_queries
from storage.types import utcnow

GRANT_TYPES = ("authorization_code", "password", "client_credentials")


@dataclass(frozen=True)
class TokenRequest:
    """The parameters of POST /oauth/token, as sent (empty strings for absent ones)."""

    grant_type: str
    client_id: str
    client_secret: str
    code: str = ""
    redirect_uri: str = ""
    code_verifier: str = ""
    scope: str = ""
    username: str = ""
    password: str = ""


async def _client(services: Services, client_id: str, client_secret: str,
                  error: str = "invalid_client") -> RegisteredApp:
    app = None
    if client_id and client_secret and len(client_id) <= 128 and len(client_secret) <= 512:
        app = await apps.authenticate_client(services, client_id, client_secret)
    if app is None:
        raise OAuthError(error=error)
    return app


def _scopes(raw: str, app: RegisteredApp) -> frozenset[str]:
    """Requested scopes (default `read`), within the app's."""
    try:
        requested = scope_rules.parse(raw)
    except InvalidInput:
        raise OAuthError(error="invalid_scope") from None
    if not scope_rules.subset(requested, app.scopes):
        raise OAuthError(error="invalid_scope")
    return requested


async def exchange(services: Services, request: TokenRequest, *, ip: str) -> IssuedToken:
    """A new token for this request; raises OAuthError (or RateLimited for passwords)."""
    if not request.grant_type:
        raise OAuthError(N_("Missing required parameter: %(parameter)s."), error="invalid_request",
                         parameter="grant_type")
    if request.grant_type not in GRANT_TYPES:
        raise OAuthError(error="unsupported_grant_type")
    app = await _client(services, request.client_id, request.client_secret)
    if request.grant_type == "authorization_code":
        if not request.code:
            raise OAuthError(N_("Missing required parameter: %(parameter)s."),
                             error="invalid_request", parameter="code")
        if not request.redirect_uri:
            raise OAuthError(N_("Missing required parameter: %(parameter)s."),
                             error="invalid_request", parameter="redirect_uri")
        grant = await codes.redeem_code(services, app_id=app.id, code=request.code,
                                        redirect_uri=request.redirect_uri,
                                        code_verifier=request.code_verifier)
        return await issue_token(services, app.id, grant.user_id, grant.scopes)
    scopes = _scopes(request.scope, app)
    if request.grant_type == "client_credentials":
        return await issue_token(services, app.id, None, scopes)
    try:
        user = await web_sessions.check_login(services.db, request.username, request.password,
                                              ip=ip, limiter=services.limiter)
    except SignInRefused as exc:
        # The sign-in refusal's own words (marked where it is raised) describe it.
        raise OAuthError(exc.template, error="invalid_grant", **exc.values) from None
    return await issue_token(services, app.id, user.user_id, scopes)


async def revoke(services: Services, *, client_id: str, client_secret: str,
                 token: str) -> None:
    """Revoke a token the authenticated client was issued (RFC 7009): an unknown or
    already revoked token is fine (nothing to do); another app's token, or no valid client,
    is unauthorized_client (403), as Doorkeeper answers."""
    app = await _client(services, client_id, client_secret, error="unauthorized_client")
    if not token or len(token) > 512:
        return
    token_hash = digest(token)
    async with services.db.writer.begin() as session:
        owner = await token_queries.app_of_live_token(session, token_hash)
        if owner is None:
            return
        if owner != app.id:
            raise OAuthError(error="unauthorized_client")
        await token_queries.revoke(session, token_hash, app.id, utcnow())
