"""Mastodon's OAuth scopes (docs: api/oauth-scopes; config/initializers/doorkeeper.rb).

Scopes are hierarchical: `read` grants every `read:*`, `write` every `write:*`, `admin:read`
every `admin:read:*`; the legacy `follow` grants the follow, block and mute scopes; the
`profile` scope (4.3) reads only verify_credentials.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.i18n import N_
from server.services.errors import InvalidInput

READ_SCOPES = ("read:accounts", "read:blocks", "read:bookmarks", "read:favourites",
               "read:filters", "read:follows", "read:lists", "read:mutes",
               "read:notifications", "read:search", "read:statuses")
WRITE_SCOPES = ("write:accounts", "write:blocks", "write:bookmarks", "write:conversations",
                "write:favourites", "write:filters", "write:follows", "write:lists",
                "write:media", "write:mutes", "write:notifications", "write:reports",
                "write:statuses")
FOLLOW_SCOPES = ("read:blocks", "read:follows", "read:mutes", "write:blocks",
                 "write:follows", "write:mutes")
ADMIN_READ_SCOPES = ("admin:read:accounts", "admin:read:reports", "admin:read:domain_allows",
                     "admin:read:domain_blocks", "admin:read:ip_blocks",
                     "admin:read:email_domain_blocks", "admin:read:canonical_email_blocks")
ADMIN_WRITE_SCOPES = tuple(s.replace("admin:read:", "admin:write:") for s in ADMIN_READ_SCOPES)
TOP_SCOPES = ("read", "write", "follow", "push", "profile", "admin:read", "admin:write")
ALL_SCOPES: tuple[str, ...] = (*TOP_SCOPES, *READ_SCOPES, *WRITE_SCOPES, *ADMIN_READ_SCOPES,
                               *ADMIN_WRITE_SCOPES)
DEFAULT_SCOPES = "read"

_GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset(READ_SCOPES),
    "write": frozenset(WRITE_SCOPES),
    "follow": frozenset(FOLLOW_SCOPES),
    "admin:read": frozenset(ADMIN_READ_SCOPES),
    "admin:write": frozenset(ADMIN_WRITE_SCOPES),
}


def parse(raw: str | None, *, default: str = DEFAULT_SCOPES) -> frozenset[str]:
    """Space-separated scopes (Mastodon also takes "+" and commas from sloppy clients);
    nothing given means `default`. An unknown scope is refused, as Doorkeeper does."""
    text = (raw or "").replace("+", " ").replace(",", " ")
    names = frozenset(text.split()) or frozenset(default.split())
    unknown = sorted(names - set(ALL_SCOPES))
    if unknown:
        raise InvalidInput(N_("unknown scope: %(scopes)s"), scopes=" ".join(unknown))
    return names


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """Every scope these grant, parents with their children."""
    granted: set[str] = set()
    for scope in scopes:
        granted.add(scope)
        granted |= _GRANTS.get(scope, frozenset())
    return frozenset(granted)


def covers(granted: Iterable[str], required: str) -> bool:
    """Whether a token with `granted` may do what needs `required`. verify_credentials
    needs "profile", which read and read:accounts also cover."""
    have = expand(granted)
    if required == "profile":
        return bool(have & {"profile", "read:accounts"})
    return required in have


def subset(requested: Iterable[str], allowed: Iterable[str]) -> bool:
    """Whether every requested scope is within what the app registered (by hierarchy)."""
    have = expand(allowed)
    return all(scope in have for scope in requested)


def joined(scopes: Iterable[str]) -> str:
    """The canonical text form: registration order does not matter."""
    return " ".join(sorted(scopes, key=lambda s: (ALL_SCOPES.index(s), s)))


# What each scope lets an app do, in words for the consent page and Settings.
DESCRIPTIONS: dict[str, str] = {
    "read": "read everything of your account",
    "write": "change everything of your account: post, edit, favourite, boost, follow",
    "follow": "change who you follow, block and mute",
    "push": "receive your push notifications",
    "profile": "read only your profile's basic information",
    "admin:read": "read all data on the server (moderators only)",
    "admin:write": "take moderation actions on the server (moderators only)",
    "read:accounts": "see accounts' information",
    "read:blocks": "see your blocks",
    "read:bookmarks": "see your bookmarks",
    "read:favourites": "see your favourites",
    "read:filters": "see your filters",
    "read:follows": "see who you follow",
    "read:lists": "see your lists",
    "read:mutes": "see your mutes",
    "read:notifications": "see your notifications",
    "read:search": "search on your behalf",
    "read:statuses": "see all posts you can see",
    "write:accounts": "change your profile",
    "write:blocks": "block accounts and domains",
    "write:bookmarks": "bookmark posts",
    "write:conversations": "mute and delete conversations",
    "write:favourites": "favourite posts",
    "write:filters": "create filters",
    "write:follows": "follow people",
    "write:lists": "create lists",
    "write:media": "upload and generate images",
    "write:mutes": "mute people and conversations",
    "write:notifications": "clear your notifications",
    "write:reports": "report other people",
    "write:statuses": "publish posts",
}


def describe(scope: str) -> str:
    if scope in DESCRIPTIONS:
        return DESCRIPTIONS[scope]
    # The admin sub-scopes: "admin:read:reports" -> "read reports (moderators only)".
    _, action, subject = scope.split(":", 2)
    return f"{action} {subject.replace('_', ' ')} (moderators only)"
