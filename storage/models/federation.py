"""ActivityPub traffic: activities received and published, per-host delivery health, and
tombstones of remote objects deleted before we saw them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class InboxActivity(Base):
    """An activity as received, stored before we answer 202 and applied later by a job.

    Unique on (activity id, signing origin), so a redelivery is recognised and answered
    without a second application, while a server cannot claim another's activity id first.
    Kept for `federation.inbox_retention_days` (the dedup window), its body only until
    it is applied or ignored.
    """

    __tablename__ = "inbox_activities"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048))
    # scheme://host[:port] of the signer's keyId.
    origin: Mapped[str] = mapped_column(String(2048))
    activity_type: Mapped[str] = mapped_column(String(64))
    actor_uri: Mapped[str] = mapped_column(String(2048))
    # keyId that signed the request and the actor that owns it (may differ from actor_uri
    # when an activity is forwarded).
    signer_key_id: Mapped[str | None] = mapped_column(String(2048), default=None)
    signer_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    # The local account whose inbox received it (NULL: the shared inbox).
    inbox_account_id: Mapped[int | None] = mapped_column(Id, default=None)
    # NULL once applied or ignored: only dedup and debugging need the row after that.
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # received -> applied | ignored | failed
    state: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("activity_id", "origin", name="uq_inbox_activities_activity_id_origin"),
        Index("ix_inbox_activities_received_at", "received_at"),
    )


class OutgoingActivity(Base):
    """An activity we publish; delivery jobs point here instead of copying the body."""

    __tablename__ = "outgoing_activities"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    activity_id: Mapped[str] = mapped_column(String(2048), unique=True)
    # The local account that signs its deliveries.
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryHost(Base):
    """Per-destination-host health: one backoff timer per host, as Synapse keeps."""

    __tablename__ = "delivery_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # While set and in the future, nothing is sent to this host; its deliveries wait.
    paused_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_failure_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)


class Tombstone(Base):
    """A remote object deleted before we saw it created: a late Create is ignored."""

    __tablename__ = "tombstones"

    uri: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_uri: Mapped[str] = mapped_column(String(2048))
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
