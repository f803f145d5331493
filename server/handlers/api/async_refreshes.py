"""Client API: a background refresh's state (Mastodon 4.4's
Api::V1Alpha::AsyncRefreshesController): GET /api/v1_alpha/async_refreshes/:id, the id a
Mastodon-Async-Refresh header named (here: the fetch of a remote status's thread that
GET /api/v1/statuses/:id/context started, server.services.federation.thread_context)."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import api_json, require_user
from server.render.to_mastodon.async_refreshes import async_refresh
from server.services.federation import thread_context


async def show(request: web.Request) -> web.Response:
    user = require_user(request, "read")
    refresh = request.match_info["id"]
    state = await thread_context.refresh_state(request.app[appkeys.SERVICES], refresh,
                                               user.account_id)
    return api_json(async_refresh(refresh, state))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1_alpha/async_refreshes/{id}", show)
