"""Conversations (Mastodon's AccountConversation, 0013): a local account's direct messages
grouped by who else takes part, and the direct statuses each one holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow

# Up to 20 mentions and the author, each id up to 19 digits, space-separated.
PARTICIPANTS_LENGTH = 512


class Conversation(Base):
    """One per local account (`account_id`) and set of other participants."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    # The other participants' account ids, ascending, space-separated ("" when the account
    # wrote to nobody else): the key that a new direct status finds its conversation by.
    participants: Mapped[str] = mapped_column(String(PARTICIPANTS_LENGTH))
    # The newest status it holds: lists are ordered and paged by it, as Mastodon's are.
    last_status_id: Mapped[int | None] = mapped_column(Id, default=None)
    unread: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("account_id", "participants"),
        Index("ix_conversations_account_id_last_status_id", "account_id", "last_status_id"),
    )


class ConversationStatus(Base):
    """A direct status in a conversation (a status is in one conversation per local
    participant)."""

    __tablename__ = "conversation_statuses"

    conversation_id: Mapped[int] = mapped_column(
        Id, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    status_id: Mapped[int] = mapped_column(
        Id, ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True, index=True)
