"""Sign-ups through the client API (POST /api/v1/accounts; Mastodon's AppSignUpService): an
app with a client-credentials token creates a user and receives that user's token, with the
app's scopes.

The rules are the sign-up form's (server.services.accounts.registrations, per `[instance]
registrations`). In approval mode the user is created pending and the token is answered all
the same, as Mastodon does; it works once an admin approves the sign-up. Closed sign-ups,
and invite-only ones without a valid code, are refused (Mastodon's 403 "This action is not
allowed"). Refused fields are answered with Mastodon's validation details, so apps can show
each under its field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from server import passwords
from server.i18n import N_
from server.services.accounts import registrations
from server.services.accounts.registrations import InvalidInvite
from server.services.accounts.users import (
    USERNAME_RE,
    NameTaken,
    normalize_username,
    reserved_usernames,
)
from server.services.context import Services
from server.services.errors import Forbidden, InvalidInput, NotFound
from server.services.oauth import tokens
from server.services.oauth.tokens import IssuedToken
from storage import accounts as account_queries
from storage import oauth_apps as app_queries

NOT_ALLOWED = N_("This action is not allowed")  # Mastodon's words
_LOCALE_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
# Mastodon's validation messages (Rails' errors.messages), by error code.
DESCRIPTIONS = {
    "ERR_BLANK": "can't be blank",
    "ERR_INVALID": "is invalid",
    "ERR_TAKEN": "is already taken",
    "ERR_RESERVED": "is reserved",
    "ERR_ACCEPTED": "must be accepted",
    "ERR_TOO_SHORT": "is too short (minimum is {} characters)",
    "ERR_TOO_LONG": "is too long (maximum is {} characters)",
    "ERR_INCLUSION": "is not included in the list",
}


@dataclass(frozen=True)
class FieldError:
    error: str  # ERR_BLANK, ERR_TAKEN...
    description: str


class SignUpRefused(InvalidInput):
    """Refused fields: `details` maps each to its errors."""

    def __init__(self, details: dict[str, list[FieldError]]) -> None:
        self.details = details
        parts = [f"{name.capitalize()} {e.description}"
                 for name, errors in details.items() for e in errors]
        super().__init__(N_("Validation failed: %(fields)s"), fields=", ".join(parts))


@dataclass(frozen=True)
class AppSignUp:
    username: str
    email: str
    password: str
    agreement: bool
    locale: str = ""
    reason: str = ""
    invite_code: str = ""


async def sign_up(services: Services, app_id: int, wanted: AppSignUp, *,
                  ip: str) -> IssuedToken:
    """A new user and a token for it, issued to app `app_id` with the app's scopes."""
    mode = services.config.instance.registrations
    if mode == "closed" or (mode == "invite" and not wanted.invite_code.strip()):
        raise Forbidden(NOT_ALLOWED)
    await _check(services, wanted)
    async with services.db.reader() as session:
        app = await app_queries.by_id(session, app_id)
    if app is None:
        raise NotFound(N_("this app is no longer registered"))
    try:
        result = await registrations.sign_up(
            services.db, services.config, username=wanted.username,
            password=wanted.password, email=wanted.email, reason=wanted.reason,
            invite_code=wanted.invite_code or None, ip=ip, limiter=services.limiter)
    except InvalidInvite:
        raise Forbidden(NOT_ALLOWED) from None
    except NameTaken:
        # Lost a race with a concurrent sign-up: the name or the address.
        raise SignUpRefused({"username": [FieldError("ERR_TAKEN",
                                                     DESCRIPTIONS["ERR_TAKEN"])]}) from None
    return await tokens.issue_token(services, app.id, result.user.user_id,
                                    frozenset(app.scopes.split()))


async def _check(services: Services, wanted: AppSignUp) -> None:
    """Every refused field at once, as Mastodon's validations answer them."""
    details: dict[str, list[FieldError]] = {}

    def refuse(name: str, code: str, limit: int = 0) -> None:
        details.setdefault(name, []).append(FieldError(code,
                                                       DESCRIPTIONS[code].format(limit)))

    name = wanted.username.strip().lower()
    if not name:
        refuse("username", "ERR_BLANK")
    elif not USERNAME_RE.fullmatch(name):
        refuse("username", "ERR_INVALID")
    elif name in reserved_usernames(services.config):
        refuse("username", "ERR_RESERVED")
    email = wanted.email.strip()
    if not email:
        refuse("email", "ERR_BLANK")
    else:
        try:
            registrations.clean_email(email)
        except InvalidInput:
            refuse("email", "ERR_INVALID")
    if not wanted.password:
        refuse("password", "ERR_BLANK")
    elif len(wanted.password) < passwords.MIN_LENGTH:
        refuse("password", "ERR_TOO_SHORT", passwords.MIN_LENGTH)
    elif len(wanted.password) > passwords.MAX_LENGTH:
        refuse("password", "ERR_TOO_LONG", passwords.MAX_LENGTH)
    if not wanted.agreement:
        refuse("agreement", "ERR_ACCEPTED")
    if wanted.locale and not _LOCALE_RE.fullmatch(wanted.locale):
        refuse("locale", "ERR_INCLUSION")
    if services.config.instance.registrations == "approval" and not wanted.invite_code \
            and not wanted.reason.strip():
        # Our approval mode always asks why (the moderators decide on it).
        refuse("reason", "ERR_BLANK")
    if len(wanted.reason.strip()) > registrations.MAX_REASON:
        refuse("reason", "ERR_TOO_LONG", registrations.MAX_REASON)
    async with services.db.reader() as session:
        if "username" not in details and await account_queries.local_account_by_username(
                session, normalize_username(name)) is not None:
            refuse("username", "ERR_TAKEN")
        if "email" not in details and await account_queries.user_by_email(
                session, email) is not None:
            refuse("email", "ERR_TAKEN")
    if details:
        raise SignUpRefused(details)
