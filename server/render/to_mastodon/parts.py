"""What the Mastodon entities are built from: accounts and statuses with everything resolved
(URLs, sanitized HTML, counts, the viewer's own state). server.services.reading.entities
fills them; the converters beside this module only shape them into JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from storage.models import Account, Status


@dataclass(frozen=True)
class AccountParts:
    account: Account
    acct: str  # username here, user@host for a remote account
    url: str  # the profile page (ours for a local account, its server's otherwise)
    note_html: str
    fields: list[tuple[str, str, str | None]]  # (name, value as HTML, verified_at)
    avatar_url: str  # never empty: the instance's default image when there is none
    header_url: str
    statuses_count: int
    followers_count: int
    following_count: int
    last_status_at: datetime | None
    moved: AccountParts | None = None


@dataclass(frozen=True)
class MediaParts:
    id: int
    url: str | None  # None while processing
    preview_url: str | None
    remote_url: str | None  # a remote post's original file, on its server
    description: str | None
    blurhash: str | None
    width: int | None
    height: int | None
    preview_width: int | None = None
    preview_height: int | None = None
    focus: tuple[float, float] | None = None
    # Provenance (local media): what made it and its IPTC digital source type.
    generator: str | None = None
    digital_source_type: str | None = None
    ai_generated: bool | None = None  # None: unknown (remote media)


@dataclass(frozen=True)
class MentionParts:
    account_id: int
    username: str
    acct: str
    url: str


@dataclass(frozen=True)
class FilterMatch:
    """A viewer's "warn" filter a status matched (one phrase each: Mastodon's Filter with one
    keyword); the status is shown behind it."""

    id: int  # the filter's
    phrase: str
    whole_word: bool
    contexts: tuple[str, ...]
    expires_at: datetime | None
    action: str = "warn"


@dataclass(frozen=True)
class StatusParts:
    status: Status
    account: AccountParts
    url: str
    content_html: str
    media: list[MediaParts]
    mentions: list[MentionParts]
    tags: list[str]
    reblog: StatusParts | None = None
    # The viewer's own state: None when nobody is signed in.
    favourited: bool | None = None
    reblogged: bool | None = None
    bookmarked: bool | None = None
    pinned: bool | None = None  # only for the viewer's own statuses
    muted: bool | None = None
    viewer_may_remix: bool = False
    filtered: tuple[FilterMatch, ...] = field(default_factory=tuple)
    # Mastodon 4.5's quote posts (reading/quote_parts.py): what it quotes, who may quote it.
    quote: QuoteParts | None = None
    quote_approval: QuoteApprovalParts | None = None


@dataclass(frozen=True)
class QuoteParts:
    """REST::QuoteSerializer: the quote's state and, once accepted and visible to the
    viewer, the quoted status; a quote inside a quoted status is shallow (its id only)."""

    state: str
    quoted: StatusParts | None = None
    quoted_status_id: int | None = None
    shallow: bool = False


@dataclass(frozen=True)
class QuoteApprovalParts:
    """Who may quote a status (automatic, manual: public, followers, following,
    unsupported_policy) and what that means for the viewer (automatic, manual, denied,
    unknown)."""

    automatic: tuple[str, ...]
    manual: tuple[str, ...]
    current_user: str


@dataclass(frozen=True)
class RelationshipParts:
    """The viewer's relationship to one account: follows both ways (a pending one is a
    request), with the viewer's follow options, blocks both ways, the viewer's mute and its
    block of the account's server."""

    account_id: int
    following: bool = False
    requested: bool = False  # the viewer's follow waits for approval
    showing_reblogs: bool = False  # the viewer's follow (or request) shows their boosts
    notifying: bool = False
    followed_by: bool = False
    requested_by: bool = False  # their follow of the viewer waits for approval
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    domain_blocking: bool = False  # the account is on a server the viewer blocks
