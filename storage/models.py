"""SQLAlchemy 2 models. Plain rows: decisions live in server/services, not here.

Every primary key is a 64-bit time-sortable id from storage.ids; every timestamp is UTC-aware.
Later migrations only add tables and columns to what is here.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.ids import new_id
from storage.types import UTCDateTime, utcnow

# Integer primary keys on SQLite must be INTEGER to be rowid aliases; BIGINT elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class InstanceSetting(Base):
    """Facts fixed for the life of an instance, such as the domain every id embeds."""

    __tablename__ = "instance_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """An actor, local (domain is NULL) or remote. Local rows are never deleted, so a username
    is never handed out twice."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255), default=None)
    # Person, Service, Application (the instance actor), Group.
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    inbox_url: Mapped[str] = mapped_column(String(2048), default="")
    shared_inbox_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    outbox_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    followers_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    following_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    manually_approves_followers: Mapped[bool] = mapped_column(Boolean, default=False)
    discoverable: Mapped[bool] = mapped_column(Boolean, default=True)
    avatar_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    header_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Profile fields (PropertyValue name/value pairs), as [{"name": ..., "value": ...}].
    fields: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Cached copies of a remote account's avatar and header (storage keys).
    avatar_cached_key: Mapped[str | None] = mapped_column(String(512), default=None)
    header_cached_key: Mapped[str | None] = mapped_column(String(512), default=None)
    # When a remote actor document was last fetched.
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # Moderation: hidden from public timelines, its follows need approval (0006).
    silenced_at: Mapped[datetime | None] = mapped_column(default=None)
    # Account migration (Move): where it went, and the accounts it says it also is.
    moved_to_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    moved_to_account_id: Mapped[int | None] = mapped_column(Id, default=None)
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A remote account's counts as its own server gives them (the totalItems of its outbox,
    # followers and following collections; NULL when hidden or unknown) and when they were
    # read (0008). Local accounts are counted from our own tables.
    posts_total: Mapped[int | None] = mapped_column(BigInteger, default=None)
    followers_total: Mapped[int | None] = mapped_column(BigInteger, default=None)
    following_total: Mapped[int | None] = mapped_column(BigInteger, default=None)
    totals_fetched_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        # Case-insensitive uniqueness: one index for local names, one per remote domain.
        Index("ux_accounts_local_username", func.lower(username), unique=True,
              sqlite_where=domain.is_(None), postgresql_where=domain.is_(None)),
        Index("ux_accounts_remote_username", func.lower(username), domain, unique=True,
              sqlite_where=domain.is_not(None), postgresql_where=domain.is_not(None)),
        Index("ix_accounts_domain", domain),
    )

    @property
    def is_local(self) -> bool:
        return self.domain is None


