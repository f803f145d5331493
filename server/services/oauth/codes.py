"""Authorization codes: made when a user authorizes an app at /oauth/authorize, exchanged
once for a token at /oauth/token.

A code is 256 random bits, stored as its SHA-256, valid for ten minutes (Doorkeeper's
default), bound to the app, the user, the redirect URI and the scopes, and with PKCE
(RFC 7636) to the S256 challenge: the exchange must bring the verifier. Exchanging takes the
code away first, so it works once even under concurrent requests, and a failed exchange
(a wrong verifier or redirect URI) spends it: nobody gets to guess again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from server.i18n import N_
from server.services.context import Services
from server.services.oauth import scopes as scope_rules
from server.services.oauth.errors import OAuthError
from server.services.oauth.tokens import digest, new_secret
from storage import oauth_codes as queries
from storage.types import utcnow

CODE_LIFETIME = timedelta(minutes=10)
S256 = "S256"
# RFC 7636 4.1 and 4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
PKCE_TEXT = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


@dataclass(frozen=True)
class CodeGrant:
    """What an exchanged code grants: a user and the scopes they authorized."""

    user_id: int
    scopes: frozenset[str]


async def issue_code(services: Services, *, app_id: int, user_id: int, redirect_uri: str,
                     scopes: frozenset[str], code_challenge: str | None) -> str:
    raw = new_secret()
    now = utcnow()
    async with services.db.writer.begin() as session:
        # Codes nobody came back for would stay forever otherwise.
        await queries.remove_expired(session, now)
        queries.add_code(session, code_hash=digest(raw), app_id=app_id, user_id=user_id,
                         redirect_uri=redirect_uri, scopes=scope_rules.joined(scopes),
                         code_challenge=code_challenge,
                         code_challenge_method=S256 if code_challenge else None,
                         expires_at=now + CODE_LIFETIME)
    return raw


def s256(verifier: str) -> str:
    """The S256 challenge of a verifier: BASE64URL(SHA256(verifier)) without padding."""
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).decode().rstrip("=")


async def redeem_code(services: Services, *, app_id: int, code: str, redirect_uri: str,
                      code_verifier: str) -> CodeGrant:
    """The grant of a live code of this app, taken away; OAuthError(error="invalid_grant")
    otherwise, as Doorkeeper answers every way a code can be wrong."""
    if not code or len(code) > 512:
        raise OAuthError(error="invalid_grant")
    async with services.db.writer.begin() as session:
        row = await queries.take_code(session, digest(code))
    if row is None or row.app_id != app_id or row.expires_at <= utcnow():
        raise OAuthError(error="invalid_grant")
    if row.redirect_uri != redirect_uri:
        raise OAuthError(error="invalid_grant")
    if row.code_challenge is not None:
        if not code_verifier:
            raise OAuthError(N_("Missing required parameter: %(parameter)s."),
                             error="invalid_request", parameter="code_verifier")
        if not PKCE_TEXT.fullmatch(code_verifier) or not hmac.compare_digest(
                s256(code_verifier), row.code_challenge):
            raise OAuthError(N_("The code verifier does not match the code challenge."),
                             error="invalid_grant")
    elif code_verifier:
        # A verifier for a code made without a challenge: something is mixed up (Doorkeeper
        # refuses it too).
        raise OAuthError(error="invalid_grant")
    return CodeGrant(user_id=row.user_id, scopes=frozenset(row.scopes.split()))
