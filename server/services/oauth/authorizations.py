"""A user authorizing an app (GET and POST /oauth/authorize), and the apps a user has
authorized (Settings), as Doorkeeper's pre-authorization checks a request:

- an unknown client, or a redirect URI the app did not register, is shown on an error page:
  redirecting would hand the answer to whoever wrote the link;
- the other errors (response type, scopes, PKCE) go back to the app's redirect URI with
  `error` and `state` (RFC 6749 4.1.2.1), except for the out-of-band URI, where the page
  says them.

The same checks run again when the consent form comes back: its hidden fields are the
browser's to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput
from server.services.oauth import codes
from server.services.oauth import scopes as scope_rules
from server.services.oauth.apps import OOB_REDIRECT, RegisteredApp, find_app
from server.services.oauth.errors import OAuthError
from storage import oauth_codes as code_queries
from storage import oauth_tokens as token_queries
from storage.types import utcnow

MAX_STATE = 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})


class AuthorizationRefused(OAuthError):
    """An authorization request that cannot go on. `redirect_uri` None: say so on a page
    (unknown client, unregistered or out-of-band redirect URI); otherwise send the browser
    back to the app with the error."""

    def __init__(self, description: str = "", *, error: str, redirect_uri: str | None = None,
                 state: str = "", **values: object) -> None:
        super().__init__(description, error=error, **values)
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self) -> str | None:
        if self.redirect_uri is None:
            return None
        return with_query(self.redirect_uri, {"error": self.error,
                                              "error_description": self.description,
                                              "state": self.state})


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked request: what the consent page shows and the form sends back."""

    app: RegisteredApp
    redirect_uri: str
    scopes: frozenset[str]
    state: str
    code_challenge: str

    @property
    def out_of_band(self) -> bool:
        return self.redirect_uri == OOB_REDIRECT

    @property
    def scope_text(self) -> str:
        return scope_rules.joined(self.scopes)

    @property
    def scope_words(self) -> list[tuple[str, str]]:
        """(scope, what it allows), in the canonical order."""
        return [(scope, scope_rules.describe(scope)) for scope in self.scope_text.split()]

    def answer(self, params: dict[str, str]) -> str:
        """The redirect URI with these parameters and the state."""
        return with_query(self.redirect_uri, {**params, "state": self.state})


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """`uri` with parameters added to its query. Plain text work: a custom scheme
    (com.tapbots.Ivory.NNNN:/request_token) is no URL a URL library should rewrite."""
    query = urlencode({name: value for name, value in params.items() if value})
    if not query:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{query}"


def _registered(redirect_uri: str, app: RegisteredApp) -> bool:
    """Exact match with a registered URI; for loopback http URIs (RFC 8252 7.3, a
    command-line app listening on some free port) the port may differ, as Doorkeeper
    allows."""
    if redirect_uri in app.redirect_uris:
        return True
    asked = urlsplit(redirect_uri)
    if asked.scheme != "http" or asked.hostname not in LOOPBACK_HOSTS:
        return False
    for uri in app.redirect_uris:
        known = urlsplit(uri)
        if (known.scheme, known.hostname, known.path, known.query) == (
                asked.scheme, asked.hostname, asked.path, asked.query):
            return True
    return False


async def check_request(services: Services, *, response_type: str, client_id: str,
                        redirect_uri: str, scope: str, state: str, code_challenge: str,
                        code_challenge_method: str) -> AuthorizationRequest:
    """The request checked; raises AuthorizationRefused."""
    app = await find_app(services, client_id) if client_id and len(client_id) <= 128 else None
    if app is None:
        raise AuthorizationRefused(error="invalid_client")
    if not redirect_uri:
        raise AuthorizationRefused(N_("Missing required parameter: %(parameter)s."),
                                   error="invalid_request", parameter="redirect_uri")
    if not _registered(redirect_uri, app):
        raise AuthorizationRefused(error="invalid_redirect_uri")
    state = state[:MAX_STATE]

    def refuse(description: str = "", *, error: str, **values: object) -> AuthorizationRefused:
        back = None if redirect_uri == OOB_REDIRECT else redirect_uri
        return AuthorizationRefused(description, error=error, redirect_uri=back, state=state,
                                    **values)

    if not response_type:
        raise refuse(N_("Missing required parameter: %(parameter)s."), error="invalid_request",
                     parameter="response_type")
    if response_type != "code":
        raise refuse(error="unsupported_response_type")
    try:
        requested = scope_rules.parse(scope)
    except InvalidInput:
        raise refuse(error="invalid_scope") from None
    if not scope_rules.subset(requested, app.scopes):
        raise refuse(error="invalid_scope")
    if code_challenge:
        if code_challenge_method != codes.S256:
            raise refuse(N_("The code challenge method must be S256."), error="invalid_request")
        if not codes.PKCE_TEXT.fullmatch(code_challenge):
            raise refuse(N_("The code challenge is malformed."), error="invalid_request")
    return AuthorizationRequest(app=app, redirect_uri=redirect_uri, scopes=requested,
                                state=state, code_challenge=code_challenge)


async def authorize(services: Services, request: AuthorizationRequest, user_id: int) -> str:
    """The user said yes: a new code for the app."""
    return await codes.issue_code(services, app_id=request.app.id, user_id=user_id,
                                  redirect_uri=request.redirect_uri, scopes=request.scopes,
                                  code_challenge=request.code_challenge or None)


# --- the apps a user authorized (Settings) ---------------------------------------------------


@dataclass(frozen=True)
class AuthorizedApp:
    app_id: int
    name: str
    website: str | None
    # Every scope any of its live tokens has, in the canonical order.
    scopes: list[str]
    authorized_at: datetime
    last_used_at: datetime | None

    @property
    def scope_words(self) -> list[tuple[str, str]]:
        return [(scope, scope_rules.describe(scope)) for scope in self.scopes]


async def authorized_apps(services: Services, user_id: int) -> list[AuthorizedApp]:
    """The apps holding a live token of the user, most recently authorized first."""
    async with services.db.reader() as session:
        rows = await token_queries.live_user_tokens(session, user_id)
    grouped: dict[int, list[tuple[datetime, datetime | None, str]]] = {}
    names: dict[int, tuple[str, str | None]] = {}
    for token, app in rows:
        grouped.setdefault(app.id, []).append((token.created_at, token.last_used_at,
                                               token.scopes))
        names[app.id] = (app.name, app.website)
    found: list[AuthorizedApp] = []
    for app_id, tokens in grouped.items():
        used = [last for _, last, _ in tokens if last is not None]
        scopes = {scope for _, _, text in tokens for scope in text.split()}
        found.append(AuthorizedApp(
            app_id=app_id, name=names[app_id][0], website=names[app_id][1],
            scopes=scope_rules.joined(scopes).split(),
            authorized_at=min(created for created, _, _ in tokens),
            last_used_at=max(used) if used else None))
    return sorted(found, key=lambda app: app.authorized_at, reverse=True)


async def revoke_app(services: Services, user_id: int, app_id: int) -> bool:
    """Take an app's access away: every token it holds for the user, and codes not yet
    exchanged. False when it held none."""
    async with services.db.writer.begin() as session:
        await code_queries.remove_for(session, app_id, user_id)
        revoked = await token_queries.revoke_for(session, app_id, user_id, utcnow())
    return revoked > 0
