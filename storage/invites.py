"""Invite codes and the sign-up approval queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, AccountKey, Invite, Notification, User, WebSession


async def add_invite(session: AsyncSession, *, code: str, account_id: int | None,
                     max_uses: int | None, expires_at: datetime | None,
                     comment: str) -> Invite:
    invite = Invite(code=code, account_id=account_id, max_uses=max_uses, uses=0,
                    comment=comment, expires_at=expires_at)
    session.add(invite)
    await session.flush()
    return invite


async def invite_by_code(session: AsyncSession, code: str) -> Invite | None:
    result = await session.execute(select(Invite).where(Invite.code == code))
    return result.scalar_one_or_none()


async def list_invites(session: AsyncSession, *, include_inactive: bool,
                       now: datetime) -> Sequence[Invite]:
    """Newest first; without include_inactive, only codes that can still be used."""
    stmt = select(Invite).order_by(Invite.id.desc())
    if not include_inactive:
        stmt = stmt.where(Invite.revoked_at.is_(None),
                          or_(Invite.expires_at.is_(None), Invite.expires_at > now),
                          or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses))
    return (await session.execute(stmt)).scalars().all()


async def use_invite(session: AsyncSession, code: str, now: datetime) -> int | None:
    """Spend one use of a valid code; returns its id, or None when the code is unknown,
    revoked, expired or used up. One conditional UPDATE: two concurrent sign-ups cannot
    both take the last use (the row lock / SQLite's single writer serialises them)."""
    result = await session.execute(
        update(Invite)
        .where(Invite.code == code, Invite.revoked_at.is_(None),
               or_(Invite.expires_at.is_(None), Invite.expires_at > now),
               or_(Invite.max_uses.is_(None), Invite.uses < Invite.max_uses))
        .values(uses=Invite.uses + 1)
        .returning(Invite.id))
    return result.scalar_one_or_none()


async def revoke_invite(session: AsyncSession, code: str, now: datetime) -> bool:
    """Mark a code revoked; False when there is no such code or it was revoked already."""
    result = await session.execute(
        update(Invite).where(Invite.code == code, Invite.revoked_at.is_(None))
        .values(revoked_at=now).returning(Invite.id))
    return result.scalar_one_or_none() is not None


async def pending_users(session: AsyncSession) -> Sequence[tuple[User, Account]]:
    """Sign-ups waiting for approval, oldest first."""
    result = await session.execute(
        select(User, Account).join(Account, Account.id == User.account_id)
        .where(User.approved.is_(False), Account.deleted_at.is_(None))
        .order_by(User.created_at, User.id))
    return [(row[0], row[1]) for row in result]


async def user_and_account(session: AsyncSession,
                           username: str) -> tuple[User, Account] | None:
    result = await session.execute(
        select(User, Account).join(Account, Account.id == User.account_id)
        .where(Account.domain.is_(None), Account.username == username.lower()))
    row = result.one_or_none()
    return None if row is None else (row[0], row[1])


async def admin_account_ids(session: AsyncSession) -> Sequence[int]:
    result = await session.execute(
        select(User.account_id).join(Account, Account.id == User.account_id)
        .where(User.admin.is_(True), Account.deleted_at.is_(None),
               Account.suspended_at.is_(None)))
    return result.scalars().all()


async def approve_user(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(approved=True))


async def delete_pending_user(session: AsyncSession, user: User) -> None:
    """Remove a never-approved sign-up entirely, so its name and e-mail are free again. It
    could not sign in, so it has nothing but its rows, keys and the admins' notifications."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    await session.execute(delete(Notification).where(
        or_(Notification.from_account_id == user.account_id,
            Notification.account_id == user.account_id)))
    await session.execute(delete(User).where(User.id == user.id))
    await session.execute(delete(AccountKey).where(AccountKey.account_id == user.account_id))
    await session.execute(delete(Account).where(Account.id == user.account_id))


async def set_user_invite(session: AsyncSession, user_id: int, invite_id: int) -> None:
    await session.execute(update(User).where(User.id == user_id).values(invite_id=invite_id))
