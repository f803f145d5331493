"""The `fetch` rate limit on our ActivityPub documents, as a middleware: every route that
answers `application/activity+json` gets it, present and future."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from server import appkeys
from server.handlers.responses import wants_activity
from server.middlewares import CLIENT_IP
from server.services.errors import RateLimited
from server.services.federation.fetch_limits import count_fetch


def too_many(exc: RateLimited) -> web.Response:
    """429 with Retry-After (whole seconds until the window frees up)."""
    return web.json_response({"error": str(exc)}, status=429,
                             headers={"Retry-After": str(exc.retry_after)})


@web.middleware
async def fetch_limit_middleware(request: web.Request,
                                 handler: Handler) -> web.StreamResponse:
    if request.method in ("GET", "HEAD") and wants_activity(request):
        try:
            await count_fetch(request.app[appkeys.SERVICES], method=request.method,
                              path_qs=request.raw_path, headers=request.headers,
                              client_ip=request[CLIENT_IP])
        except RateLimited as exc:
            return too_many(exc)
    return await handler(request)
