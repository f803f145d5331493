"""Queries on oauth_tokens: looked up by the SHA-256 of the bearer token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, OAuthApp, OAuthToken, User


async def live_token(session: AsyncSession, token_hash: str
                     ) -> tuple[OAuthToken, OAuthApp, User | None, Account | None] | None:
    """An unrevoked token with its app and, for a user token, the user and account."""
    row = (await session.execute(
        select(OAuthToken, OAuthApp, User, Account)
        .join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .outerjoin(User, User.id == OAuthToken.user_id)
        .outerjoin(Account, Account.id == User.account_id)
        .where(OAuthToken.token_hash == token_hash, OAuthToken.revoked_at.is_(None)))).first()
    if row is None:
        return None
    token, app, user, account = row
    return token, app, user, account


async def touch(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(update(OAuthToken).where(OAuthToken.id == token_id)
                          .values(last_used_at=now))


def add_token(session: AsyncSession, token_hash: str, app_id: int, user_id: int | None,
              scopes: str) -> OAuthToken:
    token = OAuthToken(token_hash=token_hash, app_id=app_id, user_id=user_id, scopes=scopes)
    session.add(token)
    return token


async def revoke(session: AsyncSession, token_hash: str, app_id: int, now: datetime) -> bool:
    """Revoke a token of this app (RFC 7009: another app's token is left alone)."""
    result = await session.execute(
        update(OAuthToken).where(OAuthToken.token_hash == token_hash,
                                 OAuthToken.app_id == app_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def app_of_live_token(session: AsyncSession, token_hash: str) -> int | None:
    """The app an unrevoked token was issued to; None for an unknown or revoked one."""
    return (await session.execute(
        select(OAuthToken.app_id).where(OAuthToken.token_hash == token_hash,
                                        OAuthToken.revoked_at.is_(None)))).scalar_one_or_none()


async def live_user_tokens(session: AsyncSession,
                           user_id: int) -> list[tuple[OAuthToken, OAuthApp]]:
    """A user's unrevoked tokens with their apps, oldest first."""
    rows = await session.execute(
        select(OAuthToken, OAuthApp).join(OAuthApp, OAuthApp.id == OAuthToken.app_id)
        .where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
        .order_by(OAuthToken.id))
    return [(token, app) for token, app in rows]


async def revoke_for(session: AsyncSession, app_id: int, user_id: int, now: datetime) -> int:
    """Revoke every live token of one app for one user; how many there were."""
    result = await session.execute(
        update(OAuthToken).where(OAuthToken.app_id == app_id, OAuthToken.user_id == user_id,
                                 OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]
