"""Accounts and the people behind local ones: actors and their keys, users, their browser
sessions and read markers, and the instance's own fixed settings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


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
    # A remote account's `featured` collection (its pins, 0017); ours is served at a fixed URL.
    featured_url: Mapped[str | None] = mapped_column(String(2048), default=None)
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
        # Every timeline query asks "not suspended" (and the public ones "not silenced"):
        # a partial index holds just those few accounts, where a table scan read all (0019).
        Index("ix_accounts_suspended", "id", sqlite_where=suspended_at.is_not(None),
              postgresql_where=suspended_at.is_not(None)),
        Index("ix_accounts_silenced", "id", sqlite_where=silenced_at.is_not(None),
              postgresql_where=silenced_at.is_not(None)),
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
    # The language a post is marked with when it names none (0015); None: the instance's.
    default_language: Mapped[str | None] = mapped_column(String(16), default=None)
    # Who may interact with new posts unless a post says otherwise (0018), by sub-policy:
    # {"canReply": "followers", "canAnnounce": "mentioned"}; absent: everyone.
    interaction_defaults: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Remind the user when they post images without alt text (0023; false: they turned it off).
    alt_text_reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    # Preferences (0022, Mastodon's names): new posts' visibility and sensitive mark; media
    # marked sensitive blurred ("default"), always shown ("show_all") or all media blurred
    # ("hide_all"); animations and transitions off in the web app.
    default_visibility: Mapped[str] = mapped_column(String(16), default="public")
    default_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    expand_media: Mapped[str] = mapped_column(String(16), default="default")
    reduce_motion: Mapped[bool] = mapped_column(Boolean, default=False)
    # The web interface's language the user chose (0024: en, fr, ar); None: the browser's.
    interface_language: Mapped[str | None] = mapped_column(String(16), default=None)
    # When the user put away the getting-started steps shown after sign-up (0020).
    onboarding_dismissed_at: Mapped[datetime | None] = mapped_column(default=None)


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
