"""Browser sign-in sessions: rows keyed by the SHA-256 of the cookie's token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, User, WebSession


async def user_by_login(session: AsyncSession, login: str) -> tuple[User, Account] | None:
    """A local user by username or e-mail address (both case-insensitive)."""
    text = login.strip().lower()
    condition = func.lower(User.email) == text if "@" in text \
        else func.lower(Account.username) == text
    result = await session.execute(
        select(User, Account).join(Account, Account.id == User.account_id)
        .where(Account.domain.is_(None), condition))
    row = result.first()
    return None if row is None else (row[0], row[1])


async def add(session: AsyncSession, *, session_id: str, user_id: int, csrf_token: str,
              ip: str, user_agent: str, now: datetime, expires_at: datetime) -> None:
    session.add(WebSession(id=session_id, user_id=user_id, csrf_token=csrf_token,
                           ip=ip[:64], user_agent=user_agent[:512], created_at=now,
                           last_seen_at=now, expires_at=expires_at))
    await session.flush()


async def with_user(session: AsyncSession,
                    session_id: str) -> tuple[WebSession, User, Account] | None:
    result = await session.execute(
        select(WebSession, User, Account)
        .join(User, User.id == WebSession.user_id)
        .join(Account, Account.id == User.account_id)
        .where(WebSession.id == session_id))
    row = result.one_or_none()
    return None if row is None else (row[0], row[1], row[2])


async def touch(session: AsyncSession, session_id: str, now: datetime,
                expires_at: datetime) -> None:
    await session.execute(update(WebSession).where(WebSession.id == session_id)
                          .values(last_seen_at=now, expires_at=expires_at))


async def remove(session: AsyncSession, session_id: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.id == session_id))


async def remove_expired(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id,
                                                   WebSession.expires_at <= now))


async def mark_login(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(update(User).where(User.id == user_id).values(last_login_at=now))


async def remove_all(session: AsyncSession, user_id: int) -> None:
    """Every session of the user (after a password change)."""
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))


async def password_hash(session: AsyncSession, user_id: int) -> str | None:
    result = await session.execute(select(User.password_hash).where(User.id == user_id))
    return result.scalar_one_or_none()


async def set_password_hash(session: AsyncSession, user_id: int, new_hash: str) -> None:
    await session.execute(update(User).where(User.id == user_id)
                          .values(password_hash=new_hash))
