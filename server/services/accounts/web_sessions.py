"""Browser sessions: sign in, find the session behind a cookie, sign out.

The cookie holds a random 256-bit token; the database keeps only its SHA-256, so a leaked
database (or backup) opens no sessions. Every sign-in makes a new token (no session fixation:
nothing a browser held before signing in becomes the session). Sessions last 30 days from
the last visit; last_seen_at is written at most once an hour, so browsing costs no writes.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from server import passwords
from server.i18n import N_
from server.ratelimit import RateLimiter
from server.services.errors import InvalidInput, ServiceError
from storage import web_sessions as session_queries
from storage.database import Database
from storage.types import utcnow

SESSION_LIFETIME = timedelta(days=30)
TOUCH_INTERVAL = timedelta(hours=1)
MAX_LOGIN = 320


@functools.cache
def _dummy_hash() -> str:
    """Verified when the login is unknown, so a wrong name costs as long as a wrong
    password (no user enumeration by timing)."""
    return passwords.hash_password(secrets.token_hex(16))


class SignInRefused(ServiceError):
    """Wrong credentials, or an account that may not sign in; the message says which
    (never whether a name exists)."""


def _verify(password_hash: str | None, password: str) -> bool:
    matches = passwords.verify_password(password_hash or _dummy_hash(), password)
    return matches and password_hash is not None


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    account_id: int
    username: str
    admin: bool
    # Every state-changing form of this session carries it (see server.handlers.session).
    csrf_token: str
    # The SHA-256 of the cookie's token: the row's key.
    session_id: str
    # The expiry was just pushed forward: the cookie's should follow.
    refreshed: bool = False
    # The interface language the user chose (server.i18n); None: negotiated per request.
    interface_language: str | None = None
    # How pages show things (server.services.accounts.preferences), read with the session
    # so no page asks again: media blurring (Mastodon's reading:expand:media) and motion.
    expand_media: str = "default"
    reduce_motion: bool = False


def new_token() -> str:
    """256 random bits, URL-safe (cookies and form fields)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginChecked:
    """A user whose credentials were just checked, and who may sign in."""

    user_id: int
    account_id: int
    username: str
    admin: bool


async def sign_in(db: Database, login: str, password: str, *, ip: str, user_agent: str,
                  limiter: RateLimiter | None = None) -> tuple[str, SignedIn]:
    """Check the credentials and open a new session: (cookie token, session). With a
    limiter, attempts count per client address (`[ratelimits] login`; RateLimited)."""
    user = await check_login(db, login, password, ip=ip, limiter=limiter)
    return await start_session(db, user_id=user.user_id, account_id=user.account_id,
                               username=user.username, admin=user.admin, ip=ip,
                               user_agent=user_agent)


async def check_login(db: Database, login: str, password: str, *, ip: str,
                      limiter: RateLimiter | None = None) -> LoginChecked:
    """The user these credentials (username or e-mail, and password) open, when that user
    may sign in; raises SignInRefused. The web sign-in and OAuth's password grant both
    come here, and count against the same `[ratelimits] login` per address."""
    if limiter is not None:
        await limiter.hit("login", ip)
    login = login.strip()
    if not login or not password or len(login) > MAX_LOGIN \
            or len(password) > passwords.MAX_LENGTH:
        raise SignInRefused(N_("wrong username or password"))
    async with db.reader() as session:
        found = await session_queries.user_by_login(session, login)
    # argon2 is CPU-bound (tens of ms): keep it off the event loop.
    ok = await asyncio.to_thread(_verify, found[0].password_hash if found else None, password)
    if found is None or not ok:
        raise SignInRefused(N_("wrong username or password"))
    user, account = found
    if account.deleted_at is not None:
        raise SignInRefused(N_("this account was deleted"))
    if account.suspended_at is not None:
        raise SignInRefused(N_("this account is suspended"))
    if not user.approved:
        raise SignInRefused(N_("your sign-up is waiting for approval by the moderators"))
    await _upgrade_hash(db, user.id, user.password_hash, password)
    return LoginChecked(user_id=user.id, account_id=account.id, username=account.username,
                        admin=user.admin)


async def _upgrade_hash(db: Database, user_id: int, stored: str | None,
                        password: str) -> None:
    """Rehash with today's argon2 parameters when the stored hash was made with older ones:
    a sign-in is the only moment the plain password is at hand."""
    if stored is None or not passwords.needs_rehash(stored):
        return
    new_hash = await asyncio.to_thread(passwords.hash_password, password)
    async with db.writer.begin() as session:
        await session_queries.set_password_hash(session, user_id, new_hash)


