"""The interface's language for each request, and the two ways to choose it: Settings >
Language for a signed-in user (kept with the account), and the footer's picker for a visitor
(a cookie). Otherwise the browser's Accept-Language decides, then the instance's
`[instance] interface_language` (server.i18n.negotiate).

The middleware runs after the session's (it reads the account's choice from the session)
and makes the language current for everything the request renders (server.i18n's
ContextVar), and tells templates which it is (`<html lang dir>`, the picker)."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from server import appkeys, i18n
from server.handlers.errors import status_for
from server.handlers.session import current_user, render, require_user
from server.handlers.web import script_messages
from server.handlers.web.common import field, page_message, safe_next, see_other
from server.services.accounts import interface_language
from server.services.errors import ServiceError

LANGUAGE_COOKIE = "dreamfeed_language"
_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE: web.RequestKey[str] = web.RequestKey("interface_language")


def request_language(request: web.Request) -> str:
    user = current_user(request)
    return i18n.negotiate(
        chosen=user.interface_language if user is not None else None,
        cookie=request.cookies.get(LANGUAGE_COOKIE),
        accept_language=request.headers.get("Accept-Language", ""),
        default=request.app[appkeys.CONFIG].instance.interface_language)


@web.middleware
async def language_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    language = request_language(request)
    request[LANGUAGE] = language
    context = request.get(aiohttp_jinja2.REQUEST_CONTEXT_KEY)
    if isinstance(context, dict):
        context.update({"language": language, "text_direction": i18n.direction(language),
                        "languages": i18n.LANGUAGES, "language_next": request.path_qs,
                        "script_messages": script_messages.catalogue})
    token = i18n.activate(language)
    try:
        response = await handler(request)
    finally:
        i18n.deactivate(token)
    # Pages say which language they are in (search engines, translation tools).
    if response.content_type == "text/html" and not response.prepared:
        response.headers.setdefault("Content-Language", language)
    return response


def _remember(request: web.Request, response: web.StreamResponse, language: str | None) -> None:
    """The visitor's choice as a cookie (it outlives signing out); none: the browser's."""
    if language is None:
        response.del_cookie(LANGUAGE_COOKIE, path="/")
        return
    secure = request.app[appkeys.CONFIG].instance.scheme == "https"
    response.set_cookie(LANGUAGE_COOKIE, language, path="/", max_age=_COOKIE_AGE,
                        httponly=True, samesite="Lax", secure=secure)


async def pick(request: web.Request) -> web.StreamResponse:
    """The footer's picker for visitors: a GET form, so that it works on the shared anonymous
    pages (which carry no CSRF token); it only sets a cookie. Signed-in users' footer posts
    to Settings > Language instead. The page to go back to is `back`, not `next`: the picker
    sits on pages whose own forms (sign-in) carry a `next` of their own."""
    language = i18n.supported(request.query.get("language", ""))
    response = see_other(safe_next(request.query.get("back")))
    _remember(request, response, language)
    return response


async def language_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    return render(request, "settings_language.html", {
        "section": "language", "error": None, "chosen": user.interface_language or "",
        "saved": request.query.get("saved") == "1"})


async def choose_language(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        language = await interface_language.choose(request.app[appkeys.SERVICES],
                                                   user.account_id, field(form, "language", 64))
    except ServiceError as exc:
        return render(request, "settings_language.html", {
            "section": "language", "error": page_message(exc), "saved": False,
            "chosen": field(form, "language", 64)}, status=status_for(exc))
    response = see_other(safe_next(field(form, "back"), "/settings/language?saved=1"))
    _remember(request, response, language)
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/language", pick, name="language")
    app.router.add_get("/settings/language", language_page, name="settings_language")
    app.router.add_post("/settings/language", choose_language)
