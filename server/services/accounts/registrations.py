"""Sign-ups by mode ([instance] registrations), the approval queue and invite codes.

Modes, as Mastodon's: "open" makes an approved user; "approval" a pending one with its reason,
and tells every admin (notification "admin.sign_up"); "invite" needs a valid code; "closed"
refuses (admins add people with `dreamfeed user add`). In every mode a valid invite code lets
a person straight in: an invite overrides approval, as in Mastodon.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from server.config import Config
from server.i18n import N_
from server.ratelimit import RateLimiter
from server.services.accounts import users as account_service
from server.services.accounts.users import NewUser
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.social.notifications import ADMIN_SIGN_UP, notify
from storage import audit
from storage import invites as invite_queries
from storage.database import Database
from storage.models import Invite, User
from storage.types import utcnow

# Mastodon caps the sign-up reason ("Why do you want to join?") at 500 characters.
MAX_REASON = 500
MAX_COMMENT = 500
MAX_EMAIL = 320
# Invite expiry: at least a minute, at most a year.
MAX_EXPIRES_IN = 366 * 24 * 3600
MAX_CODE = 64


class RegistrationsClosed(ServiceError):
    pass


class InvalidInvite(InvalidInput):
    pass


@dataclass(frozen=True)
class SignUpResult:
    user: NewUser
    # False: the sign-up waits for an admin's approval.
    approved: bool


@dataclass(frozen=True)
class InviteView:
    code: str
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    revoked: bool
    comment: str
    created_at: datetime

    @property
    def usable(self) -> bool:
        return (not self.revoked and (self.max_uses is None or self.uses < self.max_uses)
                and (self.expires_at is None or self.expires_at > utcnow()))


@dataclass(frozen=True)
class PendingView:
    username: str
    email: str | None
    reason: str
    created_at: datetime


def clean_email(email: str | None) -> str | None:
    text = (email or "").strip()
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or " " in text or len(text) > MAX_EMAIL:
        raise InvalidInput(N_("%(address)r is not an e-mail address"), address=text)
    return text.lower()


def _clean_code(code: str | None) -> str | None:
    text = (code or "").strip()
    if not text:
        return None
    if len(text) > MAX_CODE:
        raise InvalidInvite(N_("that invite code is not valid"))
    return text


async def sign_up(db: Database, config: Config, *, username: str, password: str,
                  email: str | None = None, reason: str = "",
                  invite_code: str | None = None, ip: str = "",
                  limiter: RateLimiter | None = None, agreed: bool = True) -> SignUpResult:
    """Create a user as the registration mode says. Raises RegistrationsClosed,
    InvalidInvite, InvalidInput (bad name, password, e-mail, reason; NameTaken when taken; the
    instance's rules not `agreed` to, where it has rules: the web form's box, as the client
    API's `agreement`) or, with a limiter, RateLimited (`[ratelimits] signup`, per client
    address `ip`)."""
    if limiter is not None:
        await limiter.hit("signup", ip)
    if config.instance.rules and not agreed:
        raise InvalidInput(N_("agree to this server's rules to sign up"))
    mode = config.instance.registrations
    code = _clean_code(invite_code)
    email_address = clean_email(email)
    reason = reason.strip()
    if code is None:
        if mode == "closed":
            raise RegistrationsClosed(N_(
                "sign-ups are closed on this instance; ask an administrator for an account"))
        if mode == "invite":
            raise InvalidInvite(N_("sign-ups on this instance need an invite code"))
        if mode == "approval" and not reason:
            raise InvalidInput(N_("tell the moderators why you want to join"))
    if len(reason) > MAX_REASON:
        raise InvalidInput(N_("the reason must be at most %(limit)s characters"),
                           limit=MAX_REASON)
    approved = code is not None or mode == "open"

    async def in_transaction(session: AsyncSession, user: NewUser) -> None:
        if code is not None:
            invite_id = await invite_queries.use_invite(session, code, utcnow())
            if invite_id is None:  # rolls the new user back with it
                raise InvalidInvite(N_("that invite code is not valid: unknown, expired, "
                                       "revoked or used up"))
            await invite_queries.set_user_invite(session, user.user_id, invite_id)
        if not approved:
            for admin_account in await invite_queries.admin_account_ids(session):
                await notify(session, admin_account, user.account_id, ADMIN_SIGN_UP)

    user = await account_service.create_local_user(
        db.writer, config, username=username, password=password, email=email_address,
        approved=approved, registration_reason=reason if not approved else "",
        in_transaction=in_transaction)
    return SignUpResult(user=user, approved=approved)


async def check_invite(db: Database, code: str) -> InviteView:
    """The invite behind a link, if it can still be used (for the sign-up form)."""
    async with db.reader() as session:
        invite = await invite_queries.invite_by_code(session, code)
    view = None if invite is None else _invite_view(invite)
    if view is None or not view.usable:
        raise InvalidInvite(N_("that invite link is not valid: unknown, expired, revoked or "
                               "used up"))
    return view


# --- admin operations ------------------------------------------------------------------------


async def pending(db: Database) -> list[PendingView]:
    async with db.reader() as session:
        rows = await invite_queries.pending_users(session)
    return [PendingView(account.username, user.email, user.registration_reason,
                        user.created_at) for user, account in rows]


async def approve(db: Database, username: str, *, actor_account_id: int | None) -> None:
    name = account_service.normalize_username(username)
    async with db.writer.begin() as session:
        user = await _pending_user(session, name)
        await invite_queries.approve_user(session, user.id)
        await audit.record(session, actor_account_id=actor_account_id,
                           action="registration.approve", target_type="account", target=name)


async def reject(db: Database, username: str, *, actor_account_id: int | None) -> None:
    """Delete the pending user and its account, leaving the name and e-mail free again.
    Mastodon's rejection does the same: Admin::AccountsController#reject calls
    DeleteAccountService with reserve_username: false, reserve_email: false."""
    name = account_service.normalize_username(username)
    async with db.writer.begin() as session:
        user = await _pending_user(session, name)
        await invite_queries.delete_pending_user(session, user)
        await audit.record(session, actor_account_id=actor_account_id,
                           action="registration.reject", target_type="account", target=name,
                           detail={"reason": user.registration_reason} if
                           user.registration_reason else None)


async def _pending_user(session: AsyncSession, name: str) -> User:
    found = await invite_queries.user_and_account(session, name)
    if found is None or found[1].deleted_at is not None:
        raise NotFound(N_("there is no local user named %(name)r"), name=name)
    if found[0].approved:
        raise InvalidInput(N_("@%(name)s is not waiting for approval"), name=name)
    return found[0]


_INVITE_ALPHABET = string.ascii_letters + string.digits


def new_invite_code() -> str:
    """22 letters and digits (131 bits): it goes in /invite/CODE links and is typed after
    `dreamfeed admin invites revoke`, where a code starting with "-" (which token_urlsafe
    gives one time in 64) would read as an option."""
    return "".join(secrets.choice(_INVITE_ALPHABET) for _ in range(22))


async def create_invite(db: Database, *, actor_account_id: int | None,
                        max_uses: int | None = None, expires_in: int | None = None,
                        comment: str = "") -> InviteView:
    if max_uses is not None and not 1 <= max_uses <= 1_000_000:
        raise InvalidInput(N_("max uses must be between 1 and 1000000 (or none: unlimited)"))
    if expires_in is not None and not 60 <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidInput(N_("expires in must be between 60 and %(limit)s seconds"),
                           limit=MAX_EXPIRES_IN)
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(N_("the comment must be at most %(limit)s characters"),
                           limit=MAX_COMMENT)
    code = new_invite_code()
    expires_at = None if expires_in is None else utcnow() + timedelta(seconds=expires_in)
    async with db.writer.begin() as session:
        invite = await invite_queries.add_invite(
            session, code=code, account_id=actor_account_id, max_uses=max_uses,
            expires_at=expires_at, comment=comment)
        await audit.record(session, actor_account_id=actor_account_id, action="invite.create",
                           target_type="invite", target=code,
                           detail={"max_uses": max_uses, "expires_in": expires_in})
        return _invite_view(invite)


async def list_invites(db: Database, *, include_inactive: bool = False) -> list[InviteView]:
    async with db.reader() as session:
        rows = await invite_queries.list_invites(session, include_inactive=include_inactive,
                                                 now=utcnow())
    return [_invite_view(row) for row in rows]


async def revoke_invite(db: Database, code: str, *, actor_account_id: int | None) -> None:
    async with db.writer.begin() as session:
        if not await invite_queries.revoke_invite(session, code.strip(), utcnow()):
            raise NotFound(N_("there is no unrevoked invite with code %(code)r"), code=code)
        await audit.record(session, actor_account_id=actor_account_id, action="invite.revoke",
                           target_type="invite", target=code.strip())


def _invite_view(invite: Invite) -> InviteView:
    return InviteView(code=invite.code, max_uses=invite.max_uses, uses=invite.uses,
                      expires_at=invite.expires_at, revoked=invite.revoked_at is not None,
                      comment=invite.comment, created_at=invite.created_at)

