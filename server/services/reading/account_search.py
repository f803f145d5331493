"""The web app's search box: a handle (@user@host), a profile or actor URL, a hashtag, or
words matched against the accounts known here.

A handle or URL of an account we do not know yet is looked up on its server (WebFinger,
then the actor document: server.services.federation.remote.resolve_account, the same lookup a follow
uses), but only for signed-in users, as Mastodon resolves only for authenticated searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from server.i18n import gettext as _
from server.render.text import find_hashtags, normalize_tag
from server.services.context import Services
from server.services.errors import RateLimited, ServiceError
from server.services.federation.remote import (
    RemoteError,
    RemoteGone,
    RemoteRefused,
    resolve_account,
)
from server.services.reading.post_cards import AccountCard, account_card
from storage import accounts as account_queries
from storage import follows as follow_queries
from storage import profiles as queries
from storage import tags as tag_queries
from storage.models import Account

MAX_QUERY = 300
MAX_RESULTS = 20
HANDLE_RE = re.compile(r"@?[\w.-]+@[\w.-]+(?::\d{1,5})?")
# Our own profile and actor URLs name the account in the path.
_LOCAL_PATH_RE = re.compile(r"/(?:@|users/)([A-Za-z0-9_]+)/?")


@dataclass(frozen=True)
class SearchResults:
    query: str
    accounts: list[AccountCard] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)  # names without '#'
    message: str | None = None  # why a handle or URL found nothing


def _shown(account: Account | None) -> bool:
    return account is not None and account.deleted_at is None \
        and account.suspended_at is None and account.actor_type != "Application"


async def _local(services: Services, username: str) -> Account | None:
    async with services.db.reader() as session:
        return await account_queries.local_account_by_username(session, username)


async def _by_url(services: Services, url: str, resolve: bool) -> Account | None:
    ours = urlsplit(services.config.base_url)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc.lower()) == (ours.scheme, ours.netloc.lower()):
        found = _LOCAL_PATH_RE.fullmatch(parts.path)
        return await _local(services, found.group(1)) if found else None
    async with services.db.reader() as session:
        known = await queries.account_by_url(session, url)
    if known is not None or not resolve:
        return known
    return await resolve_account(services, url)


async def _by_handle(services: Services, handle: str, resolve: bool) -> Account | None:
    username, _, host = handle.lstrip("@").partition("@")
    if host.lower() == services.config.instance.domain.lower():
        return await _local(services, username)
    if resolve:
        return await resolve_account(services, handle)
    async with services.db.reader() as session:
        return await account_queries.remote_account_by_handle(session, username, host)


async def _resolved(services: Services, query: str, viewer_account_id: int | None,
                    resolve: bool) -> Account | None:
    """The one account a handle or URL names; looked up on its server only with `resolve`
    (a signed-in viewer's, rate limited per viewer: a user cannot make this server a
    fetching machine; RateLimited goes up to the handler, 429 with Retry-After)."""
    if resolve and services.limiter is not None:
        await services.limiter.hit("lookup", str(viewer_account_id))
    if query.startswith(("http://", "https://")):
        return await _by_url(services, query, resolve)
    return await _by_handle(services, query, resolve)


async def _one(services: Services, query: str, viewer_account_id: int | None) -> SearchResults:
    resolve = viewer_account_id is not None
    try:
        account = await _resolved(services, query, viewer_account_id, resolve)
    except RateLimited:
        raise  # the handler's 429 with Retry-After, not a message on the page
    except ServiceError as exc:
        return SearchResults(query, message=not_found_message(query, exc))
    if account is not None and _shown(account):
        return SearchResults(query, accounts=[account_card(services.config, account)])
    if not resolve:
        return SearchResults(query, message=_("%(query)s is not known here yet. Sign in to "
                                              "look up accounts on other servers.",
                                              query=query))
    return SearchResults(query, message=_("No account was found for %(query)s. Check the "
                                          "spelling, or search for a name instead.",
                                          query=query))


def not_found_message(query: str, exc: ServiceError) -> str:
    """Why a handle or URL found nothing, and what to do, in words for people: never the
    exception's own text (a DNS resolver's or TLS library's message means nothing to them,
    and tells too much about this server). In the request's language."""
    if isinstance(exc, RemoteRefused):
        return _("%(query)s is on a server that this instance does not federate with, so it "
                 "cannot be looked up here.", query=query)
    if isinstance(exc, RemoteGone):
        return _("%(query)s was deleted on its server. Check the address, or search for a "
                 "name.", query=query)
    if isinstance(exc, RemoteError):
        return _("No account was found for %(query)s: its server could not be reached or "
                 "did not answer with an account. Check the spelling of the handle or "
                 "address, or try again later.", query=query)
    return _("No account was found for %(query)s. Check the spelling: a handle looks like "
             "@name@example.social.", query=query)


async def search(services: Services, query: str, *,
                 viewer_account_id: int | None) -> SearchResults:
    """A signed-in viewer's search may look an unknown handle or URL up on its server
    (rate limited per viewer); a visitor's finds only what is known here."""
    text = " ".join(query.split())[:MAX_QUERY]
    if not text:
        return SearchResults("")
    if text.startswith(("http://", "https://")) or HANDLE_RE.fullmatch(text):
        return await _one(services, text, viewer_account_id)
    if text.startswith("#"):
        return SearchResults(text, hashtags=[normalize_tag(t) for t in find_hashtags(text)])
    tags = [normalize_tag(t) for t in find_hashtags("#" + text.replace(" ", ""))]
    async with services.db.reader() as session:
        found = await queries.search_accounts(session, text, MAX_RESULTS)
        # Words suggest a hashtag only when posts here carry it.
        tags = [t for t in tags if await tag_queries.tag_by_name(session, t) is not None]
    return SearchResults(text, accounts=[account_card(services.config, a) for a in found],
                         hashtags=tags)


async def search_account_ids(services: Services, query: str, *, viewer_account_id: int,
                             resolve: bool, following: bool, limit: int,
                             offset: int = 0) -> list[int]:
    """The client API's account search (Mastodon's AccountSearchService): a handle or URL
    names one account (looked up on its server with `resolve`, rate limited as the web
    search); words match usernames and display names of the accounts known here. With
    `following`, only accounts the viewer follows."""
    text = " ".join(query.split())[:MAX_QUERY].lstrip("#")
    if not text:
        return []
    if text.startswith(("http://", "https://")) or HANDLE_RE.fullmatch(text):
        if offset:
            return []
        try:
            account = await _resolved(services, text, viewer_account_id, resolve)
        except RateLimited:
            raise
        except ServiceError:
            return []  # unreachable or unknown: no result, as Mastodon answers
        if account is None or not _shown(account):
            return []
        if following:
            found = await _followed(services, viewer_account_id, [account.id])
            return [account.id] if found else []
        return [account.id]
    async with services.db.reader() as session:
        found_accounts = await queries.search_accounts(
            session, text, limit, offset=offset,
            followed_by=viewer_account_id if following else None)
    return [a.id for a in found_accounts]


async def _followed(services: Services, viewer_account_id: int, ids: list[int]) -> bool:
    async with services.db.reader() as session:
        rows = await follow_queries.follows_from(session, viewer_account_id, ids)
    return any(row.state == "accepted" for row in rows.values())
