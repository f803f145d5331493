"""Client API: timelines (Mastodon's app/controllers/api/v1/timelines/): home, public,
hashtag and list. Each answers Status entities newest first with a Link header (next:
max_id of the last entry, prev: min_id of the first); a boost is its own entry with the
boosted status in `reblog`."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    optional_user,
    page,
    paginated,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.statuses import status
from server.services.reading import api_timelines
from server.services.reading.api_timelines import Narrowing, StatusPage


def _answer(request: web.Request, found: StatusPage) -> web.Response:
    base_url = request.app[appkeys.CONFIG].base_url
    return paginated(request, [status(parts, base_url) for parts in found.statuses], found.ids)


async def home(request: web.Request) -> web.Response:
    user = require_user(request, "read:statuses")
    found = await api_timelines.home(request.app[appkeys.SERVICES], user.account_id,
                                        page(request))
    return _answer(request, found)


async def _options(request: web.Request) -> Narrowing:
    given = await params(request)
    return Narrowing(local=given.boolean("local"), remote=given.boolean("remote"),
                     only_media=given.boolean("only_media"))


async def public(request: web.Request) -> web.Response:
    """Signed out too (Mastodon's default: public preview on)."""
    user = optional_user(request, "read:statuses")
    found = await api_timelines.public(request.app[appkeys.SERVICES],
                                          user.account_id if user else None, page(request),
                                          await _options(request))
    return _answer(request, found)


async def hashtag(request: web.Request) -> web.Response:
    user = optional_user(request, "read:statuses")
    given = await params(request)
    found = await api_timelines.hashtag(
        request.app[appkeys.SERVICES], user.account_id if user else None,
        request.match_info["hashtag"], page(request), await _options(request),
        any_tags=given.list("any"), all_tags=given.list("all"), none_tags=given.list("none"))
    return _answer(request, found)


async def list_timeline(request: web.Request) -> web.Response:
    user = require_user(request, "read:lists")
    found = await api_timelines.list_timeline(
        request.app[appkeys.SERVICES], user.account_id,
        parse_id_param(request.match_info["list_id"]), page(request))
    return _answer(request, found)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/timelines/home", home)
    app.router.add_get("/api/v1/timelines/public", public)
    app.router.add_get("/api/v1/timelines/tag/{hashtag}", hashtag)
    app.router.add_get("/api/v1/timelines/list/{list_id}", list_timeline)
