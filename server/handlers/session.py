"""Who is signed in, and CSRF protection for every form: two middlewares, once for all routes
(the session's, then after the language's the CSRF check, whose refusal is a page).

- The `dreamfeed_session` cookie (HttpOnly, SameSite=Lax, Secure on https, Path=/) holds a
  random token; `current_user(request)` is the session it opens, `require_user(request)`
  sends a visitor to the sign-in page.
- CSRF: every POST/PUT/PATCH/DELETE must carry the token of its session in the
  `csrf_token` form field or the `X-CSRF-Token` header, compared in constant time. Before
  sign-in the token is a double-submit cookie (`dreamfeed_csrf`) that templates echo in
  their forms. A browser's Origin header, when sent, must be this instance (or the host the
  request was sent to): a cross-site form is refused even before its token is looked at.
  Exempt: the inboxes (HTTP signatures, no cookies) and the client API with OAuth's token
  endpoints (bearer tokens: server.handlers.api.common never reads the session). Handlers
  of exempt routes must not use current_user().
- Templates get `signed_in`, `csrf_token()` and `instance_name` without passing them, and
  `unread_notifications` (the nav's badge): counted once per request, with one indexed
  query, only for a signed-in user's page requests (never JSON, ActivityPub, static files,
  media or "load more" partials).
"""

from __future__ import annotations

import hmac
import warnings
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_exceptions import NotAppKeyWarning

from server import appkeys
from server.handlers.api.common import is_api_path
from server.i18n import gettext as _
from server.services.accounts import web_sessions
from server.services.accounts.web_sessions import SignedIn
from server.services.social import markers

SESSION_COOKIE = "dreamfeed_session"
CSRF_COOKIE = "dreamfeed_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
# Routes that never authenticate with the session cookie: the inboxes (HTTP signatures)
# and the client API (bearer tokens).
CSRF_EXEMPT_ROUTES = {"/inbox", "/users/{username}/inbox", "/actor/inbox"}

SIGNED_IN: web.RequestKey[SignedIn | None] = web.RequestKey("signed_in")
# A fresh pre-session CSRF token to set as a cookie on the way out.
_NEW_CSRF: web.RequestKey[str] = web.RequestKey("new_csrf_cookie")
_STALE_SESSION: web.RequestKey[bool] = web.RequestKey("stale_session_cookie")
_UNREAD: web.RequestKey[int] = web.RequestKey("unread_notifications")
# Paths that never answer with a page (no unread count for them).
NO_PAGE_PREFIXES = ("/static/", "/media/", "/api/", "/.well-known/", "/nodeinfo/")
# Paths whose reads never look at the session (discovery documents fetched by servers,
# static files): a GET there skips this middleware, cookie or not (no session read from the
# database, nothing to slide forward for them).
SESSIONLESS_PREFIXES = ("/.well-known/", "/nodeinfo/", "/static/")
# aiohttp_jinja2 reads per-request template context under a plain string key; aiohttp warns
# of such keys (once per key), which is not worth a warnings.catch_warnings per request.
warnings.filterwarnings("ignore", category=NotAppKeyWarning, module=__name__)


def current_user(request: web.Request) -> SignedIn | None:
    return request.get(SIGNED_IN)


def require_user(request: web.Request) -> SignedIn:
    """The signed-in user; otherwise a redirect to the sign-in page (GET) or a 401."""
    user = current_user(request)
    if user is not None:
        return user
    if request.method in SAFE_METHODS:
        raise web.HTTPSeeOther(request.app.router["sign_in"].url_for()
                               .with_query(next=request.path_qs))
    raise web.HTTPUnauthorized(text=_("sign in first"))


def csrf_token(request: web.Request) -> str:
    """The token forms must send back: the session's, or the pre-session cookie's (made
    now, and set on the response, when the browser has none)."""
    user = current_user(request)
    if user is not None:
        return user.csrf_token
    existing = request.get(_NEW_CSRF) or request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 128:
        return existing
    request[_NEW_CSRF] = web_sessions.new_token()
    return request[_NEW_CSRF]


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, **_cookie_options(request),
                        max_age=int(web_sessions.SESSION_LIFETIME.total_seconds()))
    # The pre-session token is spent: after sign-in forms use the session's.
    response.del_cookie(CSRF_COOKIE, path="/")


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


def _cookie_options(request: web.Request) -> dict[str, Any]:
    secure = request.app[appkeys.CONFIG].instance.scheme == "https"
    return {"path": "/", "httponly": True, "samesite": "Lax", "secure": secure}


