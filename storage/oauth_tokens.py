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
