"""Every client API route, one module per group (Mastodon's app/controllers/api/v1/...)."""

from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    # Each group adds its routes here as it lands; unknown /api paths answer JSON 404
    # (server.handlers.api.common.api_middleware).
    del app