def page_context(request: web.Request) -> dict[str, Any]:
    """What every page's template gets (base.html shows who is signed in)."""
    return {"signed_in": current_user(request), "csrf_token": lambda: csrf_token(request),
            "instance_name": request.app[appkeys.CONFIG].instance.name,
            "unread_notifications": request.get(_UNREAD, 0),
            # Invite codes still work when sign-ups are closed, but nobody is invited to try.
            "registrations_open": request.app[appkeys.CONFIG].instance.registrations != "closed"}


def _renders_page(request: web.Request) -> bool:
    """Whether this request is likely a page the nav is drawn on: a GET that asks for no
    JSON (scripts, ActivityPub and WebFinger all do) outside static and media paths. A wrong
    guess costs one small query, or a page whose badge shows no count."""
    return (request.method in ("GET", "HEAD")
            and not request.path.startswith(NO_PAGE_PREFIXES)
            and request.query.get("partial") != "1"
            and "json" not in request.headers.get("Accept", ""))


def render(request: web.Request, template: str, context: dict[str, Any], *,
           status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context, status=status)


def _csrf_exempt(request: web.Request) -> bool:
    if request.method in SAFE_METHODS or is_api_path(request.path):
        return True
    route = request.match_info.route.resource
    return route is not None and route.canonical in CSRF_EXEMPT_ROUTES


async def _supplied_token(request: web.Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type not in FORM_TYPES:
        return ""
    # aiohttp keeps the parsed form: the handler's own request.post() reads it again.
    value = (await request.post()).get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def _same_origin(request: web.Request) -> bool:
    """Browsers send Origin with every POST; "null" (a sandboxed frame, a cross-site redirect)
    is not us. Without the header (an old browser, a script) the token alone decides."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    if origin == request.app[appkeys.CONFIG].base_url:
        return True
    # Reached under another name than the configured one (an address on the LAN): the
    # browser set Host itself, so a matching Origin is that same site.
    netloc = urlsplit(origin).netloc if origin.startswith(("http://", "https://")) else ""
    return bool(netloc) and netloc.lower() == request.host.lower()


async def _check_csrf(request: web.Request) -> None:
    if not _same_origin(request):
        raise _forbidden(request)
    user = current_user(request)
    expected = user.csrf_token if user is not None else request.cookies.get(CSRF_COOKIE, "")
    supplied = await _supplied_token(request)
    if not expected or not supplied \
            or not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise _forbidden(request)


def _forbidden(request: web.Request) -> web.HTTPForbidden:
    body = aiohttp_jinja2.render_string("auth_error.html", request, {
        "title": _("Form expired"),
        "message": _("This form could not be accepted: its security token is missing or "
                     "does not match your session. Go back, reload the page and try again.")})
    return web.HTTPForbidden(text=body, content_type="text/html")


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS and request.path.startswith(SESSIONLESS_PREFIXES):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    user = await web_sessions.load(request.app[appkeys.DATABASE], token) if token else None
    request[SIGNED_IN] = user
    request[_STALE_SESSION] = bool(token) and user is None
    # Set, not left missing: a missing key costs a KeyError in each request.get of it.
    request[_NEW_CSRF] = ""
    request[_UNREAD] = 0
    if user is not None and _renders_page(request):
        request[_UNREAD] = await markers.unread_notifications(request.app[appkeys.SERVICES],
                                                              user)
    request[aiohttp_jinja2.REQUEST_CONTEXT_KEY] = page_context(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _finish(request, exc)
        raise
    _finish(request, response)
    return response


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The CSRF check, apart from the session's middleware: it runs after the language's
    (server.handlers.web.settings_language), which needs the session first to read the
    account's choice, so that the refusal page is in the reader's language."""
    if not _csrf_exempt(request):
        await _check_csrf(request)
    return await handler(request)


def _finish(request: web.Request, response: web.StreamResponse) -> None:
    if request[_STALE_SESSION] and SESSION_COOKIE not in response.cookies:
        clear_session_cookie(response)  # expired or revoked: stop sending it
    user = request[SIGNED_IN]
    if user is not None and user.refreshed and SESSION_COOKIE not in response.cookies:
        # The session slid forward: so does the cookie's lifetime.
        set_session_cookie(request, response, request.cookies[SESSION_COOKIE])
    new_csrf = request.get(_NEW_CSRF)
    if new_csrf and CSRF_COOKIE not in response.cookies:
        response.set_cookie(CSRF_COOKIE, new_csrf, **_cookie_options(request))
