"""The generator service: an aiohttp app that speaks the OpenAI Images API.

    POST /v1/images/generations   JSON -> {"created", "data": [{"b64_json", "revised_prompt"}],
                                           "output_format", "size", "quality", "background"}
    POST /v1/images/edits         multipart: image or image[] (repeated), prompt, ...
    GET  /v1/models, /v1/models/{id}
    GET  /health                  (no token needed)

Every /v1 request needs `Authorization: Bearer <token>`. Extensions: a `seed` and a `style`
request parameter; each returned image carries its `seed` and `style`, and the response a
`dreamfeed` object naming the engine and the IPTC digital source type of what it makes.
Rendering runs in worker threads; the event loop only parses and answers.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.typedefs import Handler
from PIL import Image

from generator.engines.base import Cancelled, Engine, RenderRequest, UnknownStyle, Unsupported
from generator.errors import ApiError, error_middleware, invalid
from generator.images import MAX_SOURCE_BYTES, decode_source, encode, size_like
from generator.params import DEFAULT_SIZE, EDIT_FIELDS, ImageParams, parse_params

MAX_SOURCES = 16
MAX_FIELD_BYTES = 256 * 1024


@dataclass
class _Load:
    """Images being rendered now; past the limit new requests are told to come back (429)."""

    images: int = 0


ENGINE = web.AppKey("engine", Engine)
TOKEN = web.AppKey("token", str)
MAX_PENDING = web.AppKey("max_pending", int)
LOAD = web.AppKey("load", _Load)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)


def create_generator_app(token: str, engine: Engine, *, max_pending_images: int = 16,
                         threads: int = 2) -> web.Application:
    """The service. `token` is the bearer token clients must present (required, non-empty)."""
    if not token:
        raise ValueError("the generator needs a non-empty token")
    app = web.Application(middlewares=[error_middleware, _auth_middleware])
    app[TOKEN] = token
    app[ENGINE] = engine
    app[MAX_PENDING] = max_pending_images
    app[LOAD] = _Load()

    async def executor_ctx(app: web.Application) -> AsyncIterator[None]:
        # An engine that batches needs its batch's requests waiting on threads together.
        executor = ThreadPoolExecutor(max_workers=max(threads, engine.concurrency + 1),
                                      thread_name_prefix="render")
        app[EXECUTOR] = executor
        yield
        executor.shutdown(wait=True, cancel_futures=True)

    app.cleanup_ctx.append(executor_ctx)
    app.router.add_get("/health", health)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", get_model)
    app.router.add_post("/v1/images/generations", generations)
    app.router.add_post("/v1/images/edits", edits)
    return app


@web.middleware
async def _auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path == "/health":
        return await handler(request)
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiError(401, "You didn't provide an API key. You need to provide your API key "
                       "in an Authorization header using Bearer auth (i.e. Authorization: "
                       "Bearer YOUR_KEY).")
    if not hmac.compare_digest(presented.strip().encode(), request.app[TOKEN].encode()):
        raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")
    return await handler(request)


async def health(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({"status": "ok", "engine": engine.name,
                              "version": engine.version, "styles": list(engine.styles)})


def _model(engine: Engine) -> dict[str, Any]:
    return {"id": engine.name, "object": "model", "created": 0, "owned_by": "dreamfeed"}


async def list_models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [_model(request.app[ENGINE])]})


async def get_model(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    if request.match_info["model"] != engine.name:
        raise ApiError(404, f"The model '{request.match_info['model']}' does not exist.",
                       param="model", code="model_not_found")
    return web.json_response(_model(engine))


async def generations(request: web.Request) -> web.Response:
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: "[[[[..." nesting
        raise ApiError(400, "We could not parse the JSON body of your request. (HINT: This "
                       "likely means you aren't using your HTTP library correctly.)") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    params = parse_params(body, styles=request.app[ENGINE].styles)
    return await _render(request, params, params.size or DEFAULT_SIZE, ())


async def edits(request: web.Request) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "Expected a multipart/form-data request with 'image' and 'prompt'.")
    fields: dict[str, str] = {}
    uploads: list[bytes] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise ApiError(400, "Nested multipart bodies are not supported.")
        name = part.name or ""
        if name in ("image", "image[]"):
            if len(uploads) >= MAX_SOURCES:
                raise invalid(f"At most {MAX_SOURCES} images may be given.", "image")
            uploads.append(await _read_part(part, MAX_SOURCE_BYTES, "image"))
        elif name in ("mask", "markup"):
            raise invalid(f"'{name}' is not supported by this generator: it remixes whole "
                          "images.", name, "unsupported_parameter")
        else:
            fields[name] = (await _read_part(part, MAX_FIELD_BYTES, name)).decode(
                "utf-8", "replace")
    if not uploads:
        raise invalid("Missing required parameter: 'image'.", "image",
                      "missing_required_parameter")
    params = parse_params(fields, styles=request.app[ENGINE].styles, allowed=EDIT_FIELDS)
    loop = asyncio.get_running_loop()
    sources = tuple([await loop.run_in_executor(request.app[EXECUTOR], decode_source, data)
                     for data in uploads])
    return await _render(request, params, params.size or size_like(sources[0]), sources)


async def _read_part(part: BodyPartReader, limit: int, param: str) -> bytes:
    chunks, total = [], 0
    while chunk := await part.read_chunk(65536):
        total += len(chunk)
        if total > limit:
            raise invalid(f"'{param}' is larger than {limit // (1024 * 1024) or 1} MB.", param,
                          "file_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def _render(request: web.Request, params: ImageParams, size: tuple[int, int],
                  sources: tuple[Image.Image, ...]) -> web.Response:
    app = request.app
    load, engine = app[LOAD], app[ENGINE]
    if load.images and load.images + params.n > app[MAX_PENDING]:
        raise ApiError(429, f"The generator is busy with {load.images} images; retry shortly.",
                       type="requests", code="rate_limit_exceeded",
                       headers={"Retry-After": "1"})
    first_seed = params.seed if params.seed is not None else secrets.randbelow(2 ** 31)
    width, height = size
    # Set when the answer is no longer wanted (the client went away, or another image of the
    # request failed): an engine with a queue drops the work instead of finishing it.
    cancelled = threading.Event()
    jobs = [RenderRequest(prompt=params.prompt, width=width, height=height,
                          seed=(first_seed + i) % 2 ** 32, style=params.style,
                          quality=params.quality, sources=sources, strength=params.strength,
                          cancelled=cancelled) for i in range(params.n)]
    loop = asyncio.get_running_loop()
    load.images += params.n
    try:
        results = await asyncio.gather(*(
            loop.run_in_executor(app[EXECUTOR], _render_one, engine, job, params)
            for job in jobs))
    except UnknownStyle as exc:
        raise invalid(str(exc), "style") from None
    except Unsupported as exc:
        raise invalid(str(exc), "image" if sources else None, "unsupported_value") from None
    except Cancelled:
        raise ApiError(503, "The image request was cancelled.", type="server_error") from None
    finally:
        cancelled.set()
        load.images -= params.n
    return web.json_response({
        "created": int(time.time()),
        # The model that drew them, whatever `model` the request named (this engine draws
        # them all): what a client publishes as the image's model.
        "model": engine.name,
        "data": results,
        "background": "opaque",
        "output_format": params.output_format,
        "quality": params.quality,
        "size": f"{width}x{height}",
        "dreamfeed": {"engine": engine.name, "engine_version": engine.version,
                      "digital_source_type": engine.digital_source_type},
    })


def _render_one(engine: Engine, job: RenderRequest, params: ImageParams) -> dict[str, Any]:
    """One image, rendered and encoded (in a worker thread)."""
    rendered = engine.render(job)
    data = encode(rendered.image, params.output_format, params.compression)
    return {"b64_json": base64.b64encode(data).decode("ascii"),
            "revised_prompt": rendered.revised_prompt, "seed": job.seed,
            "style": rendered.style}
