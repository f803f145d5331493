"""Quote posts (FEP-044f, Mastodon 4.5's Quote model, 0014): one row per quoting status, and
the quote policy a status states."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class Quote(Base):
    """`status_id` quotes `quoted_uri` (`quoted_status_id` once we hold that post).

    state, as Mastodon's: pending (asked, not yet approved), accepted, rejected (refused
    before approval), revoked (approval withdrawn). A quoted post deleted later keeps its
    row: readers see it as gone."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           unique=True)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    quoted_status_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("statuses.id", ondelete="SET NULL"), default=None, index=True)
    quoted_account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="SET NULL"), default=None)
    quoted_uri: Mapped[str] = mapped_column(String(2048))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    # Our QuoteRequest's id (a local quote of a remote post), or the one we answered.
    activity_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The QuoteAuthorization's id when it is another server's (ours is derived from id).
    approval_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_quotes_activity_uri", "activity_uri"),
        Index("ix_quotes_approval_uri", "approval_uri"),
    )


class QuotePolicy(Base):
    """Who may quote a status, as its `canQuote` names them: space-separated scopes
    (public, followers, following, unsupported_policy) for automatic and for manual
    approval. No row: a local status's default (by visibility); a remote status that stated
    no policy (nobody, as Mastodon reads it)."""

    __tablename__ = "quote_policies"

    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           primary_key=True)
    automatic: Mapped[str] = mapped_column(String(64), default="")
    manual: Mapped[str] = mapped_column(String(64), default="")
