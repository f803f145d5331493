"""What every client API handler shares: the bearer token, parameters from wherever the
client put them, JSON answers and errors, CORS, and Link pagination.

Mastodon's rules (app/controllers/api/base_controller.rb, concerns/api/error_handling.rb):
- a missing or unknown token where one is needed: 401 {"error": "The access token is
  invalid"}; a token without the scope: 403 "This action is outside the authorized scopes";
  an app token where a user is needed: 422 "This method requires an authenticated user".
- every error is JSON, unknown /api routes included (never an HTML page).
- CORS on /api and /oauth for browser apps (Elk, Phanpy): any origin, no cookies.
The API never reads the session cookie: a bearer token is its only credential, so it is
exempt from the web app's CSRF check (server.handlers.session).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDict, MultiDictProxy
from yarl import URL

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.middlewares import CLIENT_IP
from server.ratelimit import Budget
from server.render.to_mastodon.common import iso
from server.services.errors import RateLimited, ServiceError
from server.services.oauth.tokens import Grant, authenticate
from storage.pagination import InvalidPage, Page, parse_page

# The authorize page (/oauth/authorize) is a web page with the session and CSRF check.
API_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/oauth/userinfo",
                "/.well-known/oauth-authorization-server")
GRANT: web.RequestKey[Grant | None] = web.RequestKey("api_grant")
_PARAMS: web.RequestKey[Params] = web.RequestKey("api_params")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link, X-RateLimit-Limit, X-RateLimit-Remaining, "
                                     "X-RateLimit-Reset, X-Request-Id, Idempotency-Key",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Idempotency-Key, "
                                    "Accept, X-Requested-With",
    "Access-Control-Max-Age": "86400",
}
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message, not a secret)
OUT_OF_SCOPE = "This action is outside the authorized scopes"
USER_REQUIRED = "This method requires an authenticated user"
PENDING_APPROVAL = "Your login is currently pending approval"


class ApiError(Exception):
    """An answer other than success: status, the `error` text, extra fields and headers."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None,
                 **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.fields = fields


@dataclass(frozen=True)
class ApiUser:
    """The signed-in user behind a user token."""

    grant: Grant
    user_id: int
    account_id: int
    username: str


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def api_json(data: Any, *, status: int = 200,
             headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(data, ensure_ascii=False).encode(), status=status,
                        content_type="application/json", charset="utf-8", headers=headers)


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   **fields: Any) -> web.Response:
    return api_json({"error": message, **fields}, status=status, headers=headers)


def bearer_token(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    # Doorkeeper also reads ?access_token= (used by the streaming API and some clients).
    return request.query.get("access_token", "")


def grant(request: web.Request) -> Grant | None:
    return request.get(GRANT)


def require_grant(request: web.Request, scope: str) -> Grant:
    """Any valid token (an app's or a user's) with `scope`."""
    found = grant(request)
    if found is None:
        raise ApiError(401, INVALID_TOKEN)
    if not found.allows(scope):
        raise ApiError(403, OUT_OF_SCOPE)
    return found


def require_user(request: web.Request, scope: str) -> ApiUser:
    """A user token with `scope`."""
    found = require_grant(request, scope)
    if found.pending:
        raise ApiError(403, PENDING_APPROVAL)
    if found.user_id is None or found.account_id is None or found.username is None:
        # Mastodon's answer has no details; the schema's ValidationError wants them (empty).
        raise ApiError(422, USER_REQUIRED, details={})
    return ApiUser(grant=found, user_id=found.user_id, account_id=found.account_id,
                   username=found.username)


def optional_user(request: web.Request, scope: str = "read") -> ApiUser | None:
    """The user when a user token came with the request (public endpoints read it to show
    the viewer's own state); None when signed out."""
    found = grant(request)
    if found is None or found.user_id is None or found.pending:
        return None
    return require_user(request, scope)


class Params:
    """Request parameters from the query string and the body (form, multipart or JSON), as
    Rails merges them: clients put them anywhere. Arrays come as `name[]=a&name[]=b`, as
    repeated `name`, or as JSON lists."""

    def __init__(self, values: MultiDict[Any]) -> None:
        self._values = values

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (str, int, float)):
            return str(value)
        raise ApiError(422, f"{name} must be a single value")

    def text(self, name: str, default: str = "") -> str:
        value = self.get(name)
        return default if value is None else value

    def has(self, name: str) -> bool:
        return name in self._values or f"{name}[]" in self._values

    def list(self, name: str) -> list[str]:
        found: list[str] = []
        for key in (name, f"{name}[]"):
            for value in self._values.getall(key, []):
                if isinstance(value, list):
                    found.extend(str(v) for v in value)
                elif isinstance(value, dict):
                    # Rails' name[0]=a&name[1]=b arrives as an object from JSON clients.
                    found.extend(str(v) for v in value.values())
                elif value is not None:
                    found.append(str(value))
        return found

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        # Rails' ActiveModel::Type::Boolean: these are false, anything else true.
        return value.lower() not in ("0", "f", "false", "off", "no", "n")

    def integer(self, name: str, default: int | None = None) -> int | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise ApiError(422, f"{name} must be a number") from None

    def file(self, name: str) -> web.FileField | None:
        value = self._values.get(name)
        return value if isinstance(value, web.FileField) else None

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def nested(self, name: str) -> dict[str, Any]:
        """An object parameter: JSON `{"name": {...}}` or form `name[key]=value`."""
        value = self._values.get(name)
        if isinstance(value, dict):
            return value
        prefix = f"{name}["
        found: dict[str, Any] = {}
        for key, item in self._values.items():
            if key.startswith(prefix) and key.endswith("]"):
                found[key[len(prefix):-1]] = item
        return found


