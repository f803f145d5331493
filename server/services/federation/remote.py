"""Remote accounts and keys: resolve by WebFinger or URL, fetch (signed), store, refresh,
and their post/follower/following counts as their own servers give them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.http import FetchError, HttpResponse
from activitypub.parse import (
    ParsedActor,
    ParsedKey,
    ParseError,
    collection_total,
    host_of,
    parse_actor,
    parse_key,
    same_origin,
    strip_fragment,
)
from activitypub.vocab import ACCEPT_ACTIVITY
from server.config import Config
from server.i18n import N_
from server.jobs.queue import enqueue
from server.services.accounts.link_verification import carry_verification, queue_verification
from server.services.context import Services
from server.services.errors import ServiceError
from server.services.federation.key_cache import CachedKey
from server.services.federation.outbound.signing import signer
from server.services.federation.remote_media import schedule_account_media
from server.services.streaming.publish import queue_account_changed, queue_keys_changed
from storage import accounts as account_queries
from storage.models import Account, AccountKey
from storage.types import utcnow

log = logging.getLogger(__name__)

# Mastodon refreshes remote profiles older than a day when it meets them.
STALE_AFTER = timedelta(days=1)


class RemoteError(ServiceError):
    """A remote object that cannot be fetched or is not what it claims to be."""


class RemoteGone(RemoteError):
    """The remote answered 410: the object (or account) was deleted."""


class RemoteRefused(RemoteError):
    """The host is suspended here (or not on the allow-list): we fetch nothing from it."""


async def refuse_suspended(services: Services, host: str) -> None:
    if not (await services.domains.rules()).allowed(host):
        raise RemoteRefused(f"{host or 'that address'} is suspended on this instance")


async def fetch_document(services: Services, url: str) -> tuple[dict[str, Any], str]:
    """GET an ActivityStreams document, signed by the instance actor (GoToSocial and
    authorized-fetch Mastodon refuse unsigned GETs). Returns (document, final URL)."""
    await refuse_suspended(services, host_of(url))
    try:
        response = await services.http.get(
            url, headers={"Accept": ACCEPT_ACTIVITY},
            sign=signer(services.instance_signing_key()))
    except FetchError as exc:
        raise RemoteError(f"cannot fetch {url}: {exc}") from None
    return _document(response, url)


def _document(response: HttpResponse, url: str) -> tuple[dict[str, Any], str]:
    if response.status == 410:
        raise RemoteGone(f"{url} is gone")
    if response.status != 200:
        raise RemoteError(f"fetching {url} answered HTTP {response.status}")
    try:
        doc = response.json()
    except FetchError as exc:
        raise RemoteError(str(exc)) from None
    if not isinstance(doc, dict):
        raise RemoteError(f"{url} is not a JSON object")
    return doc, response.url


async def webfinger(services: Services, username: str, domain: str) -> str:
    """acct:username@domain -> the actor URL from its `self` link."""
    await refuse_suspended(services, domain)
    scheme = "http" if services.config.federation.allow_private_addresses and \
        _looks_local(domain) else "https"
    url = (f"{scheme}://{domain}/.well-known/webfinger?resource="
           f"{quote(f'acct:{username}@{domain}', safe=':@')}")
    try:
        response = await services.http.get(url, headers={"Accept": "application/jrd+json"})
    except FetchError as exc:
        raise RemoteError(f"cannot look up {username}@{domain}: {exc}") from None
    if response.status == 404:
        raise RemoteError(f"{username}@{domain} does not exist")
    if response.status == 410:
        raise RemoteGone(f"{username}@{domain} was deleted")
    if response.status != 200:
        raise RemoteError(f"WebFinger for {username}@{domain} answered HTTP {response.status}")
    try:
        doc = response.json()
    except FetchError as exc:
        raise RemoteError(str(exc)) from None
    actor = webfinger_actor(doc)
    if actor is None:
        raise RemoteError(f"WebFinger for {username}@{domain} names no ActivityPub actor")
    return actor


def webfinger_actor(doc: Any) -> str | None:
    """The actor URL of a WebFinger answer (JRD): its first `self` link of an ActivityPub
    media type whose href is a URL we would keep; None when there is none."""
    links = doc.get("links") if isinstance(doc, dict) else None
    for link in links if isinstance(links, list) else []:
        if (isinstance(link, dict) and link.get("rel") == "self"
                and _is_activity_type(link.get("type")) and isinstance(link.get("href"), str)
                and host_of(link["href"])):
            return str(link["href"])
    return None


def _is_activity_type(media_type: Any) -> bool:
    return isinstance(media_type, str) and (
        media_type.startswith("application/activity+json")
        or media_type.startswith("application/ld+json"))


def _looks_local(domain: str) -> bool:
    """Test and LAN instances run on plain http; only tried when private addresses are on."""
    host = domain.rpartition(":")[0] if domain.count(":") == 1 else domain
    return host in ("localhost", "127.0.0.1") or host.endswith((".test", ".localhost",
                                                                  ".internal", ".lan"))


def split_handle(handle: str) -> tuple[str, str]:
    """'@alice@example.com' or 'alice@example.com' -> ('alice', 'example.com')."""
    text = handle.strip()
    if text.startswith("acct:"):
        text = text[5:]
    text = text.lstrip("@")
    username, sep, domain = text.partition("@")
    if not sep or not username or not domain or "@" in domain or "/" in domain:
        raise ServiceError(N_("%(handle)r is not a handle like user@example.com"), handle=handle)
    return username, domain.lower()


async def resolve_account(services: Services, handle_or_url: str) -> Account:
    """An account by handle (user@host) or by actor URL; fetched and stored when unknown."""
    text = handle_or_url.strip()
    if text.startswith(("http://", "https://")):
        return await account_for_uri(services, text)
    username, domain = split_handle(text)
    if domain == services.config.instance.domain:
        async with services.db.reader() as session:
            account = await account_queries.local_account_by_username(session, username)
        if account is None or account.actor_type == "Application":
            raise ServiceError(N_("no account named %(username)r on this instance"),
                               username=username)
        return account
    async with services.db.reader() as session:
        known = await account_queries.remote_account_by_handle(session, username, domain)
    if known is not None and not _stale(known):
        return known
    return await fetch_actor(services, await webfinger(services, username, domain))


def _stale(account: Account) -> bool:
    return account.fetched_at is None or utcnow() - account.fetched_at > STALE_AFTER


async def account_for_uri(services: Services, uri: str, *, refresh: bool = False) -> Account:
    """The account with this actor id: ours, stored, or fetched now."""
    uri = strip_fragment(uri)
    async with services.db.reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    if account is not None and (account.is_local or not (refresh or _stale(account))):
        return account
    if same_origin(uri, services.config.base_url):
        raise RemoteError(f"no local account {uri}")
    try:
        return await fetch_actor(services, uri)
    except RemoteError:
        if account is not None and not refresh:
            return account  # a stale copy beats none when the origin is down
        raise


async def fetch_actor(services: Services, uri: str) -> Account:
    doc, final_url = await fetch_document(services, uri)
    try:
        actor = parse_actor(doc, fetched_from=final_url)
    except ParseError as exc:
        raise RemoteError(f"{uri}: {exc}") from None
    if not same_origin(actor.id, uri):
        raise RemoteError(f"{uri} answered with an actor on another origin")
    return await store_actor(services, actor)


async def store_actor(services: Services, actor: ParsedActor) -> Account:
    """Insert or update a remote account and its keys from a verified actor document."""
    for attempt in range(2):  # a concurrent fetch of the same actor may win the insert
        try:
            rules = await services.domains.rules()
            async with services.db.writer.begin() as session:
                account = await _upsert_account(session, actor, services.config)
                rule = rules.rule_for(actor.host)
                if rule is not None and rule.severity == "silence" \
                        and account.silenced_at is None:
                    # Stamped with the block's time, as Mastodon's ProcessAccountService,
                    # so lifting the block un-silences it.
                    account.silenced_at = rule.created_at
                for owner_id in await _store_keys(session, account.id, actor.keys):
                    # A new key (rotated, or moved to this account): every process's cache
                    # drops the old one, so it verifies nothing more anywhere.
                    queue_keys_changed(session, owner_id)
                await schedule_account_media(session, services.config, account)
                await schedule_totals(session, account)
                await schedule_featured(session, account)
                await session.flush()
                queue_account_changed(session, account.id)
            for key in actor.keys:
                services.keys.invalidate(key.key_id)
            return account
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _upsert_account(session: AsyncSession, actor: ParsedActor,
                          config: Config) -> Account:
    account = await account_queries.account_by_uri(session, actor.id)
    if account is None:
        # Same handle, new id: the remote re-created the account; the handle moves to it.
        account = await account_queries.remote_account_by_handle(
            session, actor.preferred_username, actor.host)
        if account is not None:
            account.uri = actor.id
    if account is None:
        account = Account(username=actor.preferred_username, domain=actor.host, uri=actor.id)
        session.add(account)
    account.username = actor.preferred_username
    account.actor_type = actor.type
    account.url = actor.url
    account.display_name = actor.name
    account.note = actor.summary
    account.inbox_url = actor.inbox
    account.shared_inbox_url = actor.shared_inbox
    account.outbox_url = actor.outbox
    account.followers_url = actor.followers
    account.following_url = actor.following
    account.featured_url = actor.featured
    account.manually_approves_followers = actor.manually_approves_followers
    account.discoverable = actor.discoverable
    account.avatar_url = actor.avatar_url
    account.header_url = actor.header_url
    # A field keeps its check while its value stays; new links are checked by a job, as
    # Mastodon checks remote accounts' links too.
    fields = carry_verification(account.fields, actor.fields)
    fields_changed = fields != (account.fields or [])
    account.fields = fields
    account.also_known_as = actor.also_known_as
    if actor.moved_to != account.moved_to_uri:  # Mastodon follows movedTo on every refresh
        account.moved_to_uri, account.moved_to_account_id = actor.moved_to, None
    account.fetched_at = utcnow()
    account.deleted_at = None
    await session.flush()
    if fields_changed:
        await queue_verification(session, account, config)
    return account


async def _store_keys(session: AsyncSession, account_id: int,
                      keys: Sequence[ParsedKey]) -> set[int]:
    """Upsert the actor's keys; the accounts whose stored key is now different (a first
    key, or the same key again, changes nothing any cache holds)."""
    changed: set[int] = set()
    for key in keys:
        row = await account_queries.key_by_key_id(session, key.key_id)
        if row is not None and (row.public_key_pem != key.public_key_pem
                                or row.account_id != account_id):
            changed |= {row.account_id, account_id}
        await _upsert_key(session, account_id, key, row)
    return changed


async def _upsert_key(session: AsyncSession, account_id: int, key: ParsedKey,
                      row: AccountKey | None) -> AccountKey:
    if row is None:
        row = AccountKey(account_id=account_id, key_id=key.key_id,
                         public_key_pem=key.public_key_pem)
        session.add(row)
    row.account_id = account_id
    row.public_key_pem = key.public_key_pem
    row.fetched_at = utcnow()
    await session.flush()
    return row


async def load_key(services: Services, key_id: str) -> CachedKey:
    """A keyId -> its PEM and owner: from the database, else fetched from its origin."""
    async with services.db.reader() as session:
        row = await account_queries.key_by_key_id(session, key_id)
        owner = await account_queries.account_by_id(session, row.account_id) if row else None
    if row is not None and owner is not None:
        return CachedKey(key_id, row.public_key_pem, owner.uri, owner.id)
    return await fetch_key(services, key_id)


async def fetch_key(services: Services, key_id: str) -> CachedKey:
    """Fetch a keyId and find its owner by what the documents say, never by string surgery:
    the key document names its owner, and the owner's actor must list that key."""
    doc, final_url = await fetch_document(services, key_id)
    key = _key_in(doc, key_id)
    if key is None:
        raise RemoteError(f"{key_id} does not hold that public key")
    if not (same_origin(key.key_id, final_url) and same_origin(key.owner, key.key_id)):
        raise RemoteError(f"key {key_id} and its owner are on different origins")
    actor: ParsedActor | None = None
    if strip_fragment(str(doc.get("id", ""))) == key.owner:
        try:
            actor = parse_actor(doc, fetched_from=final_url)
        except ParseError:
            actor = None  # a stub (GoToSocial's key document): fetch the full actor below
    if actor is None:
        owner_doc, owner_url = await fetch_document(services, key.owner)
        try:
            actor = parse_actor(owner_doc, fetched_from=owner_url)
        except ParseError as exc:
            raise RemoteError(f"owner of {key_id}: {exc}") from None
    if key.key_id not in {k.key_id for k in actor.keys}:
        raise RemoteError(f"{actor.id} does not list the key {key_id}")
    account = await store_actor(services, actor)
    return CachedKey(key.key_id, key.public_key_pem, account.uri, account.id)


