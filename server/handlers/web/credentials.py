"""An image's content credentials page (/credentials/{media_id}/{secret}): what its C2PA
manifest claims, in words, and whether it holds. Linked from the post page and from the
post's federated content (Mastodon strips the manifest from the files it keeps). The secret
is the image URL's: whoever may see the image may read its credentials."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.session import render
from server.i18n import gettext as _
from server.services.errors import NotFound
from server.services.media import credentials
from storage.ids import parse_id


async def credentials_page(request: web.Request) -> web.StreamResponse:
    media_id = parse_id(request.match_info["media_id"])
    if media_id is None:
        raise web.HTTPNotFound(text=_("no such image"))
    try:
        report = await credentials.media_report(request.app[appkeys.SERVICES], media_id,
                                                request.match_info["secret"])
    except NotFound:
        raise web.HTTPNotFound(text=_("no such image")) from None
    return render(request, "credentials.html", {"report": report, "media_id": media_id})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/credentials/{media_id}/{secret}", credentials_page,
                       name="media_credentials")
