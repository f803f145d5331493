"""What every web handler shares: redirects back after a form, JSON for scripted forms,
and reading form fields within bounds."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web
from multidict import MultiDictProxy

from server.handlers.errors import retry_headers, status_for
from server.i18n import N_
from server.i18n import gettext as _
from server.services.errors import ServiceError
from server.services.federation.remote import RemoteError, RemoteGone, RemoteRefused
from storage.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidPage, Page, parse_page

MAX_FIELD = 4096
# A page link's bad cursor (storage.pagination.InvalidPage, whose own words are English:
# storage has no translations), by what the parameter should have been.
_BAD_PAGE = {
    "id": N_("The link to this page is broken: %(parameter)s must be an id, not %(value)r"),
    "number": N_("The link to this page is broken: %(parameter)s must be a number, not "
                 "%(value)r"),
}


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a local path: an open redirect after a form would help phishing. Browsers drop
    tabs and newlines from a URL and read a backslash as a slash (`/<TAB>/evil.example` goes
    to //evil.example), and a CR or LF cannot go in a Location header at all. So: plain ASCII
    without spaces, and neither it nor its percent-decoding may hold a control character or
    start like an address elsewhere (an encoded space, `%20`, is harmless and stays)."""
    if not target or not target.isascii() or " " in target:
        return default
    if _local_path(target) and _local_path(unquote(target)):
        return target
    return default


def _local_path(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    # isprintable() is False for tabs, newlines, other controls and every space but " ".
    return path.isprintable()


def see_other(location: str) -> web.Response:
    # 303 after a POST: the browser follows with a GET.
    return web.Response(status=303, headers={"Location": location})


def wants_json(request: web.Request) -> bool:
    """static/app.js submits forms with fetch and asks for JSON; plain forms get pages."""
    return "application/json" in request.headers.get("Accept", "")


def field(form: MultiDictProxy[Any], name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name, "")
    return value[:limit] if isinstance(value, str) else ""


def done(request: web.Request, form: MultiDictProxy[Any], *, default: str = "/",
         **state: Any) -> web.Response:
    """The answer to a successful action: JSON with the new state for scripts, otherwise a
    redirect to the form's `next` field."""
    if wants_json(request):
        return web.json_response({"ok": True, **state})
    return see_other(safe_next(field(form, "next"), default))


def refused(request: web.Request, exc: ServiceError) -> web.Response:
    """A service's refusal, with the status of server.handlers.errors' table (and Retry-After
    when rate limited)."""
    response = failed(request, page_message(exc), status=status_for(exc))
    response.headers.update(retry_headers(exc))
    return response


def page_message(exc: ServiceError) -> str:
    """A refusal in words for a page: sentence case, a full stop, and never the text of a
    network failure (a remote server's errors carry the resolver's or TLS library's own).
    In the request's language where the catalogue has the message (services mark theirs
    with server.i18n.N_, as they raise it: it is translated before it is given its capital
    and full stop)."""
    # A refusal caused by a remote failure (raised `from` it) says what that failure was.
    if isinstance(exc.__cause__, RemoteError):
        exc = exc.__cause__
    if isinstance(exc, RemoteRefused):
        return _("That server does not federate with this instance, so nothing can be done "
                 "there.")
    if isinstance(exc, RemoteGone):
        return _("That account or post was deleted on its server.")
    if isinstance(exc, RemoteError):
        return _("The other server could not be reached or did not answer as expected. "
                 "Check the address and try again later.")
    raw = exc.template.strip()
    text = _(raw, **exc.values) if raw else _("That could not be done.")
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def said(exc: ServiceError) -> str:
    """A refusal's own words in the request's language, as the service wrote them (no
    capital or full stop added): for a script that makes the sentence itself, for words set
    inside a page's own sentence, and for the admin pages' notices. The English is str(exc)."""
    return _(exc.template, **exc.values)


def failed(request: web.Request, message: str, *, status: int = 422) -> web.Response:
    """A refused action: JSON for scripts, otherwise a small page saying why."""
    if wants_json(request):
        return web.json_response({"ok": False, "error": message}, status=status)
    from server.handlers.session import render

    return render(request, "error.html", {"message": message}, status=status)


def page_cursor(request: web.Request, *, default: int = DEFAULT_LIMIT,
                maximum: int = MAX_LIMIT) -> Page:
    """The page its query asks for (storage.pagination.parse_page); a bad cursor is a 400 in
    the reader's language."""
    try:
        return parse_page(request.query, default=default, maximum=maximum)
    except InvalidPage as exc:
        raise web.HTTPBadRequest(text=_(_BAD_PAGE[exc.expected], parameter=exc.parameter,
                                        value=exc.value)) from None
