"""Client API: conversations, the direct messages (Mastodon's
app/controllers/api/v1/conversations_controller.rb): the list, 20 a page (40 at most) paged
by each one's newest status, marking one read, and removing one from the list. What they
hold: server.services.social.conversations."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import api_json, page, paginated, parse_id_param, require_user
from server.render.to_mastodon.conversations import conversation
from server.services.reading import api_conversations
from server.services.social import conversations as conversation_service


def _conversation_id(request: web.Request) -> int:
    return parse_id_param(request.match_info["id"])


async def index(request: web.Request) -> web.Response:
    user = require_user(request, "read:statuses")
    services = request.app[appkeys.SERVICES]
    found = await api_conversations.conversations(services, user.account_id,
                                                  page(request, default=20, maximum=40))
    base_url = services.config.base_url
    return paginated(request, [conversation(parts, base_url) for parts in found.conversations],
                     found.ids)


async def read(request: web.Request) -> web.Response:
    user = require_user(request, "write:conversations")
    services = request.app[appkeys.SERVICES]
    conversation_id = _conversation_id(request)
    await conversation_service.mark_read(services, user.account_id, conversation_id)
    parts = await api_conversations.conversation(services, user.account_id, conversation_id)
    return api_json(conversation(parts, services.config.base_url))


async def destroy(request: web.Request) -> web.Response:
    user = require_user(request, "write:conversations")
    await conversation_service.remove(request.app[appkeys.SERVICES], user.account_id,
                                      _conversation_id(request))
    return api_json({})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/conversations", index)
    # Mastodon.py asks for "/api/v1/conversations/"; Rails answers it as it is, where the
    # trailing-slash middleware's redirect would be an answer the API does not document.
    app.router.add_get("/api/v1/conversations/", index)
    app.router.add_delete("/api/v1/conversations/{id}", destroy)
    app.router.add_post("/api/v1/conversations/{id}/read", read)
