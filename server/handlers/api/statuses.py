"""Client API: statuses (Mastodon's Api::V1::StatusesController and Statuses::Histories,
Sources and Contexts): post, read one or several, edit, delete, history, source, context.
Favourites, boosts, bookmarks, pins and the lists of them: handlers/api/status_actions.py.

Dreamfeed's rules on top of Mastodon's: a status needs an image (media_ids), only a reply may
be text alone; quotes, polls and scheduled statuses do not exist here and are refused with
a clear 422 rather than silently dropped."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from aiohttp import web

from server import appkeys
from server.handlers.api import status_actions
from server.handlers.api.common import (
    ApiError,
    Params,
    api_json,
    optional_user,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.async_refreshes import refresh_header
from server.render.to_mastodon.parts import StatusParts
from server.render.to_mastodon.status_edits import status_edit
from server.render.to_mastodon.statuses import status as status_entity
from server.render.to_mastodon.statuses import status_source
from server.services.accounts import preferences
from server.services.context import Services
from server.services.federation import thread_context
from server.services.reading import api_statuses
from server.services.statuses import posts, quotes

READ, WRITE = "read:statuses", "write:statuses"
POLLS = "polls are not supported here: a Dreamfeed post is an image"
SCHEDULED = "scheduled posts are not supported here"
# ISO 639 (and a region or script after it): anything else is left unset, as Mastodon's
# valid_locale_cascade falls back.
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
MAX_KEY = 255  # statuses.idempotency_key


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def render(request: web.Request, parts: StatusParts) -> dict[str, Any]:
    return status_entity(parts, request.app[appkeys.CONFIG].base_url)


def _status_id(request: web.Request) -> int:
    return parse_id_param(request.match_info["id"])


def _language(raw: str | None) -> str | None:
    if not raw:
        return None
    return raw if LANGUAGE_RE.match(raw) else None


def _media_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not value.strip().isdigit():
            raise ApiError(422, f"media_ids must be ids, not {value!r}")
        ids.append(int(value))
    return ids


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return None
    # Any string is allowed; a long one is kept by its digest (same key, same digest).
    return key if len(key) <= MAX_KEY else hashlib.sha256(key.encode()).hexdigest()


def _refuse_unsupported(given: Params) -> None:
    if given.get("scheduled_at"):
        raise ApiError(422, SCHEDULED)
    if given.has("poll") or given.nested("poll"):
        raise ApiError(422, POLLS)


async def create(request: web.Request) -> web.Response:
    user = require_user(request, WRITE)
    given = await params(request)
    _refuse_unsupported(given)
    reply_to = given.get("in_reply_to_id") or None
    if reply_to is not None and not reply_to.isdigit():
        raise ApiError(404, posts.REPLY_NOT_FOUND)
    quoted = given.get("quoted_status_id") or None
    if quoted is not None and not quoted.isdigit():
        raise ApiError(404, quotes.NOT_FOUND)
    services = _services(request)
    # What the status leaves out comes from the user's preferences, as Mastodon's
    # PostStatusService takes setting_default_privacy and setting_default_sensitive.
    chosen = await preferences.preferences(services, user.account_id) \
        if not given.get("visibility") or given.get("sensitive") in (None, "") else None
    view = await posts.create_status(services, user.username, posts.NewStatus(
        media_ids=_media_ids(given.list("media_ids")), caption=given.text("status"),
        spoiler_text=given.text("spoiler_text"),
        sensitive=given.boolean("sensitive", chosen.sensitive if chosen else False),
        visibility=given.get("visibility") or (chosen.visibility if chosen else "public"),
        language=_language(given.get("language")),
        idempotency_key=_idempotency_key(request), in_reply_to=reply_to,
        quote_of=quoted, quote_approval_policy=given.get("quote_approval_policy") or None))
    # A replayed Idempotency-Key answers the earlier status as it is now.
    parts = await (api_statuses.status(services, view.id, user.account_id) if view.replayed
                   else api_statuses.new_status(services, view.id, user.account_id))
    return api_json(render(request, parts))


async def show(request: web.Request) -> web.Response:
    viewer = optional_user(request, READ)
    parts = await api_statuses.status(_services(request), _status_id(request),
                                      viewer.account_id if viewer else None)
    return api_json(render(request, parts))


async def index(request: web.Request) -> web.Response:
    """GET /api/v1/statuses?id[]=...: those the viewer may see, at most MAX_IDS asked."""
    viewer = optional_user(request, READ)
    raw = (await params(request)).list("id")
    if len(set(raw)) > api_statuses.MAX_IDS:
        message = f"at most {api_statuses.MAX_IDS} ids at a time"
        raise ApiError(422, message, details={"id": [{"error": "ERR_TOO_LONG",
                                                      "description": message}]})
    ids = [int(value) for value in raw if value.isdigit() and 0 < int(value) < 2**63]
    found = await api_statuses.statuses(_services(request), ids,
                                        viewer.account_id if viewer else None)
    return api_json([render(request, parts) for parts in found])


def _media_attributes(given: Params) -> dict[int, str]:
    """media_attributes[] as {media id: description}: a JSON list of objects, or Rails'
    form arrays (media_attributes[][id]=..&media_attributes[][description]=.. or
    media_attributes[0][id]=..)."""
    found: list[dict[str, Any]] = []
    raw = given.raw("media_attributes")
    if isinstance(raw, list):
        found = [item for item in raw if isinstance(item, dict)]
    elif isinstance(raw, dict):
        found = [item for item in raw.values() if isinstance(item, dict)]
    else:
        ids = given.list("media_attributes[][id]")
        descriptions = given.list("media_attributes[][description]")
        found = [{"id": media_id, "description": description}
                 for media_id, description in zip(ids, descriptions, strict=False)]
        indexed: dict[str, dict[str, Any]] = {}
        for key, value in given.nested("media_attributes").items():
            index, _, field = key.partition("][")
            if index and field:
                indexed.setdefault(index, {})[field] = value
        found += list(indexed.values())
    descriptions_by_id: dict[int, str] = {}
    for item in found:
        media_id, description = str(item.get("id", "")), item.get("description")
        if not media_id.isdigit():
            raise ApiError(422, "media_attributes need the id of each image")
        if description is not None:
            descriptions_by_id[int(media_id)] = str(description)
    return descriptions_by_id


async def update(request: web.Request) -> web.Response:
    """PUT: caption (status), spoiler_text, sensitive, language and alt texts
    (media_attributes[]); the images themselves stay (media_ids must name them)."""
    user = require_user(request, WRITE)
    given = await params(request)
    _refuse_unsupported(given)
    status_id = _status_id(request)
    services = _services(request)
    await api_statuses.own_status(services, status_id, user.account_id)
    await posts.edit_status(
        services, user.username, status_id, caption=given.get("status"),
        spoiler_text=given.get("spoiler_text"),
        sensitive=given.boolean("sensitive") if given.has("sensitive") else None,
        language=(_language(given.get("language")) or "") if given.has("language") else None,
        descriptions=_media_attributes(given) or None,
        media_ids=_media_ids(given.list("media_ids")) if given.has("media_ids") else None)
    parts = await api_statuses.status(services, status_id, user.account_id)
    return api_json(render(request, parts))


async def delete(request: web.Request) -> web.Response:
    """Answers the deleted status with `text` (what was typed), for delete-and-redraft."""
    user = require_user(request, WRITE)
    services = _services(request)
    parts = await api_statuses.own_status(services, _status_id(request), user.account_id)
    await posts.delete_status(services, user.username, parts.status.id)
    entity = render(request, parts)
    entity["text"] = api_statuses.source_of(parts).text
    return api_json(entity)


async def history(request: web.Request) -> web.Response:
    """The versions of a status; earlier versions are not stored, so the current one (as
    Mastodon answers for a status never edited)."""
    viewer = optional_user(request, READ)
    parts = await api_statuses.status(_services(request), _status_id(request),
                                      viewer.account_id if viewer else None)
    if parts.reblog is not None:
        parts = parts.reblog
    return api_json([status_edit(parts)])


async def source(request: web.Request) -> web.Response:
    user = require_user(request, READ)
    found = await api_statuses.source(_services(request), _status_id(request),
                                      user.account_id)
    return api_json(status_source(found.id, found.text, found.spoiler_text))


async def context(request: web.Request) -> web.Response:
    viewer = optional_user(request, READ)
    found = await api_statuses.context(_services(request), _status_id(request),
                                       viewer.username if viewer else None,
                                       viewer.account_id if viewer else None)
    answer = api_json({"ancestors": [render(request, p) for p in found.ancestors],
                       "descendants": [render(request, p) for p in found.descendants]})
    # A remote status's thread is fetched for the next look, as Mastodon 4.4 does; the
    # header names the refresh a client may poll.
    if viewer is not None and await thread_context.request(_services(request),
                                                           _status_id(request)):
        answer.headers["Mastodon-Async-Refresh"] = refresh_header(
            thread_context.refresh_id(_status_id(request)))
    return answer


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/statuses", create)
    app.router.add_get("/api/v1/statuses", index)
    app.router.add_get("/api/v1/statuses/{id}", show)
    app.router.add_put("/api/v1/statuses/{id}", update)
    app.router.add_delete("/api/v1/statuses/{id}", delete)
    app.router.add_get("/api/v1/statuses/{id}/history", history)
    app.router.add_get("/api/v1/statuses/{id}/source", source)
    app.router.add_get("/api/v1/statuses/{id}/context", context)
    status_actions.setup_routes(app)