class AccountKey(Base):
    """A public key by its keyId; local keys also hold the private half."""

    __tablename__ = "account_keys"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    key_id: Mapped[str] = mapped_column(String(2048), unique=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_pem: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(default=None)


class User(Base):
    """A person who logs in here; owns exactly one local account."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id"), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True, default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Why the person wants to join (approval mode), and the invite that let them in (0006).
    registration_reason: Mapped[str] = mapped_column(Text, default="")
    invite_id: Mapped[int | None] = mapped_column(Id, default=None)
    # An admin switched image generation off for this user.
    generation_disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class Follow(Base):
    """`account` follows `target_account`; pending until the target accepts."""

    __tablename__ = "follows"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # The Follow activity's id (ours or the remote's), so Accept/Undo can name it.
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True, default=None)
    # "pending" or "accepted".
    state: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)


class Status(Base):
    """A post, local or remote; a boost is a row of its own pointing at what it boosts."""

    __tablename__ = "statuses"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048), default=None)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    local: Mapped[bool] = mapped_column(Boolean, default=True)
    # public, unlisted, private (followers only), direct.
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    content: Mapped[str] = mapped_column(Text, default="")
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    in_reply_to_id: Mapped[int | None] = mapped_column(Id, default=None, index=True)
    # The parent's id even when we do not have the parent.
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    in_reply_to_account_id: Mapped[int | None] = mapped_column(Id, default=None)
    # Set on boosts: the boosted status (the row has no content of its own).
    reblog_of_id: Mapped[int | None] = mapped_column(Id, default=None, index=True)
    # The plain-text caption a local author typed (content is its HTML).
    caption: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    # AI provenance shown to people: generator name always; prompt, model and seed only
    # when the author chose to publish them.
    generator_name: Mapped[str | None] = mapped_column(String(255), default=None)
    prompt: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    seed: Mapped[int | None] = mapped_column(BigInteger, default=None)
    can_remix: Mapped[bool] = mapped_column(Boolean, default=True)
    remix_of_id: Mapped[int | None] = mapped_column(Id, default=None, index=True)
    remix_of_uri: Mapped[str | None] = mapped_column(String(2048), default=None)
    replies_count: Mapped[int] = mapped_column(Integer, default=0)
    favourites_count: Mapped[int] = mapped_column(Integer, default=0)
    reblogs_count: Mapped[int] = mapped_column(Integer, default=0)
    remixes_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("ix_statuses_local_id", "local", "id"),
        Index("ux_statuses_idempotency", "account_id", "idempotency_key", unique=True),
        Index("ix_statuses_visibility_id", "visibility", "id"),
    )


class Block(Base):
    """`account` blocks `target_account` (either side may be remote)."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)


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


class Job(Base):
    """A unit of slow or remote work. Lives in the database so a crash or restart loses none.

    state: queued -> running -> (deleted on success) | queued again (retry) | dead.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Held by a worker until this time; past it, another worker may take the job over.
    locked_by: Mapped[str | None] = mapped_column(String(128), default=None)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Optional idempotency key: enqueueing the same key twice makes one job.
    dedupe_key: Mapped[str | None] = mapped_column(String(512), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_jobs_state_run_at", "state", "run_at"),
        Index("ix_jobs_state_locked_until", "state", "locked_until"),
    )


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_media_attachments_account_id_id", "account_id", "id"),)


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Tombstone(Base):
    """A remote object deleted before we saw it created: a late Create is ignored."""

    __tablename__ = "tombstones"

    uri: Mapped[str] = mapped_column(String(2048), primary_key=True)
    account_uri: Mapped[str] = mapped_column(String(2048))
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)

    __table_args__ = (UniqueConstraint("status_id", "account_id"),)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    # Lowercase; the display form lives in each post's content.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusTag(Base):
    __tablename__ = "status_tags"

    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           primary_key=True)
    tag_id: Mapped[int] = mapped_column(Id, ForeignKey("tags.id", ondelete="CASCADE"),
                                        primary_key=True, index=True)

    __table_args__ = (Index("ix_status_tags_tag_id_status_id", "tag_id", "status_id"),)


class Favourite(Base):
    """A like. `uri` is the Like activity's id, so an Undo can name it."""

    __tablename__ = "favourites"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "status_id"),)


class Notification(Base):
    """Something that happened to a local account: follow, follow_request, favourite,
    reblog, reply, mention, remix."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    from_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    status_id: Mapped[int | None] = mapped_column(
        Id, ForeignKey("statuses.id", ondelete="CASCADE"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_notifications_account_id_id", "account_id", "id"),)


# --- moderation and account lifecycle (0006) --------------------------------------------------


class Mute(Base):
    """`account` mutes `target_account`: a local-only filter, never federated."""

    __tablename__ = "mutes"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # Also hide the muted account's notifications.
    hide_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)


class Filter(Base):
    """A user's word or hashtag filter (`#AIGenerated` matches the post's tags)."""

    __tablename__ = "filters"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    phrase: Mapped[str] = mapped_column(String(255))
    whole_word: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where it applies: any of home, notifications, public, thread, account.
    contexts: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "hide" drops the post; "warn" shows it behind the filter's name.
    action: Mapped[str] = mapped_column(String(16), default="hide")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class WebSession(Base):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Id, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


# --- read markers (0007) ---------------------------------------------------------------------


class Marker(Base):
    """How far a user has read a timeline (Mastodon's markers): the newest id seen. Only
    "notifications" is kept so far; what is newer counts as unread."""

    __tablename__ = "markers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"))
    timeline: Mapped[str] = mapped_column(String(32))
    last_read_id: Mapped[int] = mapped_column(Id)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "timeline"),)