def _key_in(doc: dict[str, Any], key_id: str) -> ParsedKey | None:
    """The key with this id in a document: the actor's publicKey(s) or a bare key object."""
    candidates = doc.get("publicKey")
    items = candidates if isinstance(candidates, list) else [candidates]
    if "publicKeyPem" in doc:
        items = [doc, *items]
    for item in items:
        try:
            key = parse_key(item, default_owner=doc.get("id") if "publicKey" in doc else None)
        except ParseError:
            continue
        if key.key_id == key_id:
            return key
    return None


# --- counts ------------------------------------------------------------------------------

FETCH_TOTALS = "account.fetch_totals"
# Which collection holds which count, as Mastodon's ProcessAccountService reads them.
_TOTALS = (("posts_total", "outbox_url"), ("followers_total", "followers_url"),
           ("following_total", "following_url"))


async def schedule_totals(session: AsyncSession, account: Account) -> None:
    """Read the account's counts in a job, not inline: an actor is often stored while an
    inbox request waits on its key, and three more fetches do not belong there."""
    if not account.is_local:
        await enqueue(session, FETCH_TOTALS, {"account_id": account.id},
                      dedupe_key=f"{FETCH_TOTALS}:{account.id}")


# Its pins, read by server.services.federation.featured (Mastodon's
# SynchronizeFeaturedCollectionWorker, queued on every refresh of the account).
FETCH_FEATURED = "account.fetch_featured"


