"""The web app's search page: posts (full text of captions, alt text and published prompts:
storage.post_search), people and hashtags for one query, all together or one kind a page.

A handle (@name@server) or a profile URL names one account: it is found, or looked up on its
server for a signed-in viewer, by server.services.reading.account_search (the same lookup a
follow uses), which says in words why nothing was found. Words find people by username or
display name, hashtags by the start of their name (with how many posts carry each), and
posts holding every word that the viewer may see, newest first. Posts are searched for
signed-in viewers only, as Mastodon's full-text search is (a visitor's search finds people
and hashtags): searching everyone's words is not something to offer to anonymous scrapers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from server.render.text import find_hashtags, normalize_tag
from server.services.context import Services
from server.services.reading import account_search
from server.services.reading.post_cards import AccountCard, PostCard, account_card, cards
from storage import post_search
from storage import profiles as profile_queries
from storage import tags as tag_queries
from storage.pagination import Page

KINDS = ("all", "posts", "accounts", "hashtags")
PAGE_SIZE = 20
# What the "all" view shows of people and hashtags before its posts (a tab shows more).
ALL_ACCOUNTS, ALL_HASHTAGS = 5, 10


@dataclass(frozen=True)
class TagResult:
    name: str  # without '#'
    posts: int  # how many posts here carry it


@dataclass(frozen=True)
class SearchPage:
    query: str
    kind: str  # one of KINDS
    accounts: list[AccountCard] = field(default_factory=list)
    hashtags: list[TagResult] = field(default_factory=list)
    posts: list[PostCard] = field(default_factory=list)
    next_max_id: int | None = None  # the posts' next page
    next_offset: int | None = None  # the people's or hashtags' next page
    message: str | None = None  # why a handle or URL found nothing, and what to do
    handle: bool = False  # the query named one account (posts and hashtags not searched)


def is_handle(text: str) -> bool:
    return text.startswith(("http://", "https://")) \
        or account_search.HANDLE_RE.fullmatch(text) is not None


async def search(services: Services, query: str, kind: str = "all", *,
                 viewer_account_id: int | None, page: Page | None = None,
                 offset: int = 0) -> SearchPage:
    text = " ".join(query.split())[:account_search.MAX_QUERY]
    kind = kind if kind in KINDS else "all"
    page = page or Page(limit=PAGE_SIZE)
    if not text:
        return SearchPage("", kind)
    if is_handle(text):
        # RateLimited goes up to the handler (429 with Retry-After).
        found = await account_search.search(services, text,
                                            viewer_account_id=viewer_account_id)
        return SearchPage(text, kind, accounts=found.accounts, message=found.message,
                          handle=True)
    accounts: list[AccountCard] = []
    hashtags: list[TagResult] = []
    posts: list[PostCard] = []
    next_max_id = next_offset = None
    async with services.db.reader() as session:
        if kind in ("all", "accounts"):
            limit = ALL_ACCOUNTS if kind == "all" else PAGE_SIZE
            found_accounts = await profile_queries.search_accounts(
                session, text.lstrip("#"), limit + 1, offset=offset)
            accounts = [account_card(services.config, a) for a in found_accounts[:limit]]
            if kind == "accounts" and len(found_accounts) > limit:
                next_offset = offset + limit
        if kind in ("all", "hashtags"):
            limit = ALL_HASHTAGS if kind == "all" else PAGE_SIZE
            hashtags = await _hashtags(session, text, limit + 1, offset)
            if kind == "hashtags" and len(hashtags) > limit:
                next_offset = offset + limit
            hashtags = hashtags[:limit]
        if kind in ("all", "posts") and viewer_account_id is not None:
            ids = await post_search.search(session, text, viewer_account_id, page)
            posts = await cards(services, session, ids, viewer_account_id=viewer_account_id)
            # A full page may have more after it; a short one is the end.
            next_max_id = ids[-1] if len(ids) >= page.limit else None
    return SearchPage(text, kind, accounts=accounts, hashtags=hashtags, posts=posts,
                      next_max_id=next_max_id, next_offset=next_offset)


async def _hashtags(session: AsyncSession, text: str, limit: int,
                    offset: int) -> list[TagResult]:
    """Hashtags starting with the query written as one (spaces dropped, '#' optional)."""
    names = [normalize_tag(t) for t in find_hashtags("#" + text.lstrip("#").replace(" ", ""))]
    if not names:
        return []
    tags = await tag_queries.tags_by_prefix(session, names[0], limit, offset)
    counts = await tag_queries.post_counts(session, [t.id for t in tags])
    return [TagResult(t.name, counts.get(t.id, 0)) for t in tags]
