"""Client API: streaming (Mastodon's streaming/index.js and docs methods/streaming.md).

- `GET /api/v1/streaming` upgraded to a WebSocket: one connection, many streams, chosen by
  `{"type": "subscribe", "stream": "user"}` / `{"type": "unsubscribe", ...}` messages (with
  `tag` or `list`), or at connect by the `stream` query parameter. Each event goes out as
  `{"stream": ["user"], "event": "update", "payload": "<JSON string>"}`; a refused subscription
  as `{"error": "..."}`. Pings keep it alive (the client's pongs answer them).
- `GET /api/v1/streaming/<stream>` (and `/api/v1/streaming?stream=...` without an upgrade):
  server-sent events, `event: update\\ndata: <JSON>\\n\\n`, opened by `:)` and kept alive
  through proxies by `:thump` comment lines, as Mastodon writes them.
- `GET /api/v1/streaming/health`: "OK".

Every stream needs a user token (Mastodon 4's accountFromRequest refuses a request without
one, public streams included): from the Authorization header, the `access_token` query, or
the `Sec-WebSocket-Protocol` header, which browsers can set and which is then echoed back as
the chosen protocol (a browser drops a connection whose protocol is not answered). A missing,
unknown or revoked token is 401 {"error": ...}; a token without read or read:statuses
(read:notifications for user:notification) is 401 as well, as Mastodon's checkScopes answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from server import appkeys
from server.handlers.api.common import ApiError, grant
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound
from server.services.oauth.tokens import Grant, authenticate
from server.services.streaming import dispatch
from server.services.streaming.dispatch import Message
from server.services.streaming.routing import (
    Stream,
    Viewer,
    check_stream,
    parse_stream,
    required_scopes,
)

MISSING_TOKEN = "Missing access token"  # noqa: S105 (messages, not secrets)
INVALID_TOKEN = "Invalid access token"  # noqa: S105
NO_SCOPE = "Access token does not have the required scopes"
PROTOCOL_HEADER = "Sec-WebSocket-Protocol"

# SSE paths after /api/v1/streaming/ -> Mastodon's stream names.
SSE_PATHS = {
    "user": "user", "user/notification": "user:notification", "public": "public",
    "public/local": "public:local", "public/remote": "public:remote",
    "public/media": "public:media", "public/local/media": "public:local:media",
    "public/remote/media": "public:remote:media", "hashtag": "hashtag",
    "hashtag/local": "hashtag:local", "list": "list", "direct": "direct",
}


def _protocol_token(request: web.Request) -> str:
    return request.headers.get(PROTOCOL_HEADER, "").split(",")[0].strip()


async def _viewer(request: web.Request) -> tuple[Grant, Viewer]:
    """The token's grant and viewer (the middleware read Authorization and access_token;
    the WebSocket protocol header is ours to read)."""
    found = grant(request)
    if found is None:
        token = _protocol_token(request)
        if not token and not request.headers.get("Authorization") \
                and not request.query.get("access_token"):
            raise ApiError(401, MISSING_TOKEN)
        found = await authenticate(request.app[appkeys.SERVICES], token) if token else None
    if found is None or found.account_id is None or found.pending:
        raise ApiError(401, INVALID_TOKEN)
    return found, Viewer(found.account_id, found.allows("read:notifications"))


async def _open(services: Services, token: Grant, viewer: Viewer, name: str,
                query: dict[str, Any]) -> Stream:
    """The stream asked for, checked: its scopes and, for a list, that it is the viewer's."""
    stream = parse_stream(name, tag=_first(query.get("tag")), list_id=_first(query.get("list")))
    if not any(token.allows(scope) for scope in required_scopes(stream)):
        raise ApiError(401, NO_SCOPE)
    await check_stream(services, viewer, stream)
    return stream


def _first(value: Any) -> str | None:
    """A parameter that may come as a list (Mastodon's firstParam)."""
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


async def health(_request: web.Request) -> web.Response:
    return web.Response(text="OK", content_type="text/plain")


