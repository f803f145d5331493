"""Response helpers shared by handlers."""

from __future__ import annotations

import functools
import json
from typing import Any

from aiohttp import web

from activitypub.documents import ACTIVITY_JSON, wants_activity_json


def activity_response(document: dict[str, Any], *, status: int = 200) -> web.Response:
    response = web.Response(body=json.dumps(document).encode(), status=status,
                            content_type=ACTIVITY_JSON, charset="utf-8")
    # The same URL serves HTML to browsers: caches must key on Accept.
    response.headers["Vary"] = "Accept"
    return response


def json_response(document: dict[str, Any], *, content_type: str = "application/json",
                  cors: bool = False, max_age: int | None = None) -> web.Response:
    response = web.Response(body=json.dumps(document).encode(), content_type=content_type,
                            charset="utf-8")
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    if max_age is not None:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


# Asked on most requests (the fetch limit's middleware, then the handler), with the few
# Accept headers that servers' and browsers' software sends: each parsed once.
_wants_activity_json = functools.lru_cache(maxsize=512)(wants_activity_json)


def wants_activity(request: web.Request) -> bool:
    return _wants_activity_json(request.headers.get("Accept", ""))
