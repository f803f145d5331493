"""Access tokens: issued hashed, looked up by hash, scoped, revocable.

A token is 32 random bytes (url-safe text); only its SHA-256 is stored, the same for client
secrets and authorization codes (`digest`). Tokens do not expire, as in Mastodon: the user
revokes them (Settings, or the app with POST /oauth/revoke)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from server.services.context import Services
from server.services.oauth import scopes as scope_rules
from storage import oauth_tokens as queries
from storage.types import utcnow

# last_used_at is written at most this often per token: not one write per API request.
TOUCH_INTERVAL = timedelta(hours=1)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """What a bearer token allows: its app, its scopes and, for a user token, who."""

    token_id: int
    app_id: int
    scopes: frozenset[str]
    user_id: int | None = None
    account_id: int | None = None
    username: str | None = None
    admin: bool = False
    # A sign-up still waiting for an admin's approval: its token is answered (as Mastodon
    # does) but acts for nobody until then.
    pending: bool = False

    def allows(self, scope: str) -> bool:
        return scope_rules.covers(self.scopes, scope)


async def authenticate(services: Services, token: str) -> Grant | None:
    """The grant of a live token; None for an unknown, revoked or orphaned one (a token
    of a suspended or deleted account stops working)."""
    if not token or len(token) > 512:
        return None
    async with services.db.reader() as session:
        found = await queries.live_token(session, digest(token))
    if found is None:
        return None
    row, app, user, account = found
    if row.user_id is not None and (user is None or account is None
                                    or account.suspended_at is not None
                                    or account.deleted_at is not None):
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > TOUCH_INTERVAL:
        async with services.db.writer.begin() as session:
            await queries.touch(session, row.id, now)
    return Grant(token_id=row.id, app_id=app.id, scopes=frozenset(row.scopes.split()),
                 user_id=row.user_id,
                 account_id=account.id if account is not None else None,
                 username=account.username if account is not None else None,
                 admin=bool(user and user.admin),
                 pending=user is not None and not user.approved)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str  # shown once; only its digest is stored
    scopes: frozenset[str]
    created_at: int  # Unix seconds, as OAuth token answers carry it


async def issue_token(services: Services, app_id: int, user_id: int | None,
                      scopes: frozenset[str]) -> IssuedToken:
    raw = new_secret()
    async with services.db.writer.begin() as session:
        row = queries.add_token(session, digest(raw), app_id, user_id,
                                scope_rules.joined(scopes))
        await session.flush()
        created = row.created_at
    return IssuedToken(access_token=raw, scopes=scopes, created_at=int(created.timestamp()))
