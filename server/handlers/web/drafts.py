"""Drafts: a user's generated images that are in no post yet. The compose page shows the
newest as a tray (server/handlers/web/compose.py); this module serves the Drafts page with
them all, a page at a time, and Discard, a form POST answered by a redirect back (or JSON
for compose.js, which then removes the tile in place)."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import done, refused
from server.handlers.web.compose import Carry
from server.i18n import N_
from server.services.errors import NotFound, ServiceError
from server.services.generation import drafts as draft_service
from server.services.reading import drafts as drafts_reading
from storage.ids import parse_id


async def drafts_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    before = parse_id(request.query.get("before", ""))
    found = await drafts_reading.drafts(request.app[appkeys.SERVICES], user.account_id,
                                        limit=drafts_reading.PAGE_SIZE, before=before)
    page_url = f"/compose/drafts?before={before}" if before else "/compose/drafts"
    return render(request, "drafts.html", {"drafts": found, "before": before, "carry": Carry(),
                                           "page_url": page_url})


async def discard(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    media_id = parse_id(request.match_info["media_id"])
    try:
        if media_id is None:
            raise NotFound(N_("there is no such draft of yours"))
        await draft_service.discard_draft(request.app[appkeys.SERVICES], user.account_id,
                                          media_id)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default="/compose/drafts", media_id=str(media_id))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/compose/drafts", drafts_page, name="compose_drafts")
    app.router.add_post("/compose/drafts/{media_id}/discard", discard,
                        name="compose_draft_discard")
