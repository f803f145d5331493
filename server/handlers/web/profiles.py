"""Profile pages: `/@{username}` (local) and `/@{user}@{host}` (a remote account known here),
their followers and following, and each local profile's RSS and Atom feeds.

Route order matters: aiohttp tries these `/@...` patterns in registration order, so the
feeds (`/@alice.rss`) and lists come before the profile itself, and every pattern is a regex
that cannot take a post page (`/@{username}/{status_id}`, the posts module's).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import appkeys
from server.handlers import actors
from server.handlers.caching import (
    LOGGED_OUT_PAGE,
    PAGE_VARY,
    Built,
    anonymous,
    shared,
    shared_page_context,
)
from server.handlers.responses import wants_activity
from server.handlers.session import current_user, render
from server.handlers.web.common import page_cursor
from server.i18n import gettext as _
from server.render import syndication
from server.services.accounts import users as account_service
from server.services.caching.documents import account_tag
from server.services.errors import NotFound
from server.services.reading import profiles
from storage.ids import parse_id

LOCAL_NAME = r"[A-Za-z0-9_]+"
REMOTE_ACCT = r"[^{}/@]+@[^{}/@]+"
FEED_CACHE = "public, max-age=300"
LIST_PAGE = 40
TABS = ("posts", "replies")


def _not_found(request: web.Request, acct: str) -> web.Response:
    return render(request, "profile_missing.html", {"acct": acct}, status=404)


def _unavailable(request: web.Request, view: profiles.ProfileView) -> web.Response | None:
    """Deleted accounts answer 410, suspended ones 403 (as Mastodon: the page goes, the
    actor stays for servers), each with a small page saying so."""
    if view.state == profiles.DELETED:
        return render(request, "profile_gone.html", {"profile": view, "suspended": False},
                      status=410)
    if view.state == profiles.SUSPENDED:
        return render(request, "profile_gone.html", {"profile": view, "suspended": True},
                      status=403)
    return None


def _max_id(request: web.Request) -> int | None:
    raw = request.query.get("max_id", "")
    value = parse_id(raw)
    if raw and value is None:
        raise web.HTTPBadRequest(text=_("max_id must be a post id"))
    return value


async def _profile_page(request: web.Request, acct: str) -> web.StreamResponse:
    tab = request.query.get("tab", "posts")
    tab = tab if tab in TABS else "posts"
    max_id = _max_id(request)
    partial = request.query.get("partial") == "1"
    # The first page as an anonymous visitor sees it is everyone's: kept until the account
    # or its posts change. Later pages (any max_id) are not, so they cannot crowd it out.
    if max_id is not None or not anonymous(request):
        return (await _render_profile(request, acct, tab, max_id, partial))[0]
    shared_page_context(request)

    async def build() -> Built:
        response, account_id = await _render_profile(request, acct, tab, None, partial)
        return response, () if account_id is None else [account_tag(account_id)]

    return await shared(request, ("profile", acct, tab, partial), build,
                        cache_control=LOGGED_OUT_PAGE, vary=PAGE_VARY)


async def _render_profile(request: web.Request, acct: str, tab: str, max_id: int | None,
                          partial: bool) -> tuple[web.Response, int | None]:
    """The page, and the id of the account it shows (None: a page saying it is missing)."""
    services = request.app[appkeys.SERVICES]
    try:
        view = await profiles.profile(services, acct)
    except NotFound:
        return _not_found(request, acct), None
    unavailable = _unavailable(request, view)
    if unavailable is not None:
        return unavailable, None
    user = current_user(request)
    viewer_id = user.account_id if user else None
    viewer = user.username if user else None
    rel = await profiles.relationship(services, viewer_id, view.id)
    if rel.blocking or rel.blocked_by:
        posts = profiles.PostsPage([], None)  # a block hides the posts both ways
    elif tab == "replies":
        posts = await profiles.with_replies(services, view, max_id, viewer, viewer_id)
    else:
        posts = await profiles.grid(services, view, max_id, viewer, viewer_id)
    base = services.config.base_url
    context: dict[str, Any] = {
        "profile": view, "rel": rel, "tab": tab, "posts": posts, "first_page": max_id is None,
        "partial": partial, "next_path": view.path + ("?tab=replies" if tab == "replies" else ""),
        "page_url": base + view.path,
        # og:image when the account has no avatar of its own.
        "default_avatar": services.urls.default_avatar,
        "rss_url": f"{base}{view.path}.rss" if view.local else None,
        "atom_url": f"{base}{view.path}.atom" if view.local else None,
        "next_url": (f"{view.path}?tab={tab}&max_id={posts.next_max_id}"
                     if posts.next_max_id else None),
    }
    # static/app.js's "Load more" asks for ?partial=1: just the next posts and link.
    return render(request, "profile_items.html" if partial else "profile.html",
                  context), view.id


async def local_profile(request: web.Request) -> web.StreamResponse:
    """HTML for browsers; the actor document for servers that ask for JSON."""
    if wants_activity(request):
        return await actors.user_actor(request)
    return await _profile_page(request, request.match_info["username"])


async def remote_profile(request: web.Request) -> web.StreamResponse:
    acct = request.match_info["acct"]
    services = request.app[appkeys.SERVICES]
    username, host = profiles.split_acct(acct, services.config.instance.domain)
    if host is None:  # our own domain spelled out
        raise web.HTTPFound(f"/@{username}")
    if wants_activity(request):
        try:
            view = await profiles.profile(services, acct)
        except NotFound:
            raise web.HTTPNotFound(text=_("no such account known here")) from None
        raise web.HTTPFound(view.actor_uri)  # the actor lives on its own server
    return await _profile_page(request, acct)


async def _local_view(request: web.Request) -> profiles.ProfileView:
    username = request.match_info["username"]
    try:
        return await profiles.profile(request.app[appkeys.SERVICES], username)
    except NotFound:
        raise web.HTTPNotFound(text=_("no account named %(name)r here", name=username)) from None


async def follow_list(request: web.Request) -> web.StreamResponse:
    """`/@{username}/followers` and `/following`: the accounts, newest first."""
    kind = request.match_info["kind"]
    view = await _local_view(request)
    unavailable = _unavailable(request, view)
    if unavailable is not None:
        return unavailable
    page = page_cursor(request, default=LIST_PAGE, maximum=LIST_PAGE)
    result = await profiles.follow_list(request.app[appkeys.SERVICES], view.id, kind, page)
    return render(request, "profile_follows.html", {
        "profile": view, "kind": kind, "accounts": result.accounts,
        "next_url": (f"{view.path}/{kind}?max_id={result.next_max_id}"
                     if result.next_max_id else None)})


async def _feed(request: web.Request, extension: str) -> web.StreamResponse:
    # Feed readers poll, all with the same question: kept until the account or its posts
    # change (nobody's session changes a feed).
    username = request.match_info["username"]

    async def build() -> Built:
        services = request.app[appkeys.SERVICES]
        self_url = f"{services.config.base_url}/@{username}.{extension}"
        try:
            feed, entries = await profiles.feed(services, username, self_url)
        except NotFound:
            raise web.HTTPNotFound(text=_("no feed for %(name)r here", name=username)) from None
        if extension == "rss":
            body, content_type = syndication.rss(feed, entries), syndication.RSS_CONTENT_TYPE
        else:
            body, content_type = syndication.atom(feed, entries), syndication.ATOM_CONTENT_TYPE
        response = web.Response(body=body, content_type=content_type, charset="utf-8",
                                headers={"Cache-Control": FEED_CACHE})
        account = await account_service.local_account(services.db, username)
        # Deleted between the two reads: answered, kept only until it expires.
        return response, () if account is None else [account_tag(account.id)]

    return await shared(request, ("feed", username, extension), build)


async def rss_feed(request: web.Request) -> web.StreamResponse:
    return await _feed(request, "rss")


async def atom_feed(request: web.Request) -> web.StreamResponse:
    return await _feed(request, "atom")


def setup_routes(app: web.Application) -> None:
    app.router.add_get(f"/@{{username:{LOCAL_NAME}}}.rss", rss_feed)
    app.router.add_get(f"/@{{username:{LOCAL_NAME}}}.atom", atom_feed)
    app.router.add_get(f"/@{{username:{LOCAL_NAME}}}/{{kind:followers|following}}", follow_list)
    app.router.add_get(f"/@{{username:{LOCAL_NAME}}}", local_profile)
    app.router.add_get(f"/@{{acct:{REMOTE_ACCT}}}", remote_profile)
