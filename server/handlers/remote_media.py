"""Remote media served from this server: `/media/remote/{id}/{secret}/{file}` (a remote
post's image: image.jpg, thumb.jpg; `/media/remote/{id}/{file}` for rows cached before URLs
had a secret, and neither form serves the other) and `/media/avatars/{account_id}/{file}`
(avatar.jpg, header.jpg).

Cached copies are answered with strong ETags, `private` for images of posts that are not
public. A missing or failed copy is passed through from the remote server (never decoded
here) while a job caches it, else 404 (refused for good) or 503 with Retry-After (try again
soon). With `[media] cache_remote = false` the remote file is proxied. Visitors are never
redirected to the remote host.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from server import appkeys
from server.handlers.media import _matches, store_unavailable, stream_file
from server.services.federation.remote_media import (
    NotServable,
    RemoteMediaServer,
    ServedFile,
)
from server.services.media.stores import MediaStoreUnavailable
from storage.ids import parse_id

RETRY_AFTER = "60"


class RemoteMediaHandlers:
    """Holds the one RemoteMediaServer of the app (made on first request, once the database
    and HTTP client exist)."""

    def __init__(self) -> None:
        self._server: RemoteMediaServer | None = None

    def server(self, app: web.Application) -> RemoteMediaServer:
        if self._server is None:
            self._server = RemoteMediaServer(app[appkeys.SERVICES])
        return self._server

    async def attachment(self, request: web.Request) -> web.StreamResponse:
        server = self.server(request.app)
        secret = request.match_info.get("secret")
        return await _answer(request,
                             lambda media_id, name: server.attachment(media_id, secret, name))

    async def account_image(self, request: web.Request) -> web.StreamResponse:
        server = self.server(request.app)
        return await _answer(request,
                             lambda account_id, name: server.account_image(account_id, name))


async def _answer(request: web.Request,
                  find: Callable[[int, str], Awaitable[ServedFile]]) -> web.StreamResponse:
    row_id = parse_id(request.match_info["row_id"])
    if row_id is None:
        raise web.HTTPNotFound(text="no such media file")
    try:
        found = await find(row_id, request.match_info["filename"])
    except MediaStoreUnavailable as exc:
        raise store_unavailable(exc) from None
    except NotServable as exc:
        headers = {"Cache-Control": "no-store"}
        if exc.status != 404:
            headers["Retry-After"] = RETRY_AFTER
        return web.Response(status=exc.status, text=exc.message, headers=headers)
    headers = {"ETag": found.etag, "Cache-Control": found.cache_control,
               "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
    if _matches(request.headers.get("If-None-Match", ""), found.etag):
        if not isinstance(found.data, bytes):
            await found.data.close()
        return web.Response(status=304, headers=headers)
    if isinstance(found.data, bytes):
        return web.Response(body=found.data, content_type=found.content_type, headers=headers)
    return await stream_file(request, found.data, found.content_type, headers)


def setup_routes(app: web.Application) -> None:
    handlers = RemoteMediaHandlers()
    app.router.add_get("/media/remote/{row_id}/{secret}/{filename}", handlers.attachment)
    app.router.add_get("/media/remote/{row_id}/{filename}", handlers.attachment)
    app.router.add_get("/media/avatars/{row_id}/{filename}", handlers.account_image)
