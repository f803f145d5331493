"""Queries on oauth_apps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OAuthApp


def add_app(session: AsyncSession, *, name: str, website: str | None, redirect_uris: list[str],
            scopes: str, client_id: str, client_secret_hash: str) -> OAuthApp:
    app = OAuthApp(name=name, website=website, redirect_uris=redirect_uris, scopes=scopes,
                   client_id=client_id, client_secret_hash=client_secret_hash)
    session.add(app)
    return app


async def by_client_id(session: AsyncSession, client_id: str) -> OAuthApp | None:
    return (await session.execute(
        select(OAuthApp).where(OAuthApp.client_id == client_id))).scalar_one_or_none()


async def by_id(session: AsyncSession, app_id: int) -> OAuthApp | None:
    return await session.get(OAuthApp, app_id)
