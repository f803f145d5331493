"""Request middlewares: request id, client address, one log line per request, errors."""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from server.client_ip import client_ip, parse_networks
from server.config import Config

log = logging.getLogger("dreamfeed.request")

REQUEST_ID = web.RequestKey("request_id", str)
CLIENT_IP = web.RequestKey("client_ip", str)
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def make_middlewares(config: Config) -> list[Middleware]:
    trusted = parse_networks(config.server.trusted_proxies)

    @web.middleware
    async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
        # A proxy's X-Request-Id is kept when it looks sane, so logs can be joined up.
        incoming = request.headers.get("X-Request-Id", "")
        request[REQUEST_ID] = incoming if _REQUEST_ID_RE.fullmatch(incoming) \
            else uuid.uuid4().hex
        request[CLIENT_IP] = client_ip(request.remote, request.headers.get("X-Forwarded-For"),
                                       request.headers.get("Forwarded"), trusted) or ""
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            exc.headers["X-Request-Id"] = request[REQUEST_ID]
            raise
        except Exception:
            log.exception("unhandled error", extra={"request_id": request[REQUEST_ID],
                                                    "path": request.path})
            response = web.json_response(
                {"error": "internal server error", "request_id": request[REQUEST_ID]},
                status=500)
        finally:
            log.info("%s %s", request.method, request.path_qs, extra={
                "request_id": request[REQUEST_ID], "client": request[CLIENT_IP],
                "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
            })
        response.headers["X-Request-Id"] = request[REQUEST_ID]
        return response

    return [request_context]
