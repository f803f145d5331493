"""Client API: search (Mastodon's api/v2/search_controller.rb) over
server.services.reading.api_search.

GET /api/v2/search: q (required), type (accounts, hashtags, statuses), resolve, following,
account_id, limit (default 20, at most 40, per type), offset, max_id and min_id (statuses).
A token is optional (Mastodon 4.0): with one it needs read:search; without one, `resolve`
and `offset` are refused with Mastodon's 401s, and words find no statuses (full-text search
is for authenticated requests, as Mastodon's). The answer is a Search: {"accounts": [...],
"statuses": [...], "hashtags": [Tag...]}.

GET /api/v1/search was removed in Mastodon 3.0 (its routes have no v1 search): it answers
the JSON 404 of every unknown /api path.
"""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import ApiError, api_json, optional_user, params
from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.statuses import status
from server.render.to_mastodon.tags import tag
from server.services.reading import api_search
from server.services.reading.entities import accounts_in_order, statuses_in_order

SCOPE = "read:search"
DEFAULT_LIMIT, MAX_LIMIT = 20, 40
NO_RESOLVE = ("Search queries that resolve remote resources are not supported without "
              "authentication")
NO_OFFSET = "Search queries pagination is not supported without authentication"


async def search_v2(request: web.Request) -> web.Response:
    user = optional_user(request, SCOPE)
    form = await params(request)
    q = form.get("q")
    if q is None or not q.strip():
        raise ApiError(400, "param is missing or the value is empty: q")
    resolve, offset = form.boolean("resolve"), form.integer("offset", 0) or 0
    if user is None and resolve:
        raise ApiError(401, NO_RESOLVE)
    if user is None and offset:
        raise ApiError(401, NO_OFFSET)
    limit = form.integer("limit", DEFAULT_LIMIT) or DEFAULT_LIMIT
    account_id = form.integer("account_id")
    query = api_search.SearchQuery(
        q=q, type=form.get("type") or None, resolve=resolve,
        following=form.boolean("following"), account_id=account_id,
        limit=min(max(limit, 1), MAX_LIMIT), offset=max(offset, 0),
        max_id=form.integer("max_id"), min_id=form.integer("min_id"))
    services = request.app[appkeys.SERVICES]
    viewer = user.account_id if user else None
    found = await api_search.search(services, query, viewer_account_id=viewer)
    base_url = services.config.base_url
    accounts = await accounts_in_order(services, found.account_ids)
    statuses = await statuses_in_order(services, found.status_ids, viewer_account_id=viewer)
    return api_json({
        "accounts": [account(a) for a in accounts],
        "statuses": [status(s, base_url) for s in statuses],
        "hashtags": [tag(t.id, t.name, base_url) for t in found.tags],
    })


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v2/search", search_v2)
