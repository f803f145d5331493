"""Branded error pages: a browser asking for a page that is not there, or one that failed,
gets the app's own 404 or 500 page, with the navigation, in words that say what to do.

Scripts, the client API, ActivityPub and static files keep their plain answers: only a GET
that accepts HTML gets a page. A failure is logged here with its traceback and the request
id the page shows (request_context in server/middlewares.py would log it otherwise), and no
exception text reaches the page.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from server.handlers.api.common import is_api_path
from server.handlers.session import render
from server.i18n import gettext
from server.middlewares import REQUEST_ID
from server.services.availability import database_down

log = logging.getLogger(__name__)

# Paths that never answer with a page.
_NOT_PAGES = ("/static/", "/media/", "/.well-known/", "/nodeinfo/", "/users/", "/inbox")


def wants_page(request: web.Request) -> bool:
    return (request.method in ("GET", "HEAD")
            and "text/html" in request.headers.get("Accept", "")
            and not is_api_path(request.path) and not request.path.startswith(_NOT_PAGES))


def _sentence(text: str) -> str:
    """aiohttp's default text ("405: Method Not Allowed") without its number, or a
    handler's words, as a sentence."""
    number, _, rest = text.partition(": ")
    text = (rest if number.isdigit() and rest else text).strip() \
        or gettext("That request was refused")
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def not_found_page(request: web.Request) -> web.Response:
    return render(request, "error_404.html", {}, status=404)


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not wants_page(request):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return not_found_page(request)
    except web.HTTPException as exc:
        if not 400 <= exc.status < 500 or exc.content_type == "text/html":
            raise  # redirects, and refusals that are pages already (a CSRF refusal)
        # A handler's plain-text refusal (a bad page cursor, a rate limit): the same words
        # on the app's page, with the navigation.
        response = render(request, "error.html", {"message": _sentence(exc.text or "")},
                          status=exc.status)
        if "Retry-After" in exc.headers:
            response.headers["Retry-After"] = exc.headers["Retry-After"]
        return response
    except Exception as exc:
        if database_down(exc):
            raise  # the database is down: database_unavailable's 503 says so
        request_id = request.get(REQUEST_ID, "")
        log.exception("unhandled error", extra={"request_id": request_id,
                                                "path": request.path})
        return render(request, "error_500.html", {"request_id": request_id}, status=500)
