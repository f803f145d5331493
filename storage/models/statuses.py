"""Posts and what hangs off them: mentions, hashtags, favourites, and the notifications they
cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
    # Interaction controls (0018). A local status: its author's choice per sub-policy
    # ({"canReply": "followers"}; absent: everyone who can see it). A remote one: the
    # `interactionPolicy` its server stated (activitypub.interaction_policy.Policy's JSON;
    # NULL: a server that does not know interaction controls).
    interaction_choices: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    interaction_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # A reply or boost waiting for the approval of the author of what it answers; and the
    # authorization that approved it (its id, shown to third servers).
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(2048), default=None)
    # A remote status: when its thread was last asked for at its origin (a rate limit).
    context_fetched_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("ix_statuses_local_id", "local", "id"),
        Index("ux_statuses_idempotency", "account_id", "idempotency_key", unique=True),
        Index("ix_statuses_visibility_id", "visibility", "id"),
    )


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


class TagFollow(Base):
    """A user follows a hashtag (0020): public posts carrying it show in their home feed
    (Mastodon's TagFollow). Private to the user; never federated."""

    __tablename__ = "tag_follows"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(Id, ForeignKey("tags.id", ondelete="CASCADE"),
                                        index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "tag_id"),)


class Favourite(Base):
    """A like. `uri` is the Like activity's id, so an Undo can name it."""

    __tablename__ = "favourites"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # As a status's (0018): waiting for the liked post's author, and what approved it.
    pending_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_by: Mapped[str | None] = mapped_column(String(2048), default=None)

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


class Bookmark(Base):
    """A private save of a status (0012): never federated."""

    __tablename__ = "bookmarks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "status_id"),)


class StatusPin(Base):
    """A status its author pinned to their profile (0012; federated as `featured`)."""

    __tablename__ = "status_pins"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(Id, ForeignKey("statuses.id", ondelete="CASCADE"),
                                           index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "status_id"),)