async def schedule_featured(session: AsyncSession, account: Account) -> None:
    """Read the account's `featured` collection in a job (several fetches: never inline)."""
    if not account.is_local and account.featured_url:
        await enqueue(session, FETCH_FEATURED, {"account_id": account.id},
                      dedupe_key=f"{FETCH_FEATURED}:{account.id}")


async def fetch_totals(services: Services, account_id: int) -> None:
    """Read totalItems of the account's outbox, followers and following collections. A
    collection that answers without a usable count clears it (the server hides it); one that
    cannot be fetched keeps the last value, as Mastodon does. Never fails: there is always a
    next refresh."""
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
    if account is None or account.is_local or account.deleted_at is not None \
            or account.suspended_at is not None:
        return
    totals: dict[str, int | None] = {}
    for column, url_attribute in _TOTALS:
        url = getattr(account, url_attribute)
        # Only the actor's own server speaks for its counts.
        if not url or not same_origin(url, account.uri):
            totals[column] = None
            continue
        try:
            doc, _final_url = await fetch_document(services, url)
        except RemoteError as exc:
            log.info("keeping %s of %s: %s", column, account.uri, exc)
            continue
        totals[column] = collection_total(doc)
    async with services.db.writer.begin() as session:
        await account_queries.set_totals(session, account_id, totals, utcnow())
        queue_account_changed(session, account_id)