async def params(request: web.Request) -> Params:
    """The request's parameters (parsed once per request)."""
    if _PARAMS in request:
        return request[_PARAMS]
    values: MultiDict[Any] = MultiDict(request.query)
    values.extend(await _body(request))
    found = Params(values)
    request[_PARAMS] = found
    return found


async def _body(request: web.Request) -> MultiDict[Any]:
    if not request.can_read_body:
        return MultiDict()
    if request.content_type == "application/json":
        try:
            document = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not valid JSON") from None
        if not isinstance(document, dict):
            raise ApiError(400, "the JSON body must be an object")
        return MultiDict(document)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form: MultiDictProxy[Any] = await request.post()
        return MultiDict(form)
    return MultiDict()


def page(request: web.Request, *, default: int = 20, maximum: int = 40) -> Page:
    try:
        return parse_page(request.query, default=default, maximum=maximum)
    except InvalidPage as exc:
        raise ApiError(400, str(exc)) from None


def link_header(request: web.Request, ids: Sequence[int]) -> dict[str, str]:
    """Link: next (older, max_id = the last id) and prev (newer, min_id = the first id),
    keeping the request's other parameters; nothing for an empty page."""
    if not ids:
        return {}
    base = URL(request.app[appkeys.CONFIG].base_url).with_path(request.path)
    kept = [(k, v) for k, v in request.query.items()
            if k not in ("max_id", "min_id", "since_id")]
    newer = base.with_query([*kept, ("min_id", str(ids[0]))])
    older = base.with_query([*kept, ("max_id", str(ids[-1]))])
    return {"Link": f'<{older}>; rel="next", <{newer}>; rel="prev"'}


def paginated(request: web.Request, entities: Iterable[Any], ids: Sequence[int]
              ) -> web.Response:
    """A page of entities with its Link header (ids: the cursors, in page order)."""
    return api_json(list(entities), headers=link_header(request, ids))


def parse_id_param(raw: str, what: str = "record") -> int:
    """A path id; anything that is not one is "not found", as Mastodon answers."""
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(404, "Record not found") from None
    if value <= 0 or value >= 2**63:
        raise ApiError(404, "Record not found")
    return value


def _with_cors(response: web.StreamResponse) -> web.StreamResponse:
    if not response.prepared:
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For /api and /oauth: the token, CORS, and every failure as a JSON error."""
    if not is_api_path(request.path):
        return await handler(request)
    if request.method == "OPTIONS":
        return _with_cors(web.Response(status=204, headers=PREFLIGHT_HEADERS))
    token = bearer_token(request)
    request[GRANT] = await authenticate(request.app[appkeys.SERVICES], token) \
        if token else None
    try:
        budget = await _count(request)
    except RateLimited as exc:
        refused = error_response(429, "Too many requests", retry_headers(exc))
        refused.headers.update(_budget_headers(_spent(request, exc)))
        return _with_cors(refused)
    try:
        response = await handler(request)
    except ApiError as exc:
        response = error_response(exc.status, exc.message, exc.headers, **exc.fields)
    except ServiceError as exc:
        response = error_response(status_for(exc), str(exc), retry_headers(exc))
    except web.HTTPRedirection as exc:
        _with_cors(exc)
        raise
    except web.HTTPException as exc:
        headers = {k: v for k, v in exc.headers.items()
                   if k.lower() not in ("content-type", "content-length")}
        message = exc.text if exc.text and exc.status != 404 and not exc.text.startswith(
            str(exc.status)) else _reason(exc.status)
        response = error_response(exc.status, message, headers)
    if budget is not None and not response.prepared:
        response.headers.update(_budget_headers(budget))
    return _with_cors(response)


def _limit_key(request: web.Request) -> str:
    """Per account for user tokens (Mastodon's throttle), per app token, else per address."""
    found = grant(request)
    if found is not None:
        return f"account:{found.account_id}" if found.account_id is not None \
            else f"token:{found.token_id}"
    return f"ip:{request.get(CLIENT_IP, '')}"


async def _count(request: web.Request) -> Budget | None:
    limiter = request.app[appkeys.SERVICES].limiter
    return None if limiter is None else await limiter.hit_with_budget(
        "api", _limit_key(request))


def _spent(request: web.Request, exc: RateLimited) -> Budget:
    limiter = request.app[appkeys.SERVICES].limiter
    return Budget(limit=limiter.amount("api") if limiter is not None else 0, remaining=0,
                  reset_at=time.time() + exc.retry_after)


def _budget_headers(budget: Budget) -> dict[str, str]:
    reset = datetime.fromtimestamp(budget.reset_at, UTC)
    return {"X-RateLimit-Limit": str(budget.limit),
            "X-RateLimit-Remaining": str(budget.remaining),
            "X-RateLimit-Reset": iso(reset)}


def _reason(status: int) -> str:
    if status == 404:
        return "Record not found"
    return HTTPStatus(status).phrase
