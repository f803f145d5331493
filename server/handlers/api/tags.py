"""Client API: hashtags and following them (Mastodon's app/controllers/api/v1/tags_controller.rb
and followed_tags_controller.rb). Public posts carrying a followed tag show in the home
timeline; the rules are server.services.social.tag_follows'."""

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
    require_user,
)
from server.render.to_mastodon.tags import tag
from server.services.errors import InvalidInput
from server.services.social import tag_follows
from server.services.social.tag_follows import TagState

# Mastodon's followed_tags: 100 by default, 200 at most.
FOLLOWED_DEFAULT = 100
FOLLOWED_MAX = 200


def _entity(request: web.Request, state: TagState) -> dict[str, Any]:
    return {**tag(state.tag_id, state.name, request.app[appkeys.CONFIG].base_url),
            "following": state.following}


async def show(request: web.Request) -> web.Response:
    user = optional_user(request)
    state = await tag_follows.tag_state(request.app[appkeys.SERVICES],
                                        user.account_id if user else None,
                                        request.match_info["name"])
    return api_json(_entity(request, state))


async def follow(request: web.Request) -> web.Response:
    user = require_user(request, "write:follows")
    try:
        state = await tag_follows.follow_tag(request.app[appkeys.SERVICES], user.account_id,
                                             request.match_info["name"])
    except InvalidInput:
        raise ApiError(404, "Record not found") from None
    return api_json(_entity(request, state))


async def unfollow(request: web.Request) -> web.Response:
    user = require_user(request, "write:follows")
    services = request.app[appkeys.SERVICES]
    try:
        state = await tag_follows.unfollow_tag(services, user.account_id,
                                               request.match_info["name"])
    except InvalidInput:
        state = None
    if state is None:
        raise ApiError(404, "Record not found")
    return api_json(_entity(request, state))


async def followed(request: web.Request) -> web.Response:
    user = require_user(request, "read:follows")
    rows = await tag_follows.followed(request.app[appkeys.SERVICES], user.account_id,
                                      page(request, default=FOLLOWED_DEFAULT,
                                           maximum=FOLLOWED_MAX))
    base_url = request.app[appkeys.CONFIG].base_url
    return paginated(request, [{**tag(row.tag_id, row.name, base_url), "following": True}
                               for row in rows], [row.follow_id for row in rows])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/followed_tags", followed)
    app.router.add_get("/api/v1/tags/{name}", show)
    app.router.add_post("/api/v1/tags/{name}/follow", follow)
    app.router.add_post("/api/v1/tags/{name}/unfollow", unfollow)
