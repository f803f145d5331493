"""A post at its id: ActivityPub JSON for servers (followers-only ones only to signed fetches
from followers, none to an account its author blocks: server.handlers.signed_get); browsers
are sent to its page (/@user/ID, server.handlers.web.posts, which also answers ActivityPub
JSON there); deleted posts answer 410 with a Tombstone. A boost's `/activity` answers its
Announce."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from server import appkeys
from server.handlers.responses import activity_response, wants_activity
from server.handlers.signed_get import signed_viewer
from server.services.errors import Gone, NotFound
from server.services.statuses import boosts, notes, visibility


async def _served(request: web.Request) -> visibility.ServedStatus:
    username = request.match_info["username"]
    try:
        status_id = int(request.match_info["status_id"])
        return await visibility.status_for_viewer(request.app[appkeys.SERVICES], username,
                                                  status_id, await signed_viewer(request))
    except (ValueError, NotFound):
        raise web.HTTPNotFound(text="no such post") from None
    except Gone as exc:  # a deleted account's posts
        if wants_activity(request):
            uri = request.app[appkeys.URLS].status(username, status_id)
            raise web.HTTPGone(text=json.dumps(builders.tombstone(uri)),
                               content_type=ACTIVITY_JSON, headers={"Vary": "Accept"}) from None
        raise web.HTTPGone(text=str(exc)) from None


async def status_object(request: web.Request) -> web.StreamResponse:
    served = await _served(request)
    if served.gone:
        if wants_activity(request):
            return activity_response(builders.tombstone(served.status.uri), status=410)
        raise web.HTTPGone(text="this post was deleted")
    if not wants_activity(request):
        raise web.HTTPFound(served.status.url or served.status.uri)
    return activity_response(await notes.render_note(request.app[appkeys.SERVICES],
                                                     served.status))


async def status_activity(request: web.Request) -> web.StreamResponse:
    """A post's Create, or a boost's Announce (a boost's id is its status URL + /activity)."""
    announce = await _boost_announce(request)
    if announce is not None:
        return activity_response(announce)
    served = await _served(request)
    if served.gone:
        raise web.HTTPGone(text="this post was deleted")
    return activity_response(await notes.render_create(request.app[appkeys.SERVICES],
                                                       served.status))


async def _boost_announce(request: web.Request) -> dict[str, Any] | None:
    try:
        return await boosts.announce_for_viewer(
            request.app[appkeys.SERVICES], request.match_info["username"],
            int(request.match_info["status_id"]), await signed_viewer(request))
    except (ValueError, NotFound):
        raise web.HTTPNotFound(text="no such post") from None
    except Gone:
        raise web.HTTPGone(text="this boost was undone") from None


async def status_collection(request: web.Request) -> web.StreamResponse:
    """replies, likes and shares: the counts (their items are not listed)."""
    served = await _served(request)
    if served.gone:
        raise web.HTTPGone()
    kind = request.match_info["kind"]
    total = {"replies": served.status.replies_count, "likes": served.status.favourites_count,
             "shares": served.status.reblogs_count}[kind]
    return activity_response(builders.ordered_collection(
        f"{served.status.uri}/{kind}", total, first=None))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}/statuses/{status_id}", status_object)
    app.router.add_get("/users/{username}/statuses/{status_id}/activity", status_activity)
    app.router.add_get("/users/{username}/statuses/{status_id}/{kind:replies|likes|shares}",
                       status_collection)
