"""How accounts relate to one another: follows, blocks, mutes (local only, 0006), each
person's word and hashtag filters (0006) and the servers a person blocks (0027)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.ids import new_id
from storage.models.base import Base, Id
from storage.types import utcnow


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
    # The follower's choices (the client API's follow options, 0012): show their boosts in
    # home, notify of each new post.
    show_reblogs: Mapped[bool] = mapped_column(Boolean, default=True)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)


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


class AccountDomainBlock(Base):
    """A local `account` blocks a whole remote server (Mastodon's AccountDomainBlock, 0027):
    its posts and notifications are hidden from that person alone, its followers of them
    removed. Not the instance's own domain blocks (DomainBlock, a moderator's). `domain` is
    stored as accounts.domain is: lowercase host[:port], IDNA for non-ASCII names."""

    __tablename__ = "account_domain_blocks"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("accounts.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("account_id", "domain"),)


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


class AccountList(Base):
    """A user's list of accounts (0012): its own timeline of what they post."""

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    # Which replies show: "followed" (to anyone followed), "list" (to members), "none".
    replies_policy: Mapped[str] = mapped_column(String(16), default="list")
    # Members' posts show only here, not in home.
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ListMember(Base):
    __tablename__ = "list_members"

    id: Mapped[int] = mapped_column(Id, primary_key=True, default=new_id)
    list_id: Mapped[int] = mapped_column(Id, ForeignKey("lists.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(
        Id, ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("list_id", "account_id"),)
