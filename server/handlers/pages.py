"""Instance-level HTML pages. The front page `/` is a feed: server/handlers/web/feeds.py."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from server import __version__, appkeys
from server.services.federation import instance as instance_service


async def instance_context(request: web.Request) -> dict[str, object]:
    config = request.app[appkeys.CONFIG]
    usage = await instance_service.node_usage(request.app[appkeys.DATABASE])
    return {
        "instance_name": config.instance.name,
        "domain": config.instance.domain,
        "registrations": config.instance.registrations,
        "description": config.instance.description,
        "rules": config.instance.rules,
        "contact_email": config.instance.contact_email,
        "usage": usage,
        "version": __version__,
    }


async def about(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("about.html", request,
                                          await instance_context(request))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/about", about)
