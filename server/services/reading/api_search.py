"""The client API's search (GET /api/v2/search, Mastodon's SearchService): accounts,
hashtags and statuses for one query.

- A URL names one account or one status: ours and what we hold are found here; with
  `resolve` (a signed-in viewer's, rate limited per viewer as every lookup that may make this
  server query another) another server's is fetched and stored
  (server.services.federation.resolve_url). A URL query finds no hashtags.
- Accounts otherwise: a handle, or words matched against the accounts known here
  (server.services.reading.account_search, the web search's rules); `following` keeps the
  viewer's follows.
- Hashtags: the tags used here whose name starts with the query.
- Statuses: by URL, or by their words for a signed-in viewer (storage.post_search, the
  index of captions, alt text and published prompts the web search also reads; Mastodon
  offers full-text search to authenticated requests only), newest first, bounded by
  max_id/min_id and skipped into by offset.
A status is found only when the viewer may see it, and with `account_id` only that account's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.render.text import find_hashtags, normalize_tag
from server.services.context import Services
from server.services.errors import NotFound
from server.services.federation.resolve_url import find_url, resolve_url
from server.services.reading import account_search
from server.services.statuses.visibility import visible_status
from storage import post_search
from storage import tags as tag_queries
from storage.models import Account, Status
from storage.pagination import Page

TYPES = ("accounts", "hashtags", "statuses")


@dataclass(frozen=True)
class SearchQuery:
    q: str
    type: str | None = None  # one of TYPES, or None for all three
    resolve: bool = False
    following: bool = False
    account_id: int | None = None
    limit: int = 20
    offset: int = 0
    max_id: int | None = None  # statuses only, as Mastodon's
    min_id: int | None = None

    def wants(self, kind: str) -> bool:
        return self.type is None or self.type == kind


@dataclass(frozen=True)
class FoundTag:
    id: int
    name: str


@dataclass(frozen=True)
class SearchFound:
    account_ids: list[int] = field(default_factory=list)
    tags: list[FoundTag] = field(default_factory=list)
    status_ids: list[int] = field(default_factory=list)


async def search(services: Services, query: SearchQuery, *,
                 viewer_account_id: int | None) -> SearchFound:
    text = " ".join(query.q.split())[:account_search.MAX_QUERY]
    if not text or (query.type is not None and query.type not in TYPES):
        return SearchFound()
    if text.startswith(("http://", "https://")):
        return await _by_url(services, text, query, viewer_account_id)
    found = SearchFound()
    if query.wants("accounts"):
        found = SearchFound(account_ids=await _accounts(services, text, query,
                                                        viewer_account_id))
    if query.wants("hashtags"):
        found = SearchFound(account_ids=found.account_ids,
                            tags=await _tags(services, text, query))
    if query.wants("statuses") and viewer_account_id is not None:
        found = SearchFound(account_ids=found.account_ids, tags=found.tags,
                            status_ids=await _statuses(services, text, query,
                                                       viewer_account_id))
    return found


async def _statuses(services: Services, text: str, query: SearchQuery,
                    viewer_account_id: int) -> list[int]:
    page = Page(max_id=query.max_id, min_id=query.min_id, limit=query.limit)
    async with services.db.reader() as session:
        return await post_search.search(session, text, viewer_account_id, page,
                                        account_id=query.account_id, offset=query.offset)


async def _accounts(services: Services, text: str, query: SearchQuery,
                    viewer_account_id: int | None) -> list[int]:
    if viewer_account_id is None:
        # Signed out: what is known here, no lookups elsewhere and no offset (the handler
        # refuses those as Mastodon does).
        results = await account_search.search(services, text, viewer_account_id=None)
        return [card.id for card in results.accounts][:query.limit]
    return await account_search.search_account_ids(
        services, text, viewer_account_id=viewer_account_id, resolve=query.resolve,
        following=query.following, limit=query.limit, offset=query.offset)


async def _tags(services: Services, text: str, query: SearchQuery) -> list[FoundTag]:
    names = [normalize_tag(t) for t in find_hashtags("#" + text.lstrip("#").replace(" ", ""))]
    if not names:
        return []
    async with services.db.reader() as session:
        tags = await tag_queries.tags_by_prefix(session, names[0], query.limit, query.offset)
    return [FoundTag(t.id, t.name) for t in tags]


async def _by_url(services: Services, url: str, query: SearchQuery,
                  viewer_account_id: int | None) -> SearchFound:
    if query.offset or not (query.wants("accounts") or query.wants("statuses")):
        return SearchFound()
    if query.resolve and viewer_account_id is not None:
        if services.limiter is not None:
            # RateLimited goes up to the handler: 429 with Retry-After.
            await services.limiter.hit("lookup", str(viewer_account_id))
        found = await resolve_url(services, url)
    else:
        found = await find_url(services, url)
    # What a URL names is the answer, followed or not (Mastodon's url_resource_results).
    if isinstance(found, Account) and query.wants("accounts") and _shown(found):
        return SearchFound(account_ids=[found.id])
    if isinstance(found, Status) and query.wants("statuses") \
            and query.account_id in (None, found.account_id):
        async with services.db.reader() as session:
            try:
                await visible_status(session, found.id, viewer_account_id)
            except NotFound:
                return SearchFound()
        return SearchFound(status_ids=[found.id])
    return SearchFound()


def _shown(account: Account) -> bool:
    return account.deleted_at is None and account.suspended_at is None \
        and account.actor_type != "Application"
