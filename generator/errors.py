"""Errors in OpenAI's shape, so the official client raises its usual exceptions:
`{"error": {"message", "type", "param", "code"}}` with 400 (BadRequestError), 401
(AuthenticationError), 404, 429 (RateLimitError) or 500."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger("dreamfeed.generator")

INVALID_REQUEST = "invalid_request_error"


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, type: str = INVALID_REQUEST,
                 param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}

    def response(self) -> web.Response:
        return web.Response(status=self.status, body=json.dumps(self.body()).encode(),
                            content_type="application/json", headers=self.headers)


def invalid(message: str, param: str | None, code: str | None = "invalid_value") -> ApiError:
    """A 400 about one request parameter."""
    return ApiError(400, message, param=param, code=code)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # Routing errors (404, 405) in the same shape as everything else.
        message = f"Invalid URL ({request.method} {request.path})" if exc.status in (404, 405) \
            else exc.reason
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else {}
        return ApiError(exc.status, message, headers=allow).response()
    except Exception:
        log.exception("generator error on %s %s", request.method, request.path)
        return ApiError(500, "The generator had an internal error while processing the "
                        "request.", type="server_error").response()
