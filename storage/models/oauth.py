"""The client API's OAuth 2 rows (0012): registered apps, authorization codes and access
tokens. Secrets, codes and tokens are stored as their SHA-256 only (looked up by it): a
leaked database grants no access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class OAuthApp(Base):
    """A client registered with POST /api/v1/apps."""

    __tablename__ = "oauth_apps"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Not URLs in general: apps register custom schemes (com.tapbots.Ivory.NNNN:/...) and
    # urn:ietf:wg:oauth:2.0:oob.
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[str] = mapped_column(String(1024), default="read")
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    # The account that registered it through the API with a token (None: anonymous).
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthCode(Base):
    """An authorization code: single use, short-lived, bound to app, user, redirect URI and
    (with PKCE) the code challenge."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(Id, ForeignKey("oauth_apps.id", ondelete="CASCADE"),
                                        index=True)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(String(1024))
    code_challenge: Mapped[str | None] = mapped_column(String(128), default=None)
    code_challenge_method: Mapped[str | None] = mapped_column(String(16), default=None)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthToken(Base):
    """An access token. user_id None: an app token (client_credentials), which acts as no
    one."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(Id, ForeignKey("oauth_apps.id", ondelete="CASCADE"),
                                        index=True)
    user_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None)
    scopes: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
