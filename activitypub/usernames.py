"""Which remote usernames (`preferredUsername`) we accept.

Mastodon validates a remote account's username against `\\A#{USERNAME_RE}\\z/i` with
USERNAME_RE = /[a-z0-9_]+([a-z0-9_\\.-]+[a-z0-9_]+)?/i (app/models/account.rb): ASCII
letters, digits and underscores, with dots and hyphens only inside. Anything else can pose as
someone it is not: a right-to-left override turns `alice@host` around on screen, a zero-width
space or a Cyrillic a (U+0430) makes a twin of a local `@alice`, and `alice@other:8000` reads as a
whole handle. We refuse what Mastodon refuses, so such an actor is never stored.
"""

from __future__ import annotations

import re

# ASCII only, on purpose: a case-insensitive match on Unicode would admit look-alikes
# (the Kelvin sign matches `k` under re.IGNORECASE without re.ASCII).
_REMOTE_USERNAME_RE = re.compile(r"[A-Za-z0-9_]+(?:[A-Za-z0-9_.\-]+[A-Za-z0-9_])?", re.ASCII)


def is_valid_remote_username(name: str, actor_host: str) -> bool:
    """True when `name` is a username Mastodon would store for a remote account, or the
    server's own name on its instance actor (Mastodon's older instance actors and ours are
    named after their domain, which may carry a port); that one poses as nobody else."""
    if _REMOTE_USERNAME_RE.fullmatch(name) is not None:
        return True
    return bool(actor_host) and name.lower() == actor_host
