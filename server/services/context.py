"""What services share: config, database, the HTTP client, the media store, the image
backend, the rate limiter and the in-memory caches (keys, domains, inbox owners).

One instance lives for the life of the app (or of a CLI command or standalone worker),
built in `server.app` / `server.cli.common`, and is handed to services and job handlers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from activitypub.http import SafeHttpClient
from server.config import Config
from server.images.backend import ImageBackend
from server.images.pipeline import Limits
from server.ratelimit import RateLimiter
from server.services.federation.key_cache import KeyCache
from server.services.moderation.domain_policy import DomainPolicy
from server.services.streaming.bus import StreamBus
from server.services.streaming.events import StreamEvent
from server.services.streaming.hub import Hub
from server.urls import Urls
from storage.accounts import signing_key
from storage.database import Database
from storage.media_files import MediaStore


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key_pem: str


@dataclass(frozen=True)
class InboxOwner:
    account_id: int
    deleted: bool


class InboxOwners:
    """username -> local account for personal inboxes, kept briefly: every inbox POST needs
    it, and a database round trip per POST costs more than the whole signature check. A
    deleted account is forgotten at once in every process ("dreamfeed.account" on the bus:
    `on_event`); "no such account" answers are kept `ttl` seconds (a new sign-up's inbox
    answers 404 that long at most: nobody can have followed it yet)."""

    def __init__(self, ttl: float = 60.0) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[float, InboxOwner | None]] = {}
        self._names: dict[int, str] = {}  # account id -> the username it is kept under

    def get(self, username: str) -> tuple[bool, InboxOwner | None]:
        """(found in cache, owner); the owner is None for "no such account"."""
        entry = self._entries.get(username.lower())
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, username: str, owner: InboxOwner | None) -> None:
        if len(self._entries) > 10_000:
            self.clear()
        self._entries[username.lower()] = (time.monotonic() + self._ttl, owner)
        if owner is not None:
            self._names[owner.account_id] = username.lower()

    def forget(self, username: str) -> None:
        self._entries.pop(username.lower(), None)

    def clear(self) -> None:
        self._entries.clear()
        self._names.clear()

    def on_event(self, event: StreamEvent) -> None:
        """A Hub listener: an account changed (deleted, suspended): ask the database again."""
        if event.kind == "dreamfeed.account" and event.account_id is not None:
            name = self._names.pop(event.account_id, None)
            if name is not None:
                self._entries.pop(name, None)


@dataclass
class Services:
    config: Config
    db: Database
    http: SafeHttpClient
    # Where media files live (local disk today; an object store later): the one store.
    media: MediaStore
    # The image generator (in-process or a configured service); None where none is opened
    # (most CLI commands): see `backend`.
    image_backend: ImageBackend | None = None
    keys: KeyCache = field(default_factory=KeyCache)
    inbox_owners: InboxOwners = field(default_factory=InboxOwners)
    # Set once at start: the instance actor signs GETs and instance-level activities.
    instance_actor_id: int = 0
    instance_key: SigningKey | None = None
    # Domain blocks, the allow-list and suspended remote actors, cached in memory.
    domains: DomainPolicy = field(init=False)
    # Rate limits (server.ratelimit); None where nothing is limited (most CLI commands).
    limiter: RateLimiter | None = None
    # This process's streams subscribe here; the bus delivers each event once per process.
    hub: Hub = field(default_factory=Hub)
    # The bus carrying committed events to every process's hub (started by the web app and
    # the worker); None where nothing streams (most CLI commands).
    stream: StreamBus | None = None

    def __post_init__(self) -> None:
        self.domains = DomainPolicy(
            self.db, own_domain=self.config.instance.domain,
            allowlist_mode=self.config.federation.allowlist_mode)
        # The rules and keys kept in memory follow every process's changes through the bus
        # (and this process's own at their commit). What else is kept in memory, and why it
        # needs no event: docs/architecture.md, "Caches and the bus".
        for listener in (self.domains.on_event, self.keys.on_event,
                         self.inbox_owners.on_event):
            self.hub.listen(listener)
            self.hub.listen_at_commit(listener)
        self.hub.listen_resync(self.forget_cached)

    def forget_cached(self) -> None:
        """Drop the rules, keys and inbox owners kept in memory (the bus reconnected: the
        events sent while it was down are lost)."""
        self.domains.invalidate()
        self.keys.clear()
        self.inbox_owners.clear()

    @property
    def urls(self) -> Urls:
        return Urls(self.config.base_url)

    @property
    def backend(self) -> ImageBackend:
        if self.image_backend is None:
            raise RuntimeError("started without an image backend")
        return self.image_backend

    @property
    def image_limits(self) -> Limits:
        """Decode limits for images made here (remote media has lower ones)."""
        return Limits(max_pixels=self.config.media.max_pixels,
                      max_size=self.config.media.max_size)

    def instance_signing_key(self) -> SigningKey:
        if self.instance_key is None:
            raise RuntimeError("instance key not loaded: call load_instance_key() at start")
        return self.instance_key


async def load_instance_key(services: Services, instance_actor_id: int) -> None:
    """Remember the instance actor and its signing key (it never changes at run time)."""
    async with services.db.reader() as session:
        key = await signing_key(session, instance_actor_id)
    if key is None or key.private_key_pem is None:
        raise RuntimeError("the instance actor has no signing key")
    services.instance_actor_id = instance_actor_id
    services.instance_key = SigningKey(key.key_id, key.private_key_pem)
