"""Instance-level HTML pages. The front page `/` is a feed: server/handlers/web/feeds.py."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from server import __version__, appkeys
from server.handlers.caching import cached_usage
from server.i18n import N_
from server.i18n import gettext as _

MANIFEST_ICON_SIZES = (48, 96, 192, 512)
# Said where the instance's own description is empty (the landing page and the manifest), in
# the reader's language.
DEFAULT_DESCRIPTION = N_("A Dreamfeed server: people post images made from prompts, and "
                         "anyone on the fediverse can follow them.")


async def instance_context(request: web.Request) -> dict[str, object]:
    config = request.app[appkeys.CONFIG]
    usage = await cached_usage(request)
    return {
        "instance_name": config.instance.name,
        "domain": config.instance.domain,
        "registrations": config.instance.registrations,
        "description": config.instance.description,
        "meta_description": config.instance.description or _(DEFAULT_DESCRIPTION),
        "rules": config.instance.rules,
        "contact_email": config.instance.contact_email,
        "usage": usage,
        "version": __version__,
    }


async def about(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("about.html", request,
                                          await instance_context(request))


async def manifest(request: web.Request) -> web.StreamResponse:
    """The web app manifest: the app installs to a phone's home screen under the instance's
    name, with the icons of server/static/."""
    config = request.app[appkeys.CONFIG]
    icons = [{"src": f"/static/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in MANIFEST_ICON_SIZES]
    body = {
        "name": config.instance.name, "short_name": config.instance.name[:12],
        "description": config.instance.description or _(DEFAULT_DESCRIPTION),
        "start_url": "/", "scope": "/", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#6d28d9", "icons": icons,
    }
    # The description is in the reader's language: a cache keeps one copy per language.
    return web.json_response(body, content_type="application/manifest+json",
                             headers={"Cache-Control": "public, max-age=3600",
                                      "Vary": "Accept-Language, Cookie"})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/about", about)
    app.router.add_get("/manifest.webmanifest", manifest)
