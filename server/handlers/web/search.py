"""The search page (/search): posts, people and hashtags for one query
(server.services.reading.search), all together or one kind a tab (?type=posts, accounts,
hashtags). Tabs and pages are links, so it all works without JavaScript; the posts' "load
more" link answers only the next cards with `partial=1`, as every feed does."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server import appkeys
from server.handlers.session import current_user, render
from server.handlers.web.common import failed, refused
from server.i18n import gettext as _
from server.services.errors import RateLimited
from server.services.reading import profiles, search
from storage.pagination import InvalidPage, parse_page


def _url(query: str, kind: str, **more: int) -> str:
    params: dict[str, Any] = {"q": query}
    if kind != "all":
        params["type"] = kind
    return "/search?" + urlencode({**params, **more})


async def search_page(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    viewer = user.account_id if user else None
    services = request.app[appkeys.SERVICES]
    kind = request.query.get("type", "all")
    try:
        page = parse_page(request.query, default=search.PAGE_SIZE, maximum=search.PAGE_SIZE)
        offset = max(int(request.query.get("offset") or 0), 0)
    except (InvalidPage, ValueError):
        return failed(request, _("That page of results does not exist. Start the search again "
                                 "from the search box."), status=400)
    try:
        results = await search.search(services, request.query.get("q", ""), kind,
                                      viewer_account_id=viewer, page=page, offset=offset)
    except RateLimited as exc:
        return refused(request, exc)
    query, kind = results.query, results.kind
    more_posts = _url(query, "posts", max_id=results.next_max_id) \
        if results.next_max_id else None
    next_path = _url(query, kind, **({"max_id": page.max_id} if page.max_id else {}))
    if request.query.get("partial") == "1":
        return render(request, "_feed_items.html", {
            "cards": results.posts, "more_url": more_posts, "partial": True,
            "next_path": next_path})
    rels = {card.id: await profiles.relationship(services, viewer, card.id)
            for card in results.accounts}
    return render(request, "search.html", {
        "results": results, "rels": rels, "query": query, "kind": kind,
        "tabs": [(name, _url(query, name)) for name in search.KINDS],
        "cards": results.posts, "more_url": more_posts, "next_path": next_path,
        "more_listed": _url(query, kind, offset=results.next_offset)
        if results.next_offset else None})
