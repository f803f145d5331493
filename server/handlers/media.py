"""`/media/{id}/{secret}/{filename}` (and `/media/{id}/{filename}` for files from before
URLs had a secret): stored renditions, immutable, with strong ETags."""

from __future__ import annotations

import logging

from aiohttp import web

from server import appkeys
from server.services.media.stores import MediaStoreUnavailable, OpenedFile
from server.services.statuses import media as media_service
from storage.ids import parse_id

log = logging.getLogger(__name__)

# A URL's content never changes (see server.services.statuses.media), so caches may keep it a year.
CACHE_CONTROL = "public, max-age=31536000, immutable"


def _matches(if_none_match: str, etag: str) -> bool:
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


async def media_file(request: web.Request) -> web.StreamResponse:
    media_id = parse_id(request.match_info["media_id"])
    filename = request.match_info["filename"]
    # No secret: a file stored before media URLs had one.
    secret = request.match_info.get("secret")
    found = None if media_id is None else await media_service.find_media_file(
        request.app[appkeys.DATABASE], media_id, secret, filename)
    if found is None:
        raise web.HTTPNotFound(text="no such media file")
    headers = {"ETag": found.etag, "Cache-Control": CACHE_CONTROL,
               "Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"}
    if _matches(request.headers.get("If-None-Match", ""), found.etag):
        return web.Response(status=304, headers=headers)
    try:
        opened = await media_service.open_media_file(request.app[appkeys.SERVICES].media,
                                                     found)
    except MediaStoreUnavailable as exc:
        raise store_unavailable(exc) from None
    if opened is None:
        log.error("media file missing from the store", extra={"media_id": media_id,
                                                               "key": found.key})
        raise web.HTTPNotFound(text="no such media file")
    return await stream_file(request, opened, found.content_type, headers)


def store_unavailable(exc: Exception) -> web.HTTPServiceUnavailable:
    log.error("media store unavailable: %s", exc)
    return web.HTTPServiceUnavailable(text="media storage is unavailable; try again soon",
                                      headers={"Retry-After": "30", "Cache-Control": "no-store"})


async def stream_file(request: web.Request, opened: OpenedFile, content_type: str,
                      headers: dict[str, str]) -> web.StreamResponse:
    """Send a stored file a chunk at a time (an object from the bucket is never held whole
    in memory), closing it whatever happens to the connection."""
    response = web.StreamResponse(headers=headers)
    response.content_type = content_type
    response.content_length = opened.size
    try:
        await response.prepare(request)
        if request.method != "HEAD":
            async for chunk in opened.chunks():
                await response.write(chunk)
    except ConnectionResetError:
        # The client went away mid-file (it had what it wanted, or gave up): nothing failed
        # here, and there is no one left to answer.
        return response
    finally:
        await opened.close()
    await response.write_eof()
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/media/{media_id}/{secret}/{filename}", media_file)
    app.router.add_get("/media/{media_id}/{filename}", media_file)
