"""Client API: what a viewer does to a status and the lists of it (Mastodon's
Api::V1::Statuses::{Favourites,Reblogs,Bookmarks,Pins,FavouritedByAccounts,
RebloggedByAccounts}Controller, Api::V1::BookmarksController, Api::V1::FavouritesController).

Each action answers the status as it now stands for the viewer (a boost: the boost, with the
boosted status inside); doing or undoing twice changes nothing. Scopes as Mastodon declares
them: write:favourites, write:statuses (boosts), write:bookmarks, write:accounts (pins).
Conversation mutes (POST .../mute) are not offered: Dreamfeed has no muted threads."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    api_json,
    optional_user,
    page,
    paginated,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.parts import StatusParts
from server.render.to_mastodon.statuses import status as status_entity
from server.services.context import Services
from server.services.errors import InvalidInput
from server.services.reading import api_statuses
from server.services.statuses import bookmarks, interactions, pins


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def _status_id(request: web.Request) -> int:
    return parse_id_param(request.match_info["id"])


def _render(request: web.Request, parts: StatusParts) -> dict[str, Any]:
    return status_entity(parts, request.app[appkeys.CONFIG].base_url)


async def _answer(request: web.Request, status_id: int, viewer_id: int) -> web.Response:
    parts = await api_statuses.status(_services(request), status_id, viewer_id)
    return api_json(_render(request, parts))


async def favourite(request: web.Request) -> web.Response:
    user = require_user(request, "write:favourites")
    target = await interactions.favourite(_services(request), user.username, user.account_id,
                                          _status_id(request))
    return await _answer(request, target, user.account_id)


async def unfavourite(request: web.Request) -> web.Response:
    user = require_user(request, "write:favourites")
    target = await interactions.unfavourite(_services(request), user.username,
                                            user.account_id, _status_id(request))
    return await _answer(request, target, user.account_id)


async def reblog(request: web.Request) -> web.Response:
    """Answers the boost itself, the boosted status in its `reblog`."""
    user = require_user(request, "write:statuses")
    visibility = (await params(request)).get("visibility")
    try:
        boost_id = await interactions.boost(_services(request), user.username,
                                            user.account_id, _status_id(request), visibility)
    except InvalidInput as exc:  # this route's 422 is Mastodon's ValidationError
        raise ApiError(422, str(exc), details={"visibility": [
            {"error": "ERR_INCLUSION", "description": str(exc)}]}) from None
    return await _answer(request, boost_id, user.account_id)


async def unreblog(request: web.Request) -> web.Response:
    user = require_user(request, "write:statuses")
    target = await interactions.unboost(_services(request), user.username, user.account_id,
                                        _status_id(request))
    return await _answer(request, target, user.account_id)


async def bookmark(request: web.Request) -> web.Response:
    user = require_user(request, "write:bookmarks")
    target = await bookmarks.bookmark(_services(request), user.username, _status_id(request))
    return await _answer(request, target, user.account_id)


async def unbookmark(request: web.Request) -> web.Response:
    user = require_user(request, "write:bookmarks")
    target = await bookmarks.unbookmark(_services(request), user.username,
                                        _status_id(request))
    return await _answer(request, target, user.account_id)


async def pin(request: web.Request) -> web.Response:
    user = require_user(request, "write:accounts")
    status_id = _status_id(request)
    await pins.pin(_services(request), user.username, status_id)
    return await _answer(request, status_id, user.account_id)


async def unpin(request: web.Request) -> web.Response:
    user = require_user(request, "write:accounts")
    status_id = _status_id(request)
    await pins.unpin(_services(request), user.username, status_id)
    return await _answer(request, status_id, user.account_id)


async def favourited_by(request: web.Request) -> web.Response:
    viewer = optional_user(request, "read:statuses")
    found = await api_statuses.favourited_by(
        _services(request), _status_id(request), viewer.account_id if viewer else None,
        page(request, default=40, maximum=80))
    return paginated(request, [account(a) for a in found.items], found.cursors)


async def reblogged_by(request: web.Request) -> web.Response:
    viewer = optional_user(request, "read:statuses")
    found = await api_statuses.reblogged_by(
        _services(request), _status_id(request), viewer.account_id if viewer else None,
        page(request, default=40, maximum=80))
    return paginated(request, [account(a) for a in found.items], found.cursors)


async def bookmarked(request: web.Request) -> web.Response:
    """The viewer's bookmarks, newest first, paged by the bookmark (Link header)."""
    user = require_user(request, "read:bookmarks")
    services = _services(request)
    saved = await bookmarks.bookmarked_page(services, user.username, page(request))
    found = await api_statuses.listed_statuses(
        services, [(s.id, s.status_id) for s in saved], user.account_id)
    return paginated(request, [_render(request, p) for p in found.items], found.cursors)


async def favourited(request: web.Request) -> web.Response:
    """The viewer's favourites, newest first, paged by the favourite (Link header)."""
    user = require_user(request, "read:favourites")
    found = await api_statuses.favourited_page(_services(request), user.account_id,
                                               page(request))
    return paginated(request, [_render(request, p) for p in found.items], found.cursors)


def setup_routes(app: web.Application) -> None:
    for action, handler in (("favourite", favourite), ("unfavourite", unfavourite),
                            ("reblog", reblog), ("unreblog", unreblog),
                            ("bookmark", bookmark), ("unbookmark", unbookmark),
                            ("pin", pin), ("unpin", unpin)):
        app.router.add_post(f"/api/v1/statuses/{{id}}/{action}", handler)
    app.router.add_get("/api/v1/statuses/{id}/favourited_by", favourited_by)
    app.router.add_get("/api/v1/statuses/{id}/reblogged_by", reblogged_by)
    app.router.add_get("/api/v1/bookmarks", bookmarked)
    app.router.add_get("/api/v1/favourites", favourited)
