"""POST /inbox (shared) and /users/{username}/inbox (personal)."""

from __future__ import annotations

import logging

from aiohttp import web

from server import appkeys, metrics
from server.middlewares import CLIENT_IP
from server.services.accounts import users as account_service
from server.services.federation.inbound.inbox import InboxRequest, receive

log = logging.getLogger(__name__)


async def _read_body(request: web.Request) -> bytes:
    limit = request.app[appkeys.CONFIG].server.max_body_size
    if request.content_length is not None and request.content_length > limit:
        metrics.count_inbox(metrics.InboxReasons.TOO_LARGE)
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    # aiohttp enforces client_max_size while reading (chunked bodies included) with a 413.
    return await request.read()


async def _handle(request: web.Request, inbox_account_id: int | None) -> web.Response:
    body = await _read_body(request)
    answer = await receive(request.app[appkeys.SERVICES], request.app[appkeys.INBOX_WRITER],
                           InboxRequest(method=request.method, path_qs=request.raw_path,
                                        headers=request.headers, body=body,
                                        inbox_account_id=inbox_account_id,
                                        client_ip=request[CLIENT_IP]))
    metrics.count_inbox(answer.reason)
    if answer.status >= 400:
        log.info("inbox refused: %s", answer.message,
                 extra={"status": answer.status, "path": request.path})
    response = web.json_response({"status": answer.message}, status=answer.status)
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


async def shared_inbox(request: web.Request) -> web.Response:
    return await _handle(request, None)


async def user_inbox(request: web.Request) -> web.Response:
    username = request.match_info["username"]
    owner = await account_service.inbox_owner(request.app[appkeys.SERVICES], username)
    if owner is None or owner.deleted:
        metrics.count_inbox(metrics.InboxReasons.NO_SUCH_INBOX)
    if owner is None:
        raise web.HTTPNotFound(text=f"no account named {username!r} here")
    if owner.deleted:
        raise web.HTTPGone(text="this account was deleted")
    return await _handle(request, owner.account_id)


async def instance_inbox(request: web.Request) -> web.Response:
    return await _handle(request, request.app[appkeys.INSTANCE_ACTOR_ID])


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/inbox", shared_inbox)
    app.router.add_post("/users/{username}/inbox", user_inbox)
    app.router.add_post("/actor/inbox", instance_inbox)
