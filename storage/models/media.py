"""Images: generation requests and daily quotas, stored attachments, and remote posts' media
with our cached copies."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


class Generation(Base):
    """A request to make images from a prompt, and how it went:
    queued -> running -> done | failed (with a message for the user in `error`).

    The prompt is private to its author; it is published only when they choose to.
    """

    __tablename__ = "generations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(128))
    size: Mapped[str] = mapped_column(String(16))
    quality: Mapped[str] = mapped_column(String(16))
    # The generator's style and seed: asked for, or as reported back once done.
    style: Mapped[str | None] = mapped_column(String(32), default=None)
    seed: Mapped[int | None] = mapped_column(BigInteger, default=None)
    n: Mapped[int] = mapped_column(Integer, default=1)
    # A remix starts from this attachment (no foreign key: attachments point back here).
    source_media_id: Mapped[int | None] = mapped_column(Id, default=None)
    # A remix: how far it may move from the source, 0 to 1 (None: the generator's default).
    strength: Mapped[float | None] = mapped_column(Float, default=None)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # Why it failed, for the user; and a short machine-readable reason (e.g. "refused").
    error: Mapped[str | None] = mapped_column(Text, default=None)
    error_code: Mapped[str | None] = mapped_column(String(32), default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The client's Idempotency-Key: a repeated request returns this generation, at no cost.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key",
                         name="uq_generations_account_idempotency_key"),
        Index("ix_generations_account_id_id", "account_id", "id"),
    )


class GenerationQuota(Base):
    """Images a local account has been granted on one UTC day (counted up front, given
    back when a generation fails through no fault of the user's)."""

    __tablename__ = "generation_quotas"

    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class DescriptionQuota(Base):
    """Image descriptions a local user has asked a vision model for on one UTC day (counted
    up front, given back when the model failed through no fault of the user's)."""

    __tablename__ = "description_quotas"

    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


def new_url_secret() -> str:
    """64 random bits in a media URL, as Mastodon's random file names: ids are time-based,
    so without it the images of followers-only posts and unposted generations could be
    found by counting."""
    return secrets.token_hex(8)


class MediaAttachment(Base):
    """A stored image: the original (content-addressed by its SHA-256) and the renditions
    served at /media/{id}/{secret}/{file}. Storage keys are opaque to everything but
    storage/media_files.
    """

    __tablename__ = "media_attachments"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    generation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("generations.id", ondelete="SET NULL"), default=None, index=True)
    # The post it belongs to, once posted.
    status_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("statuses.id", ondelete="SET NULL"), default=None, index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str] = mapped_column(String(512))
    original_type: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    # image.jpg (federated) and image.webp (our pages) share these dimensions.
    jpeg_key: Mapped[str] = mapped_column(String(512))
    jpeg_size: Mapped[int] = mapped_column(Integer)
    webp_key: Mapped[str] = mapped_column(String(512))
    webp_size: Mapped[int] = mapped_column(Integer)
    display_width: Mapped[int] = mapped_column(Integer)
    display_height: Mapped[int] = mapped_column(Integer)
    thumb_key: Mapped[str] = mapped_column(String(512))
    thumb_size: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    blurhash: Mapped[str] = mapped_column(String(64))
    # Alt text.
    description: Mapped[str] = mapped_column(Text, default="")
    # What made it (e.g. "dreamfeed-procedural 1", "gpt-image-2") and the IPTC digital source
    # type written into its files (trainedAlgorithmicMedia, algorithmicMedia).
    generator: Mapped[str] = mapped_column(String(255))
    digital_source_type: Mapped[str] = mapped_column(String(64))
    # Order within its post (0-3).
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The secret part of its URLs (0009); NULL for older rows, whose URLs (already sent to
    # other servers, and URLs never change) have none.
    url_secret: Mapped[str | None] = mapped_column(String(32), default=new_url_secret)
    # The focal point (Mastodon's meta.focus, -1..1 each way; 0012): what crops keep.
    focus_x: Mapped[float | None] = mapped_column(Float, default=None)
    focus_y: Mapped[float | None] = mapped_column(Float, default=None)
    # Its content credentials (C2PA) as read back once signed: verified, invalid or absent;
    # NULL for images made before credentials.
    credentials: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_media_attachments_account_id_id", "account_id", "id"),)


class PendingMedia(Base):
    """A media attachment the client API has promised but not made yet (0012): an uploaded
    file being processed, or one image of a running generation. Its id is the attachment's
    id to be: clients poll GET /api/v1/media/:id (206 until the row exists) and may set its
    description and focus meanwhile, which the attachment takes over."""

    __tablename__ = "pending_media"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # "upload" (the raw file under upload_key) or "generation" (image `position` of it).
    kind: Mapped[str] = mapped_column(String(16))
    generation_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("generations.id", ondelete="CASCADE"), index=True, default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    upload_key: Mapped[str | None] = mapped_column(String(512), default=None)
    upload_type: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    focus_x: Mapped[float | None] = mapped_column(Float, default=None)
    focus_y: Mapped[float | None] = mapped_column(Float, default=None)
    # "processing" or "failed" (error says why); the row is deleted once the attachment is.
    state: Mapped[str] = mapped_column(String(16), default="processing")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RemoteMedia(Base):
    """An image attached to a remote post, as its server described it. Caching the file
    locally comes with the inbound-content work; until then `url` is the remote one."""

    __tablename__ = "remote_media"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str] = mapped_column(String(2048))
    media_type: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str] = mapped_column(Text, default="")
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    blurhash: Mapped[str | None] = mapped_column(String(64), default=None)
    # In the cached copy's URL (/media/remote/{id}/{secret}/{file}); NULL for rows cached
    # before migration 0010, which keep their published URLs.
    url_secret: Mapped[str | None] = mapped_column(String(32), default=new_url_secret)
    # Our cached copy (so visitors' browsers never fetch from other servers):
    # pending -> cached | failed (retried later); "proxied" when caching is off.
    cache_state: Mapped[str] = mapped_column(String(16), default="pending")
    cached_key: Mapped[str | None] = mapped_column(String(512), default=None)
    cached_type: Mapped[str | None] = mapped_column(String(64), default=None)
    thumb_key: Mapped[str | None] = mapped_column(String(512), default=None)
    cache_error: Mapped[str | None] = mapped_column(Text, default=None)
    cached_at: Mapped[datetime | None] = mapped_column(default=None)
    # The fetched file's content credentials (C2PA), checked when it is cached (our copy is
    # re-encoded and carries none): verified, invalid or absent; NULL: not checked.
    credentials: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
