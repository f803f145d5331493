"""Registered client apps (POST /api/v1/apps): name, website, redirect URIs and the scopes
they may ever ask for. The client secret is shown once, at registration, and stored hashed."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from server.i18n import N_
from server.services.context import Services
from server.services.errors import InvalidInput
from server.services.oauth import scopes as scope_rules
from server.services.oauth.tokens import digest, new_secret
from storage import oauth_apps as queries
from storage.models import OAuthApp

OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
# Mastodon's limits (app/lib/application_extension.rb).
MAX_NAME = 60
MAX_REDIRECT = 2000
MAX_WEBSITE = 2000
# Schemes a redirect would run or inline instead of reaching an app (Mastodon's
# forbid_redirect_uri in config/initializers/doorkeeper.rb).
FORBIDDEN_SCHEMES = frozenset({"data", "vbscript", "javascript"})


@dataclass(frozen=True)
class RegisteredApp:
    id: int
    name: str
    website: str | None
    redirect_uris: list[str]
    scopes: frozenset[str]
    client_id: str
    # Only right after registration; None afterwards (only its hash is kept).
    client_secret: str | None = None


def view(app: OAuthApp, client_secret: str | None = None) -> RegisteredApp:
    return RegisteredApp(id=app.id, name=app.name, website=app.website,
                         redirect_uris=list(app.redirect_uris),
                         scopes=frozenset(app.scopes.split()), client_id=app.client_id,
                         client_secret=client_secret)


def _redirect_uris(raw: list[str]) -> list[str]:
    """Redirect URIs, one per line or several given; each must be absolute (a scheme and
    something after it) but need not be http: apps register their own schemes
    (com.tapbots.Ivory.NNNN:/request_token) and the out-of-band URN."""
    uris = [line.strip() for item in raw for line in item.splitlines() if line.strip()]
    if not uris:
        raise InvalidInput(N_("redirect_uris: can't be blank"))
    for uri in uris:
        scheme, sep, rest = uri.partition(":")
        if not sep or not rest or not scheme or not scheme[0].isalpha() \
                or len(uri) > MAX_REDIRECT or any(c.isspace() for c in uri) or "#" in uri:
            raise InvalidInput(N_("redirect_uris: must be an absolute URI: %(uri)r"), uri=uri)
        if scheme.lower() in FORBIDDEN_SCHEMES:
            raise InvalidInput(N_("redirect_uris: this scheme is not allowed: %(uri)r"), uri=uri)
        if scheme.lower() in ("http", "https") and not urlsplit(uri).hostname:
            raise InvalidInput(N_("redirect_uris: must name a host: %(uri)r"), uri=uri)
    return uris


def _website(raw: str | None) -> str | None:
    website = (raw or "").strip()
    if not website:
        return None
    parts = urlsplit(website)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(website) > MAX_WEBSITE:
        raise InvalidInput(N_("website: must be an http or https URL"))
    return website


async def register_app(services: Services, *, name: str, redirect_uris: list[str],
                       scopes: str | None, website: str | None) -> RegisteredApp:
    name = name.strip()
    if not name:
        raise InvalidInput(N_("client_name: can't be blank"))
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("client_name: is too long (maximum is %(limit)s characters)"),
                           limit=MAX_NAME)
    uris = _redirect_uris(redirect_uris)
    granted = scope_rules.parse(scopes)
    secret = new_secret()
    async with services.db.writer.begin() as session:
        app = queries.add_app(session, name=name, website=_website(website),
                              redirect_uris=uris, scopes=scope_rules.joined(granted),
                              client_id=secrets.token_urlsafe(32),
                              client_secret_hash=digest(secret))
        await session.flush()
        return view(app, client_secret=secret)


async def authenticate_client(services: Services, client_id: str,
                              client_secret: str) -> RegisteredApp | None:
    """The app whose id and secret these are (compared in constant time)."""
    async with services.db.reader() as session:
        app = await queries.by_client_id(session, client_id) if client_id else None
    if app is None or not hmac.compare_digest(app.client_secret_hash, digest(client_secret)):
        return None
    return view(app)


async def find_app(services: Services, client_id: str) -> RegisteredApp | None:
    async with services.db.reader() as session:
        app = await queries.by_client_id(session, client_id) if client_id else None
    return view(app) if app is not None else None


async def app_by_id(services: Services, app_id: int) -> RegisteredApp | None:
    async with services.db.reader() as session:
        app = await queries.by_id(session, app_id)
    return view(app) if app is not None else None
