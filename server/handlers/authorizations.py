"""GoToSocial's interaction authorizations, served at their ids so that third servers can
check that a reply, boost or like of one of our posts was approved by its author
(`/users/{username}/authorizations/{id}`); 404 for anything not approved."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.responses import activity_response
from server.services.statuses.interaction_requests import authorization_document


async def authorization(request: web.Request) -> web.Response:
    raw_id = request.match_info["id"]
    if not raw_id.isdigit() or len(raw_id) > 20:
        raise web.HTTPNotFound(text="no such authorization")
    document = await authorization_document(request.app[appkeys.SERVICES],
                                            request.match_info["username"], int(raw_id))
    if document is None:
        raise web.HTTPNotFound(text="no such authorization")
    return activity_response(document)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}/authorizations/{id}", authorization)
