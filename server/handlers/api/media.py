"""Client API: media (Mastodon's api/v1/media_controller.rb and api/v2/media_controller.rb)
over server.services.statuses.uploads.

- POST /api/v2/media: multipart `file` (+ description, focus "x,y"): 202 with the
  MediaAttachment, `url` and `preview_url` null, while a job processes it (masto.js and
  Mastodon.py poll GET /api/v1/media/:id until `url` is set).
- POST /api/v1/media: the same, processed before the answer (200).
- GET /api/v1/media/:id: 206 while processing, 200 when done, 422 with the reason when
  processing failed; 404 for another account's media and for media already in a post.
- PUT /api/v1/media/:id: description and focus, also while processing (the attachment takes
  them over): 200 with the entity (url null while processing), 422 when processing failed.
  Mastodon's controller answers 206 here while processing, but its OpenAPI schema and docs
  document 200 only, and clients poll with GET: we answer as documented.
- DELETE /api/v1/media/:id (Mastodon 4.4): media in no post; 422 for media in one.
The ids of a client API generation's images (server.handlers.api.dreamfeed) work here too.
Every route needs write:media, as Mastodon's controller asks for all of them.

The upload is read from the multipart stream, up to `[media] max_size`, not through the app's
`[server] max_body_size` (a form limit far below an image's).
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web
from multidict import MultiDict

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    Params,
    api_json,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.media import attachment
from server.services.statuses import uploads
from server.services.statuses.uploads import MediaState

SCOPE = "write:media"
# Text fields beside the file (description, focus): far above the 1,500 characters allowed.
MAX_FIELD = 65_536
CHUNK = 262_144


def _answer(state: MediaState, processing_status: int) -> web.Response:
    if state.state == "failed":
        raise ApiError(422, state.error or "Error processing the uploaded media")
    return api_json(attachment(state.parts),
                    status=200 if state.ready else processing_status)


async def _read_part(part: BodyPartReader, limit: int, too_large: str) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > limit:
            raise ApiError(422, too_large)
    return bytes(data)


async def _upload_form(request: web.Request, max_size: int) -> tuple[Params, bytes | None]:
    """The form's fields and the file's bytes (None when no file came), streamed: the file
    may be up to `max_size`, each other field up to MAX_FIELD."""
    if request.content_type != "multipart/form-data":
        return await params(request), None
    values: MultiDict[Any] = MultiDict(request.query)
    data: bytes | None = None
    body = await request.multipart()
    while (part := await body.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(422, "nested multipart bodies are not accepted")
        if part.name == "file":
            data = await _read_part(part, max_size, f"the file is larger than the limit of "
                                                    f"{max_size / 1_048_576:.1f} MB")
        elif part.filename is not None:
            await part.release()  # a custom thumbnail: images make their own
        elif part.name:
            raw = await _read_part(part, MAX_FIELD, f"{part.name} is too long")
            values.add(part.name, raw.decode(part.get_charset("utf-8"), errors="replace"))
    return Params(values), data


async def _upload(request: web.Request, *, synchronous: bool) -> MediaState:
    user = require_user(request, SCOPE)
    services = request.app[appkeys.SERVICES]
    uploads.check_allowed(services)
    form, data = await _upload_form(request, services.config.media.max_size)
    if not data:
        raise ApiError(422, "the file is missing: send the image as the multipart field 'file'")
    return await uploads.upload(
        services, user.account_id, data, description=form.get("description"),
        focus=uploads.parse_focus(form.get("focus")), synchronous=synchronous)


async def create_v2(request: web.Request) -> web.Response:
    return _answer(await _upload(request, synchronous=False), 202)


async def create_v1(request: web.Request) -> web.Response:
    return _answer(await _upload(request, synchronous=True), 202)


async def show(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    state = await uploads.media_state(request.app[appkeys.SERVICES],
                                      parse_id_param(request.match_info["id"]),
                                      user.account_id)
    return _answer(state, 206)


async def update(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    form = await params(request)
    state = await uploads.update_media(
        request.app[appkeys.SERVICES], parse_id_param(request.match_info["id"]),
        user.account_id, description=form.get("description"),
        focus=uploads.parse_focus(form.get("focus")))
    return _answer(state, 200)


async def destroy(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    await uploads.delete_media(request.app[appkeys.SERVICES],
                               parse_id_param(request.match_info["id"]), user.account_id)
    return api_json({})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/v2/media", create_v2)
    app.router.add_post("/api/v1/media", create_v1)
    app.router.add_get("/api/v1/media/{id}", show)
    app.router.add_put("/api/v1/media/{id}", update)
    app.router.add_delete("/api/v1/media/{id}", destroy)
