"""Instance-level HTML pages."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from server import __version__, appkeys
from server.services import instance as instance_service


async def _instance_context(request: web.Request) -> dict[str, object]:
    config = request.app[appkeys.CONFIG]
    async with request.app[appkeys.DATABASE].reader() as session:
        usage = await instance_service.node_usage(session)
    return {
        "instance_name": config.instance.name,
        "domain": config.instance.domain,
        "registrations": config.instance.registrations,
        "usage": usage,
        "version": __version__,
    }


async def home(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("home.html", request,
                                          await _instance_context(request))


async def about(request: web.Request) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("about.html", request,
                                          await _instance_context(request))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
    app.router.add_get("/about", about)
