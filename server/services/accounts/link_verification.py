"""Profile fields whose value is a link are verified as Mastodon verifies them
(VerifyAccountLinksWorker, VerifyLinkService, Account::Field): a job fetches the linked page
and looks for a `rel="me"` link (`<a>` or `<link>`) back to the account's profile; found,
the field gets `verified_at` (the client API's, the web profile's check mark). A local
field's value is the URL as typed; a remote one's is its HTML, verifiable when it is exactly
one link whose text is its address. Only https links are verifiable (Mastodon's
ACCEPTED_SCHEMES); an instance that itself runs on plain http (a local or test one) also
takes http links, since its own profile URLs are http. A field keeps its verified_at while
its value stays one that was verified (Mastodon's Account#fields_attributes=)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.http import FetchError
from activitypub.rel_me import rel_me_links, single_link
from server.config import Config
from server.jobs.queue import enqueue
from server.services.context import Services
from storage import accounts as account_queries
from storage.models import Account
from storage.types import utcnow

log = logging.getLogger(__name__)

VERIFY_LINKS = "accounts.verify_links"
# A page read for its rel=me links: at most this much of it (Mastodon's body_with_limit).
MAX_PAGE = 1024 * 1024


def _fields(account: Account) -> list[dict[str, Any]]:
    return [f for f in account.fields or [] if isinstance(f, dict)]


def verification_url(value: str, *, local: bool, config: Config) -> str | None:
    """The URL a field's value stands for, when it is one a check can follow."""
    url = value.strip() if local else single_link(value)
    if not url or any(c.isspace() for c in url):
        return None
    parts = urlsplit(url)
    schemes = ("https", "http") if config.base_url.startswith("http://") else ("https",)
    if parts.scheme.lower() not in schemes or not parts.hostname \
            or parts.username is not None or parts.password is not None:
        return None
    return url


def carry_verification(old: list[Any] | None,
                       new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`new` fields, each keeping the verified_at of an old field with the same value."""
    verified = {str(f.get("value")): f["verified_at"] for f in old or []
                if isinstance(f, dict) and f.get("verified_at")}
    carried = []
    for f in new:
        kept = {k: v for k, v in f.items() if k != "verified_at"}
        if str(f.get("value")) in verified:
            kept["verified_at"] = verified[str(f.get("value"))]
        carried.append(kept)
    return carried


def _unverified(account: Account, config: Config) -> list[str]:
    """The URLs of the fields still to verify."""
    found = []
    for f in _fields(account):
        url = None if f.get("verified_at") else verification_url(
            str(f.get("value", "")), local=account.is_local, config=config)
        if url is not None:
            found.append(url)
    return found


async def queue_verification(session: AsyncSession, account: Account, config: Config) -> None:
    """In the change's transaction: a check of the fields that need one, if any."""
    if _unverified(account, config):
        await enqueue(session, VERIFY_LINKS, {"account_id": account.id})


def link_back(account: Account, services: Services) -> str:
    """What the linked page must point at (Mastodon's ActivityPub::TagManager#url_for)."""
    if account.is_local:
        return services.urls.profile(account.username)
    return account.url or account.uri


async def _links_back(services: Services, url: str, target: str) -> bool:
    try:
        response = await services.http.get(url, headers={"Accept": "text/html"},
                                           max_size=MAX_PAGE)
    except FetchError as exc:
        log.info("profile link %s not verified: %s", url, exc)
        return False
    if response.status != 200:
        return False
    links = rel_me_links(response.body.decode("utf-8", "replace"))
    return any(link.lower() == target.lower() for link in links)


async def verify_links(services: Services, account_id: int) -> None:
    """The job: fetch each unverified field's page; mark the ones that link back."""
    async with services.db.reader() as session:
        account = await account_queries.account_by_id(session, account_id)
        if account is None or account.deleted_at is not None \
                or account.suspended_at is not None:
            return
        urls, target = _unverified(account, services.config), link_back(account, services)
    confirmed = {url for url in dict.fromkeys(urls) if await _links_back(services, url, target)}
    if not confirmed:
        return
    async with services.db.writer.begin() as session:
        account = await account_queries.account_by_id(session, account_id)
        if account is None:
            return
        now = utcnow().isoformat(timespec="seconds").replace("+00:00", "Z")
        fields = []
        for f in _fields(account):
            url = verification_url(str(f.get("value", "")), local=account.is_local,
                                   config=services.config)
            # The value may have changed meanwhile: only a field still naming it is marked.
            fields.append({**f, "verified_at": now} if url in confirmed
                          and not f.get("verified_at") else f)
        account.fields = fields  # a new list: the JSON column is written
