"""Moderation and account lifecycle (0006): reports, domain blocks and allows, invites, the
audit log and refused prompts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class Report(Base):
    """A report of an account (and some of its posts), by a local user or from a remote
    server's `Flag` (then `account` is the remote reporter, usually its instance actor)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    status_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    # spam, legal, violation or other (Mastodon's categories).
    category: Mapped[str] = mapped_column(String(32), default="other")
    # The Flag's id: ours when forwarded, the remote one when received.
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True, default=None)
    forward: Mapped[bool] = mapped_column(Boolean, default=False)
    forwarded_at: Mapped[datetime | None] = mapped_column(default=None)
    state: Mapped[str] = mapped_column(String(16), default="open")
    resolved_by_account_id: Mapped[int | None] = mapped_column(Id, default=None)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_reports_state_id", "state", "id"),)


class DomainBlock(Base):
    """An instance-wide decision about a remote domain (and its subdomains).

    severity: "silence" (hidden from public timelines, follows need approval), "suspend"
    (nothing in, nothing out, stored data removed) or "noop" (only the flags below)."""

    __tablename__ = "domain_blocks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default="silence")
    reject_media: Mapped[bool] = mapped_column(Boolean, default=False)
    public_comment: Mapped[str] = mapped_column(Text, default="")
    private_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DomainAllow(Base):
    """A domain allowed to federate when `[federation] allowlist_mode` is on."""

    __tablename__ = "domain_allows"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(Base):
    """An invite code: usable `max_uses` times (None: no limit) until `expires_at`."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    # Who made it; None when made with the command line.
    account_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), default=None)
    max_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One moderation action, kept for good: who did what to what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    # The admin's account; None for the command line (the operator).
    account_id: Mapped[int | None] = mapped_column(Id, default=None)
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(2048))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PromptRefusal(Base):
    """A prompt refused before generation: counted per user, shown to admins."""

    __tablename__ = "prompt_refusals"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    prompt: Mapped[str] = mapped_column(Text)
    # "blocklist" or "openai".
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
