"""Answering from the document cache (server.services.caching.documents): who may be
answered from it, ETags with 304 on If-None-Match, and Cache-Control for logged-out pages.

Handlers hand `shared(request, key, build)` the coroutine that builds their response and
the tags of what it shows; it is kept when it is a plain 200 (no cookies) and answered, with
304 where the client already holds it. One request per key builds at a time: the others
that come meanwhile wait for its entry, or are answered the expired one while it is renewed
(a burst on a page that just expired, or just changed, renders it once, not once per
request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable

import aiohttp_jinja2
from aiohttp import web

from activitypub.documents import NodeUsage
from server import appkeys, i18n
from server.handlers.session import SESSION_COOKIE
from server.services.caching.documents import (
    USAGE_SECONDS,
    DocumentCache,
    Entry,
)
from server.services.federation import instance as instance_service

DOCUMENTS = web.AppKey("document_cache", DocumentCache)
# Per key, the build in progress: its entry (None when what it built was not kept).
_BUILDING = web.AppKey("document_builds", dict)
# Mastodon's cache_if_unauthenticated! for logged-out pages (CachingConcern): a shared cache
# may keep them 15 s, serve them stale while it revalidates, and on errors for a day.
LOGGED_OUT_PAGE = "public, max-age=15, stale-while-revalidate=30, stale-if-error=86400"
# The same URL answers signed-in visitors (Cookie) and servers (Accept) otherwise, and pages
# come in the reader's language (Accept-Language, or the language cookie).
PAGE_VARY = "Accept, Accept-Language, Cookie"


def anonymous(request: web.Request) -> bool:
    """No session cookie and no token: the answer is everybody's, so it may be shared."""
    return SESSION_COOKIE not in request.cookies and "Authorization" not in request.headers


def not_modified(request: web.Request, etag: str) -> bool:
    """If-None-Match (a list, or *) names this ETag; compared weakly, as RFC 9110 says for
    GET."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def answer(request: web.Request, entry: Entry) -> web.Response:
    if entry.status == 200 and not_modified(request, entry.etag):
        # 304 keeps the validators and caching headers, not the body's type.
        return web.Response(status=304, headers={k: v for k, v in entry.headers.items()
                                                 if k != "Content-Type"})
    return web.Response(status=entry.status, body=entry.body, headers=entry.headers)


Built = tuple[web.StreamResponse, Iterable[str]]


async def shared(request: web.Request, key: Hashable, build: Callable[[], Awaitable[Built]],
                 *, ttl: float | None = None, cache_control: str | None = None,
                 vary: str | None = None) -> web.StreamResponse:
    """The kept answer for `key`, or `build()`'s (response, tags), kept. What `build`
    raises (a 404) goes out as it would have, and is not kept. Kept per interface language:
    a page rendered in French is not an English reader's (server.i18n)."""
    key = (key, i18n.current())
    documents = request.app[DOCUMENTS]
    entry = documents.get(key)
    if entry is not None:
        return answer(request, entry)
    building: dict[Hashable, asyncio.Future[Entry | None]] = request.app[_BUILDING]
    pending = building.get(key)
    if pending is not None:
        stale = documents.get(key, stale=True)
        if stale is not None:
            return answer(request, stale)
        entry = await asyncio.shield(pending)
        if entry is not None:
            return answer(request, entry)
        response, _ = await build()  # what it built was not for keeping: build our own
        return response
    future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
    building[key] = future
    entry = None
    try:
        response, tags = await build()
        entry = _kept(documents, key, response, tags, ttl, cache_control, vary)
    finally:
        del building[key]
        future.set_result(entry)
    return response if entry is None else answer(request, entry)


def _kept(documents: DocumentCache, key: Hashable, response: web.StreamResponse,
          tags: Iterable[str], ttl: float | None, cache_control: str | None,
          vary: str | None) -> Entry | None:
    """`response` kept, when it is a plain 200 with its body at hand and sets no cookie."""
    body = getattr(response, "body", None)
    if (not isinstance(response, web.Response) or response.status != 200
            or not isinstance(body, bytes) or response.cookies):
        return None
    headers = dict(response.headers)
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    if vary is not None:
        headers["Vary"] = vary
    return documents.put(key, body, headers, tags=tags, ttl=ttl)


def setup(app: web.Application) -> DocumentCache:
    """This app's document cache (built with the services)."""
    documents = DocumentCache()
    app[DOCUMENTS] = documents
    app[_BUILDING] = {}
    return documents


async def cached_usage(request: web.Request) -> NodeUsage:
    """The usage counts, counted at most once in 30 minutes per process (Mastodon keeps its
    InstancePresenter counts in Rails.cache likewise)."""
    documents = request.app[DOCUMENTS]
    usage = documents.value("usage")
    if not isinstance(usage, NodeUsage):
        usage = await instance_service.node_usage(request.app[appkeys.DATABASE])
        documents.remember("usage", usage, USAGE_SECONDS)
    return usage


def shared_page_context(request: web.Request) -> None:
    """Render this anonymous page for everyone: no per-visitor CSRF token in it (nor its
    cookie). An anonymous visitor has no form to send from these pages; the sign-in and
    sign-up pages carry their own. Mastodon leaves the CSRF meta tags out of the same pages
    for the same reason."""
    context = request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY)
    if isinstance(context, dict):
        context["csrf_token"] = _no_token


def _no_token() -> str:
    return ""
