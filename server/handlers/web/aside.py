"""The right column's content for every page: a middleware that adds `aside`
(server.services.reading.aside.Aside) to the templates' context of a page request, after the
session middleware has made that context. Partial pages ("load more") and scripts do not ask
for it; the wide admin pages do not show it."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from server import appkeys
from server.handlers.session import current_user
from server.handlers.web.error_pages import wants_page
from server.services.reading import aside

_NO_ASIDE = ("/admin", "/auth/", "/oauth/", "/web/")


@web.middleware
async def aside_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    context = request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY)
    if (context is not None and wants_page(request) and request.query.get("partial") != "1"
            and not request.path.startswith(_NO_ASIDE)):
        user = current_user(request)
        context["aside"] = await aside.aside(request.app[appkeys.SERVICES],
                                             user.account_id if user else None)
        context["request_path"] = request.path_qs  # where its follow forms come back to
    return await handler(request)
