"""Interaction requests (0018): a remote account's reply, boost or like of a local post that
its policy lets through only with the author's approval, waiting for the author's decision;
and, once approved, the authorization we serve for third servers to check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class InteractionRequest(Base):
    __tablename__ = "interaction_requests"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    # like, reply, announce (activitypub.interaction_policy.INTERACTIONS' keys).
    kind: Mapped[str] = mapped_column(String(16))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    # The interaction's id (the reply Note, the Like, the Announce) and, for a polite
    # request, the *Request activity's id (NULL: it came as the bare interaction).
    interaction_uri: Mapped[str] = mapped_column(String(2048), unique=True)
    request_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The interaction as received, applied as if it had just arrived once approved.
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # pending, accepted, rejected.
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_interaction_requests_state_id", "state", "id"),)
