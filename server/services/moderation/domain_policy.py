"""Which remote hosts and actors we federate with: domain blocks, the allow-list, and remote
accounts suspended one by one.

A block applies to the domain and every subdomain of it, the most specific rule winning, as
Mastodon's DomainBlock.rule_for walks from the host up through its parent domains. In
allow-list mode (`[federation] allowlist_mode`) only listed domains (and subdomains) and our
own are allowed; everything else is treated as suspended. Inbox POSTs are hot, so the rules
live in memory: reloaded at once after a change, whichever process made it (the moderation
services publish "dreamfeed.domains" on the bus at the commit: `on_event`), and after `ttl`
seconds in any case (a bus that lost its subscription misses events).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from activitypub.parse import host_of
from server.services.streaming.events import StreamEvent
from storage import domain_blocks as queries
from storage.database import Database
from storage.domain_blocks import Snapshot

SILENCE = "silence"
SUSPEND = "suspend"
NOOP = "noop"
SEVERITIES = (SILENCE, SUSPEND, NOOP)


@dataclass(frozen=True)
class Rule:
    domain: str
    severity: str
    reject_media: bool
    created_at: datetime


def normalize_domain(text: str) -> str:
    """A domain as typed by an operator ('Example.COM.', 'https://example.com/') -> host."""
    value = text.strip().lower()
    if value.startswith(("http://", "https://")):
        value = host_of(value)
    return value.rstrip(".").rpartition("@")[2]


def domain_candidates(host: str) -> list[str]:
    """host[:port] and its parent domains, most specific first; with a port, the same walk
    without it follows (a rule for 'example.com' covers 'example.com:8443')."""
    host = host.lower()
    hosts = [host]
    bare, sep, port = host.rpartition(":")
    if sep and port.isdigit() and bare and not bare.endswith("]"):
        hosts.append(bare)
    out: list[str] = []
    for name in hosts:
        parts = name.split(".")
        out += [".".join(parts[i:]) for i in range(len(parts))]
    return out


@dataclass(frozen=True)
class DomainRules:
    """An immutable view of the rules at one moment; every question is a dict lookup."""

    own_domain: str
    allowlist_mode: bool
    blocks: dict[str, Rule] = field(default_factory=dict)
    allows: frozenset[str] = frozenset()
    suspended_actors: frozenset[str] = frozenset()
    suspended_inboxes: frozenset[str] = frozenset()

    @classmethod
    def from_snapshot(cls, snap: Snapshot, *, own_domain: str,
                      allowlist_mode: bool) -> DomainRules:
        return cls(own_domain=own_domain.lower(), allowlist_mode=allowlist_mode,
                   blocks={b[0]: Rule(*b) for b in snap.blocks},
                   allows=frozenset(snap.allows),
                   suspended_actors=frozenset(u for u, _ in snap.suspended_actors),
                   suspended_inboxes=frozenset(i for _, i in snap.suspended_actors if i))

    def rule_for(self, host: str) -> Rule | None:
        for name in domain_candidates(host):
            rule = self.blocks.get(name)
            if rule is not None:
                return rule
        return None

    def is_own(self, host: str) -> bool:
        return host.lower() == self.own_domain

    def allowed(self, host: str) -> bool:
        """May we federate with this host at all (receive, deliver, fetch)?"""
        if not host:
            return False
        if self.is_own(host):
            return True
        if self.allowlist_mode and not any(n in self.allows for n in domain_candidates(host)):
            return False
        rule = self.rule_for(host)
        return rule is None or rule.severity != SUSPEND

    def suspended(self, host: str) -> bool:
        return not self.allowed(host)

    def silenced(self, host: str) -> bool:
        rule = self.rule_for(host)
        return rule is not None and rule.severity == SILENCE

    def reject_media(self, host: str) -> bool:
        if self.suspended(host):
            return True
        rule = self.rule_for(host)
        return rule is not None and rule.reject_media

    def url_allowed(self, url: str) -> bool:
        return self.allowed(host_of(url))

    def actor_refused(self, uri: str) -> bool:
        """An actor whose server is suspended or not allowed, or that is suspended itself."""
        return uri in self.suspended_actors or not self.url_allowed(uri)

    def inbox_refused(self, inbox: str) -> bool:
        """Deliveries to this inbox are never made."""
        return inbox in self.suspended_inboxes or not self.url_allowed(inbox)


class DomainPolicy:
    """The rules, reloaded when an event says they changed, and after `ttl` seconds."""

    def __init__(self, db: Database, *, own_domain: str, allowlist_mode: bool,
                 ttl: float = 30.0) -> None:
        self._db = db
        self._own = own_domain
        self._allowlist_mode = allowlist_mode
        self._ttl = ttl
        self._rules: DomainRules | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        # Bumped by each invalidate(): a reload that read the rules before a change committed
        # answers with them but does not keep them.
        self._version = 0

    async def rules(self) -> DomainRules:
        rules = self._rules
        if rules is not None and self._expires > time.monotonic():
            return rules
        async with self._lock:  # one reload for all concurrent callers
            if self._rules is not None and self._expires > time.monotonic():
                return self._rules
            version = self._version
            async with self._db.reader() as session:
                snap = await queries.snapshot(session)
            rules = DomainRules.from_snapshot(snap, own_domain=self._own,
                                              allowlist_mode=self._allowlist_mode)
            self._rules = rules
            if version == self._version:
                self._expires = time.monotonic() + self._ttl
            return rules

    def invalidate(self) -> None:
        self._expires = 0.0
        self._version += 1

    def on_event(self, event: StreamEvent) -> None:
        """A Hub listener: "dreamfeed.domains" (any process's change) reloads the rules."""
        if event.kind == "dreamfeed.domains":
            self.invalidate()
