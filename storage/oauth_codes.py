"""Queries on oauth_codes: authorization codes, looked up by their SHA-256 and taken once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OAuthCode


def add_code(session: AsyncSession, *, code_hash: str, app_id: int, user_id: int,
             redirect_uri: str, scopes: str, code_challenge: str | None,
             code_challenge_method: str | None, expires_at: datetime) -> OAuthCode:
    code = OAuthCode(code_hash=code_hash, app_id=app_id, user_id=user_id,
                     redirect_uri=redirect_uri, scopes=scopes, code_challenge=code_challenge,
                     code_challenge_method=code_challenge_method, expires_at=expires_at)
    session.add(code)
    return code


async def take_code(session: AsyncSession, code_hash: str) -> OAuthCode | None:
    """Remove the code and return it: one DELETE ... RETURNING, so of two requests racing
    with the same code only one gets it."""
    result = await session.execute(
        delete(OAuthCode).where(OAuthCode.code_hash == code_hash).returning(OAuthCode))
    return result.scalars().first()


async def remove_expired(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(OAuthCode).where(OAuthCode.expires_at <= now))


async def remove_for(session: AsyncSession, app_id: int, user_id: int) -> None:
    """The codes of one app for one user, not yet exchanged (the user revoked the app)."""
    await session.execute(delete(OAuthCode).where(OAuthCode.app_id == app_id,
                                                  OAuthCode.user_id == user_id))
