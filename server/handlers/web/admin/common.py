"""What every admin page shares: the admin check, the sub-nav with its counts, and the
answer to an action (a notice or an error carried back in the query string).

Admin actions are plain form POSTs (CSRF checked by the session middleware) that redirect
back to the form's `next` page with `?notice=` or `?error=`; templates show those escaped.
Destructive actions need a ticked "I understand" box, so they are confirmed without
JavaScript too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import MultiDictProxy
from yarl import URL

from server import appkeys
from server.handlers.errors import status_for
from server.handlers.session import render, require_user
from server.handlers.web.common import failed, field, safe_next, said, see_other, wants_json
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.context import Services
from server.services.errors import InvalidInput, ServiceError
from server.services.reading import admin_console
from storage.ids import parse_id
from storage.pagination import Page

MAX_MESSAGE = 300
PAGE_SIZE = 30
# (section key, path, label) of the admin sub-navigation; labels translated in page().
SECTIONS = (
    ("dashboard", "/admin", N_("Dashboard")),
    ("reports", "/admin/reports", N_("Reports")),
    ("accounts", "/admin/accounts", N_("Accounts")),
    ("domains", "/admin/domains", N_("Domains")),
    ("registrations", "/admin/registrations", N_("Sign-ups")),
    ("invites", "/admin/invites", N_("Invites")),
    ("generation", "/admin/generation", N_("Generation")),
    ("deliveries", "/admin/deliveries", N_("Deliveries")),
    ("audit", "/admin/audit", N_("Audit log")),
)

Form = MultiDictProxy[Any]
Action = Callable[[web.Request, Form, SignedIn], Awaitable[str]]


def require_admin(request: web.Request) -> SignedIn:
    """The signed-in admin; a visitor goes to sign in, anyone else gets 403."""
    user = require_user(request)
    if not user.admin:
        body = aiohttp_jinja2.render_string("error.html", request, {
            "message": _("This area is for the administrators of this instance.")})
        raise web.HTTPForbidden(text=body, content_type="text/html")
    return user


def services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def _message(request: web.Request, key: str) -> str:
    return request.query.get(key, "")[:MAX_MESSAGE]


async def page(request: web.Request, template: str, section: str,
               context: dict[str, Any]) -> web.Response:
    """An admin page: the sub-nav (with the dashboard's counts as badges) and any notice."""
    require_admin(request)
    counts = await admin_console.dashboard(services(request))
    return render(request, template, {
        **context, "section": section, "counts": counts,
        "sections": [(key, path, _(label)) for key, path, label in SECTIONS],
        "notice": _message(request, "notice"), "error": _message(request, "error")})


def with_message(path: str, key: str, message: str) -> str:
    url = URL(path)
    query = {k: v for k, v in url.query.items() if k not in ("notice", "error")}
    query[key] = message[:MAX_MESSAGE]
    return str(url.with_query(query))


def action(default: str) -> Callable[[Action], Handler]:
    """Wrap an admin action: admins only, the form read once, a ServiceError turned into an
    error message; back to `next` (or `default`, formatted with the route's match_info).
    Notices and errors are in the admin's language, as the service or action wrote them
    (no capital added: they often start with a handle or a domain)."""

    def wrap(body: Action) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            user = require_admin(request)
            form = await request.post()
            back = safe_next(field(form, "next"), default.format(**request.match_info))
            try:
                notice = await body(request, form, user)
            except ServiceError as exc:
                if wants_json(request):
                    return failed(request, said(exc), status=status_for(exc))
                return see_other(with_message(back, "error", said(exc)))
            if wants_json(request):
                return web.json_response({"ok": True, "notice": notice})
            return see_other(with_message(back, "notice", notice))

        return handler

    return wrap


def confirm(form: Form) -> None:
    """Destructive actions need the "I understand" box ticked (it is `required` in the page,
    so browsers ask before sending; this is for the rest)."""
    if field(form, "confirm") != "yes":
        raise InvalidInput(N_("tick “I understand” to confirm this action"))


def path_id(request: web.Request, name: str = "id") -> int:
    value = parse_id(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound()
    return value


def form_id(form: Form, name: str) -> int:
    value = parse_id(field(form, name, 32))
    if value is None:
        raise InvalidInput(N_("%(name)s must be an id"), name=name)
    return value


def page_of(request: web.Request, size: int = PAGE_SIZE) -> Page:
    """`?max_id=` for "load more" (newest first)."""
    return Page(max_id=parse_id(request.query.get("max_id")), limit=size)


def next_max_id(rows: list[Any], size: int = PAGE_SIZE) -> int | None:
    """Where "load more" starts, or None when this page was the last."""
    return rows[-1].id if len(rows) >= size else None
