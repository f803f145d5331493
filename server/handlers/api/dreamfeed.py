"""Client API: Dreamfeed's own extension (clients that do not know it never see it).

POST /api/v1/dreamfeed/generations (scope write:media) starts a generation through the same
path as the web compose page (prompt screening, daily quota, rate limit, Idempotency-Key:
server.services.generation.extension). Parameters, from the query, a form or JSON:
  prompt (required unless remixing a status with a published prompt), size ("WxH" or "auto"),
  quality (auto, low, medium, high), style, seed, n (1-4, default 1), source_media_id (remix
  an image of yours, or one in a post whose author allows remixes), strength (a remix: how far
  it may move from its source, above 0 to 1, default 0.6), remix_of (a status id:
  remix its image); the Idempotency-Key header makes a retried request return the first
  generation at no cost.
It answers 202 with a Generation; GET /api/v1/dreamfeed/generations/:id answers it again
(200). POST /api/v1/dreamfeed/statuses/:id/remix starts a generation remixing that status
(the same parameters, `prompt` defaulting to the status's published prompt): 202.

The Generation entity:
  id                  string
  state               "queued", "running", "done" or "failed"
  prompt, model, size, quality   strings; style and seed, as asked or as the model reported
  n                   images asked for
  created_at          ISO 8601; finished_at: ISO 8601 or null
  error, error_code   why it failed (null unless failed); error_code "refused" when the
                      model's moderation refused it (the quota is not given back then)
  source_media_id     the image remixed, or null; remix_of: the status it is in, or null
  media_attachments   one MediaAttachment per image, in order. Their ids exist from the
                      start: while the generation runs each has `url` and `preview_url` null
                      and GET /api/v1/media/:id answers 206 (PUT sets the alt text and
                      focus meanwhile); once done they are ordinary unposted media (200),
                      ready for POST /api/v1/statuses media_ids[]. A failed generation's
                      images answer 422 with its error.
Each attachment carries `dreamfeed.ai_generated: true` with its generator and IPTC digital
source type once made.

POST /api/v1/dreamfeed/media/:id/describe (scope write:media) asks the instance's vision model
([describe], advertised in /api/v2/instance `configuration.dreamfeed.describe`) for a draft
of the alt text of one of the caller's images, generated or uploaded, posted or not; with
`include_prompt=true` the model also reads the prompt the image was made from. It answers
200 with a Description: media_id, description (at most 1,500 characters), caption (a
suggestion, or null), model, used_prompt, daily_limit, remaining_today, resets_at. Nothing
is saved: the client shows the draft for the author to edit, then PUTs /api/v1/media/:id.
Refusals: 422 when descriptions are off or the model declined or takes no images, 404 for
another's image, 409 while the image is still being made, 429 over the daily limit, 503
when the model cannot be reached or timed out (nothing counted).
"""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    Params,
    api_json,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.descriptions import DescriptionParts, description
from server.render.to_mastodon.generations import generation
from server.services.generation import describe as describe_service
from server.services.generation import extension
from server.services.generation.extension import Ask, GenerationParts

SCOPE = "write:media"


def _entity(parts: GenerationParts, status: int) -> web.Response:
    return api_json(generation(parts.generation, parts.media,
                               source_media_id=parts.source_media_id,
                               remix_of_status_id=parts.remix_of_status_id), status=status)


def _id(form: Params, name: str) -> int | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    try:
        found = int(value)
    except ValueError:
        raise ApiError(422, f"{name} must be an id") from None
    if not 0 < found < 2**63:
        raise ApiError(422, f"{name} must be an id")
    return found


def _strength(form: Params) -> float | None:
    value = form.get("strength")
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise ApiError(422, "strength must be a number") from None


def _ask(request: web.Request, form: Params) -> Ask:
    return Ask(prompt=form.get("prompt"), size=form.get("size") or None,
               quality=form.get("quality") or None, style=form.get("style") or None,
               seed=form.integer("seed"), n=form.integer("n", 1) or 1,
               source_media_id=_id(form, "source_media_id"), strength=_strength(form),
               idempotency_key=request.headers.get("Idempotency-Key") or None)


async def create(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    form = await params(request)
    parts = await extension.start(request.app[appkeys.SERVICES], user.account_id,
                                  _ask(request, form), remix_of=_id(form, "remix_of"))
    return _entity(parts, 202)


async def show(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    parts = await extension.generation_parts(request.app[appkeys.SERVICES],
                                             parse_id_param(request.match_info["id"]),
                                             user.account_id)
    return _entity(parts, 200)


async def remix(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    form = await params(request)
    parts = await extension.start(request.app[appkeys.SERVICES], user.account_id,
                                  _ask(request, form),
                                  remix_of=parse_id_param(request.match_info["id"]))
    return _entity(parts, 202)


async def describe(request: web.Request) -> web.Response:
    user = require_user(request, SCOPE)
    form = await params(request)
    media_id = parse_id_param(request.match_info["id"])
    draft = await describe_service.draft_description(
        request.app[appkeys.SERVICES], user.account_id, media_id,
        include_prompt=form.boolean("include_prompt"))
    return api_json(description(DescriptionParts(
        media_id=media_id, description=draft.description, caption=draft.caption,
        model=draft.model, used_prompt=draft.used_prompt, daily_limit=draft.quota.limit,
        remaining_today=draft.quota.left, resets_at=draft.quota.resets_at)))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/dreamfeed/generations", create)
    app.router.add_get("/api/v1/dreamfeed/generations/{id}", show)
    app.router.add_post("/api/v1/dreamfeed/statuses/{id}/remix", remix)
    app.router.add_post("/api/v1/dreamfeed/media/{id}/describe", describe)
