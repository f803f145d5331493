"""Client API: media (being written; routes land with their tests)."""

from __future__ import annotations

from aiohttp import web


def setup_routes(app: web.Application) -> None:
    del app
