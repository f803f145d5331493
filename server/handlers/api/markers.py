"""Client API: read markers (Mastodon's app/controllers/api/v1/markers_controller.rb): where
the user stopped reading the home timeline and the notifications. The notifications marker
is the web app's unread badge too (server.services.social.markers)."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import ApiError, api_json, params, require_user
from server.render.to_mastodon.markers import marker
from server.services.social import markers
from server.services.social.markers import MarkerView
from storage.ids import parse_id


def _answer(found: list[MarkerView]) -> web.Response:
    return api_json({view.timeline: marker(view.last_read_id, view.updated_at, view.version)
                     for view in found})


async def index(request: web.Request) -> web.Response:
    user = require_user(request, "read:statuses")
    wanted = (await params(request)).list("timeline")
    return _answer(await markers.get_markers(request.app[appkeys.SERVICES], user.user_id,
                                             wanted))


async def create(request: web.Request) -> web.Response:
    """home[last_read_id]=... and/or notifications[last_read_id]=... (form or JSON); other
    keys are ignored, as Mastodon permits only these."""
    user = require_user(request, "write:statuses")
    given = await params(request)
    positions: dict[str, int] = {}
    for timeline in markers.TIMELINES:
        raw = given.nested(timeline).get("last_read_id")
        if raw is None:
            continue
        found = parse_id(str(raw))
        if found is None:
            # Mastodon's ValidationErrorFormatter shape (its schema requires the details).
            raise ApiError(422, f"Validation failed: {timeline}[last_read_id] is not an id",
                           details={"last_read_id": [{"error": "ERR_INVALID",
                                                      "description": "is not an id"}]})
        positions[timeline] = found
    return _answer(await markers.set_markers(request.app[appkeys.SERVICES], user.user_id,
                                             positions))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/markers", index)
    app.router.add_post("/api/v1/markers", create)