async def streaming_root(request: web.Request) -> web.StreamResponse:
    """The WebSocket endpoint; without an upgrade, server-sent events of ?stream=."""
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await _websocket(request)
    return await _sse(request, request.query.get("stream", ""))


async def sse_stream(request: web.Request) -> web.StreamResponse:
    name = SSE_PATHS.get(request.match_info["path"].strip("/"))
    if name is None:
        raise ApiError(404, "Not found")
    return await _sse(request, name)


async def _sse(request: web.Request, name: str) -> web.StreamResponse:
    services = request.app[appkeys.SERVICES]
    token, viewer = await _viewer(request)
    try:
        stream = await _open(services, token, viewer, name, dict(request.query))
    except (InvalidInput, NotFound):
        raise ApiError(404, "Not found") from None
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "Access-Control-Allow-Origin": "*"})
    # Registered before the headers go: nothing committed after the answer starts is lost.
    connection = request.app[appkeys.STREAMING].connect(viewer, heartbeat=True)
    connection.add(stream)
    try:
        await response.prepare(request)
        await response.write(b":)\n")
        while True:
            for item in await connection.next():
                # The heartbeat keeps the connection alive through proxies and finds a
                # client that went.
                await response.write(item.sse_bytes if isinstance(item, Message)
                                     else b":thump\n")
    except ConnectionResetError:
        pass  # the client went
    finally:
        connection.close()
    return response


class _Socket:
    """One WebSocket's subscriptions, and the writer that sends what the dispatcher queued
    for it: started when something is waiting, gone when it is sent (an idle socket holds
    no task but the one reading it)."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, token: Grant,
                 viewer: Viewer) -> None:
        self.services = request.app[appkeys.SERVICES]
        self.ws = ws
        self.token = token
        self.connection = request.app[appkeys.STREAMING].connect(viewer, wake=self._wake)
        self._writer: asyncio.Task[None] | None = None

    async def subscribe(self, name: str, query: dict[str, Any]) -> None:
        try:
            stream = await _open(self.services, self.token, self.connection.viewer, name,
                                 query)
        except ApiError as exc:
            await self.ws.send_json({"error": exc.message})
            return
        except (InvalidInput, NotFound) as exc:
            await self.ws.send_json({"error": str(exc)})
            return
        self.connection.add(stream)

    async def unsubscribe(self, name: str, query: dict[str, Any]) -> None:
        try:
            stream = parse_stream(name, tag=_first(query.get("tag")),
                                  list_id=_first(query.get("list")))
        except InvalidInput as exc:
            await self.ws.send_json({"error": str(exc)})
            return
        self.connection.remove(stream)

    def _wake(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        with contextlib.suppress(ConnectionResetError):
            while items := self.connection.take():
                for item in items:
                    if isinstance(item, Message) and not self.ws.closed:
                        await self.ws.send_str(item.websocket_text)

    async def close(self) -> None:
        self.connection.close()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer


async def _websocket(request: web.Request) -> web.WebSocketResponse:
    token, viewer = await _viewer(request)
    offered = _protocol_token(request)
    ws = web.WebSocketResponse(heartbeat=dispatch.HEARTBEAT_SECONDS * 2,
                               protocols=(offered,) if offered else ())
    await ws.prepare(request)
    socket = _Socket(request, ws, token, viewer)
    try:
        if request.query.get("stream"):
            await socket.subscribe(request.query["stream"], dict(request.query))
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                asked = json.loads(message.data)
            except ValueError:
                continue  # Mastodon ignores what it cannot parse
            if not isinstance(asked, dict):
                continue
            name = _first(asked.get("stream")) or ""
            if asked.get("type") == "subscribe":
                await socket.subscribe(name, asked)
            elif asked.get("type") == "unsubscribe":
                await socket.unsubscribe(name, asked)
    finally:
        await socket.close()
    return ws


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/streaming/health", health)
    app.router.add_get("/api/v1/streaming", streaming_root)
    app.router.add_get("/api/v1/streaming/{path:.+}", sse_stream)
