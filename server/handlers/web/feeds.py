"""Feeds: the front page, home, local, federated, Discover, hashtags, bookmarks and
notifications.

Every feed pages with "load more" links (?max_id=, Discover ?offset=); the same URL with
`partial=1` answers only the next cards and the next link, which static/app.js appends."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server import appkeys
from server.handlers.pages import instance_context
from server.handlers.session import current_user, render, require_user
from server.handlers.web.common import page_cursor
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts import onboarding
from server.services.context import Services
from server.services.errors import NotFound
from server.services.reading import discover, feeds
from server.services.social import markers, tag_follows
from storage.pagination import Page

# Translated where a page shows them (server.i18n: N_ marks, _ translates).
FEED_TITLES = {"home": N_("Home"), "local": N_("Local"), "federated": N_("Federated")}
FEED_BLURBS = {
    "home": N_("Posts from you and the people you follow."),
    "local": N_("Public posts made on this server."),
    "federated": N_("Public posts from this server and every server it knows."),
}


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def _partial(request: web.Request) -> bool:
    return request.query.get("partial") == "1"


# Query parameters a "load more" link carries over to the next page.
KEPT_PARAMETERS = ("limit",)


def _more_url(request: web.Request, **query: int | None) -> str | None:
    """This page's URL for the next page (None when there is none)."""
    if any(value is None for value in query.values()):
        return None
    kept = {k: request.query[k] for k in KEPT_PARAMETERS if k in request.query}
    return f"{request.path}?{urlencode({**kept, **query})}"


def _next_path(request: web.Request) -> str:
    """Where forms on the page return without JavaScript (never the partial URL)."""
    query = {k: v for k, v in request.query.items() if k != "partial"}
    return request.path + (f"?{urlencode(query)}" if query else "")


def _cards_page(request: web.Request, template: str, context: dict[str, Any],
                items_template: str = "_feed_items.html") -> web.Response:
    partial = _partial(request)
    context = {**context, "next_path": _next_path(request), "partial": partial}
    return render(request, items_template if partial else template, context)


async def _feed_page(request: web.Request, name: str, page: feeds.FeedPage,
                     **extra: Any) -> web.Response:
    return _cards_page(request, "feed.html", {
        "active_page": name, "feed": name, "title": _(FEED_TITLES.get(name, name)),
        "blurb": _(FEED_BLURBS[name]) if name in FEED_BLURBS else "", "cards": page.cards,
        "more_url": _more_url(request, max_id=page.next_max_id), **extra})


async def front(request: web.Request) -> web.StreamResponse:
    """Signed in: the home feed. Otherwise the landing page with recent local posts."""
    user = current_user(request)
    if user is not None:
        return await home(request)
    page = await feeds.public(_services(request), "local", Page(), username=None,
                              account_id=None)
    context = await instance_context(request)
    return render(request, "home.html", {
        **context, "cards": page.cards, "next_path": "/",
        "more_url": f"/local?max_id={page.next_max_id}" if page.next_max_id else None})


async def home(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    page = await feeds.home(_services(request), user.username, user.account_id,
                            page_cursor(request))
    # The getting-started steps, at the top of the first page while the account is new.
    steps = None if _partial(request) or "max_id" in request.query else \
        await onboarding.state(_services(request), user.account_id)
    return await _feed_page(request, "home", page,
                            onboarding=steps if steps is not None and steps.on_home else None)


async def public(request: web.Request) -> web.StreamResponse:
    name = "local" if request.path == "/local" else "federated"
    user = current_user(request)
    page = await feeds.public(_services(request), name, page_cursor(request),
                              username=user.username if user else None,
                              account_id=user.account_id if user else None)
    return await _feed_page(request, name, page)


async def tag(request: web.Request) -> web.StreamResponse:
    name = request.match_info["tag"].lstrip("#")[:255]
    user = current_user(request)
    page = await feeds.hashtag(_services(request), name, page_cursor(request),
                               username=user.username if user else None,
                               account_id=user.account_id if user else None)
    following = user is not None and not _partial(request) and \
        await tag_follows.is_following(_services(request), user.account_id, name)
    return _cards_page(request, "feed.html", {
        "active_page": "", "feed": "tag", "title": f"#{name}", "tag_name": name,
        "following_tag": following,
        "blurb": _("Public posts tagged #%(name)s.", name=name), "cards": page.cards,
        "more_url": _more_url(request, max_id=page.next_max_id)})


async def discover_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    try:
        offset = int(request.query.get("offset", "0"))
    except ValueError:
        raise web.HTTPBadRequest(text=_("offset must be a number")) from None
    page = await discover.popular(_services(request),
                                  viewer_account_id=user.account_id if user else None,
                                  offset=offset)
    return _cards_page(request, "feed.html", {
        "active_page": "discover", "feed": "discover", "title": _("Discover"),
        "blurb": _("Popular images made on this server this week, by likes, boosts and "
                   "remixes."),
        "cards": page.cards, "more_url": _more_url(request, offset=page.next_offset)})


async def bookmarks_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    page = await feeds.bookmarks(_services(request), user.username, user.account_id,
                                 page_cursor(request))
    return _cards_page(request, "feed.html", {
        "active_page": "bookmarks", "feed": "bookmarks", "title": _("Bookmarks"),
        "blurb": _("Posts you saved. Only you see this list."), "cards": page.cards,
        "more_url": _more_url(request, max_id=page.next_max_id)})


async def notifications_page(request: web.Request) -> web.StreamResponse:
    """The first page (no max_id) marks everything up to its newest notification read."""
    user = require_user(request)
    services = _services(request)
    page_query = page_cursor(request)
    # The top of the list (min_id pages start further down).
    first_page = page_query.max_id is None and page_query.min_id is None \
        and not _partial(request)
    # Taken before listing: notifications a word filter hides are seen with the page too,
    # and one arriving while the page is made stays unread.
    newest = await markers.newest_notification_id(services, user) if first_page else None
    try:
        page = await feeds.notifications(services, user.username, user.account_id, page_query)
    except NotFound:
        raise web.HTTPNotFound(text=_("no such account")) from None
    extra: dict[str, Any] = {}
    if first_page:
        shown = [n.id for n in page.notifications]
        await markers.mark_notifications_read(services, user, max([newest or 0, *shown]))
        extra["unread_notifications"] = 0  # counted before this page marked them read
    return _cards_page(request, "notifications.html", {
        "active_page": "notifications", "notifications": page.notifications,
        "more_url": _more_url(request, max_id=page.next_max_id), **extra},
        items_template="_notification_items.html")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", front, name="front")
    app.router.add_get("/home", home, name="home")
    app.router.add_get("/local", public, name="local")
    app.router.add_get("/federated", public, name="federated")
    app.router.add_get("/discover", discover_page, name="discover")
    app.router.add_get("/tags/{tag}", tag, name="tag")
    app.router.add_get("/bookmarks", bookmarks_page, name="bookmarks")
    app.router.add_get("/notifications", notifications_page, name="notifications")
