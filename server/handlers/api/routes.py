"""Every client API route, one module per group (Mastodon's app/controllers/api/v1/...).
Unknown /api paths answer JSON 404 (server.handlers.api.common.api_middleware)."""

from __future__ import annotations

from aiohttp import web

from server.handlers.api import (
    accounts,
    async_refreshes,
    conversations,
    domain_blocks,
    dreamfeed,
    filters,
    instance,
    lists,
    markers,
    media,
    notifications,
    oauth,
    search,
    statuses,
    streaming,
    tags,
    timelines,
)


def setup_routes(app: web.Application) -> None:
    for module in (oauth, instance, filters, accounts, domain_blocks, statuses, timelines,
                   lists, notifications, conversations, markers, media, search, dreamfeed,
                   streaming, async_refreshes, tags):
        module.setup_routes(app)