async def start_session(db: Database, *, user_id: int, account_id: int, username: str,
                        admin: bool, ip: str, user_agent: str) -> tuple[str, SignedIn]:
    """A new session for a user already checked (signed in, or just signed up)."""
    token = new_token()
    csrf = new_token()
    now = utcnow()
    async with db.writer.begin() as session:
        await session_queries.remove_expired(session, user_id, now)
        await session_queries.add(session, session_id=token_digest(token), user_id=user_id,
                                  csrf_token=csrf, ip=ip, user_agent=user_agent, now=now,
                                  expires_at=now + SESSION_LIFETIME)
        await session_queries.mark_login(session, user_id, now)
    return token, SignedIn(user_id=user_id, account_id=account_id, username=username,
                           admin=admin, csrf_token=csrf, session_id=token_digest(token))


async def load(db: Database, token: str) -> SignedIn | None:
    """The live session behind a cookie token, or None (unknown, expired, or its user may
    no longer sign in)."""
    if not token or len(token) > 128:
        return None
    session_id = token_digest(token)
    async with db.reader() as session:
        found = await session_queries.with_user(session, session_id)
    if found is None:
        return None
    row, user, account = found
    now = utcnow()
    if row.expires_at <= now or not user.approved or account.deleted_at is not None \
            or account.suspended_at is not None:
        return None
    refreshed = now - row.last_seen_at >= TOUCH_INTERVAL
    if refreshed:
        async with db.writer.begin() as session:
            await session_queries.touch(session, session_id, now, now + SESSION_LIFETIME)
    return SignedIn(user_id=user.id, account_id=account.id, username=account.username,
                    admin=user.admin, csrf_token=row.csrf_token, session_id=session_id,
                    refreshed=refreshed, interface_language=user.interface_language,
                    expand_media=user.expand_media, reduce_motion=user.reduce_motion)


async def sign_out(db: Database, session_id: str) -> None:
    async with db.writer.begin() as session:
        await session_queries.remove(session, session_id)


class WrongPassword(ServiceError):
    """The current password given to confirm a change is not the user's."""


async def change_password(db: Database, user: SignedIn, current_password: str,
                          new_password: str, *, ip: str, user_agent: str,
                          limiter: RateLimiter | None = None) -> tuple[str, SignedIn]:
    """Set a new password after checking the current one, then end every session of the
    user, this one included, and open a fresh one: (new cookie token, session) for the
    handler to set. Whoever held an old cookie (a stolen one too) is signed out. Attempts
    count against `[ratelimits] login` per address, like sign-ins (RateLimited); raises
    WrongPassword or InvalidInput (length)."""
    if limiter is not None:
        await limiter.hit("login", ip)
    if not passwords.MIN_LENGTH <= len(new_password) <= passwords.MAX_LENGTH:
        raise InvalidInput(N_("the new password must be %(min)s to %(max)s characters"),
                           min=passwords.MIN_LENGTH, max=passwords.MAX_LENGTH)
    if len(current_password) > passwords.MAX_LENGTH:
        raise WrongPassword(N_("the current password is wrong"))
    async with db.reader() as session:
        stored = await session_queries.password_hash(session, user.user_id)
    if not await asyncio.to_thread(_verify, stored, current_password):
        raise WrongPassword(N_("the current password is wrong"))
    new_hash = await asyncio.to_thread(passwords.hash_password, new_password)
    async with db.writer.begin() as session:
        await session_queries.set_password_hash(session, user.user_id, new_hash)
        await session_queries.remove_all(session, user.user_id)
    return await start_session(db, user_id=user.user_id, account_id=user.account_id,
                               username=user.username, admin=user.admin, ip=ip,
                               user_agent=user_agent)


async def confirm_password(db: Database, user_id: int, password: str, *, ip: str,
                           limiter: RateLimiter | None = None) -> None:
    """A step that cannot be taken back (deleting the account, moving it away) asks for the
    password again, so an unattended browser cannot take it. Attempts count against
    `[ratelimits] login` per address, like sign-ins (RateLimited); raises WrongPassword."""
    if limiter is not None:
        await limiter.hit("login", ip)
    if len(password) > passwords.MAX_LENGTH:
        raise WrongPassword(N_("the password is wrong"))
    async with db.reader() as session:
        stored = await session_queries.password_hash(session, user_id)
    if not await asyncio.to_thread(_verify, stored, password):
        raise WrongPassword(N_("the password is wrong"))
