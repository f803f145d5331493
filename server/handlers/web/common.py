"""What every web handler shares: redirects back after a form, JSON for scripted forms,
and reading form fields within bounds."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

MAX_FIELD = 4096


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: an open redirect after a form would help phishing."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


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


def failed(request: web.Request, message: str, *, status: int = 422) -> web.Response:
    """A refused action: JSON for scripts, otherwise a small page saying why."""
    if wants_json(request):
        return web.json_response({"ok": False, "error": message}, status=status)
    from server.handlers.session import render

    return render(request, "error.html", {"message": message}, status=status)
