"""Client API: lists and their members (Mastodon's app/controllers/api/v1/lists_controller.rb,
lists/accounts_controller.rb, accounts/lists_controller.rb). A user reaches only their own
lists; the rules are server.services.social.lists'. The list timeline is in timelines.py."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    api_json,
    page,
    paginated,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.lists import list_entity
from server.services.reading.entities import accounts_in_order
from server.services.social import lists
from storage.ids import parse_id


def _list_id(request: web.Request) -> int:
    return parse_id_param(request.match_info["id"])


async def index(request: web.Request) -> web.Response:
    user = require_user(request, "read:lists")
    found = await lists.lists_of(request.app[appkeys.SERVICES], user.account_id)
    return api_json([list_entity(row) for row in found])


async def show(request: web.Request) -> web.Response:
    user = require_user(request, "read:lists")
    row = await lists.get_list(request.app[appkeys.SERVICES], user.account_id,
                               _list_id(request))
    return api_json(list_entity(row))


async def create(request: web.Request) -> web.Response:
    user = require_user(request, "write:lists")
    given = await params(request)
    row = await lists.create_list(request.app[appkeys.SERVICES], user.account_id,
                                  given.text("title"),
                                  replies_policy=given.text("replies_policy", "list"),
                                  exclusive=given.boolean("exclusive"))
    return api_json(list_entity(row))


async def update(request: web.Request) -> web.Response:
    user = require_user(request, "write:lists")
    given = await params(request)
    changes = lists.ListChanges(
        title=given.get("title"), replies_policy=given.get("replies_policy"),
        exclusive=given.boolean("exclusive") if given.has("exclusive") else None)
    row = await lists.update_list(request.app[appkeys.SERVICES], user.account_id,
                                  _list_id(request), changes)
    return api_json(list_entity(row))


async def destroy(request: web.Request) -> web.Response:
    user = require_user(request, "write:lists")
    await lists.delete_list(request.app[appkeys.SERVICES], user.account_id, _list_id(request))
    return api_json({})


async def members(request: web.Request) -> web.Response:
    """The members, 40 a page by default (80 at most), or all of them with limit=0 (as
    Mastodon's web app asks)."""
    user = require_user(request, "read:lists")
    services = request.app[appkeys.SERVICES]
    everyone = request.query.get("limit") == "0"
    ids = await lists.member_ids(services, user.account_id, _list_id(request),
                                 None if everyone else page(request, default=40, maximum=80))
    entities = [account(parts) for parts in await accounts_in_order(services, ids)]
    if everyone:
        return api_json(entities)
    return paginated(request, entities, ids)


async def _account_ids(request: web.Request) -> list[int]:
    raw = (await params(request)).list("account_ids")
    if not raw:
        raise ApiError(422, "account_ids is missing")
    ids = [parse_id(value) for value in raw]
    if any(found is None for found in ids):
        raise ApiError(404, "Record not found")
    return [found for found in ids if found is not None]


async def add_members(request: web.Request) -> web.Response:
    user = require_user(request, "write:lists")
    await lists.add_members(request.app[appkeys.SERVICES], user.account_id, _list_id(request),
                            await _account_ids(request))
    return api_json({})


async def remove_members(request: web.Request) -> web.Response:
    user = require_user(request, "write:lists")
    await lists.remove_members(request.app[appkeys.SERVICES], user.account_id,
                               _list_id(request), await _account_ids(request))
    return api_json({})


async def lists_of_account(request: web.Request) -> web.Response:
    """The user's lists that hold this account."""
    user = require_user(request, "read:lists")
    found = await lists.lists_with(request.app[appkeys.SERVICES], user.account_id,
                                   parse_id_param(request.match_info["id"]))
    return api_json([list_entity(row) for row in found])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/lists", index)
    app.router.add_post("/api/v1/lists", create)
    app.router.add_get("/api/v1/lists/{id}", show)
    app.router.add_put("/api/v1/lists/{id}", update)
    app.router.add_delete("/api/v1/lists/{id}", destroy)
    app.router.add_get("/api/v1/lists/{id}/accounts", members)
    app.router.add_post("/api/v1/lists/{id}/accounts", add_members)
    app.router.add_delete("/api/v1/lists/{id}/accounts", remove_members)
    app.router.add_get("/api/v1/accounts/{id}/lists", lists_of_account)
