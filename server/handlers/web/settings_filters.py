"""The signed-in user's filters (/settings/filters): list, create, edit, delete, through the
same service as the client API's /api/v1 and /api/v2/filters (server.services.social.filters).
A filter here is one keyword or phrase, which is also its title (as the API presents it);
it applies in the contexts chosen, warns (the post folds behind "Filtered: <phrase>") or
hides it, and may expire. The web feeds apply them as the API's timelines do."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import status_for
from server.handlers.session import render, require_user
from server.handlers.web.common import field, page_message, see_other
from server.i18n import N_
from server.i18n import gettext as _
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.social import filters
from server.services.social.filters import FilterChange, FilterView
from storage.ids import parse_id

# Translated where the pages show them.
CONTEXT_LABELS = {"home": N_("Home timeline and lists"), "notifications": N_("Notifications"),
                  "public": N_("Public timelines and hashtags"), "thread": N_("Conversations"),
                  "account": N_("Profiles")}
# Mastodon's web app offers these durations.
EXPIRY_CHOICES = (("", N_("Never")), ("1800", N_("30 minutes")), ("3600", N_("1 hour")),
                  ("21600", N_("6 hours")), ("43200", N_("12 hours")), ("86400", N_("1 day")),
                  ("604800", N_("1 week")))
KEEP = "keep"  # the edit form's "leave the expiry as it is"


def _blank() -> dict[str, Any]:
    return {"phrase": "", "whole_word": True, "contexts": list(filters.CONTEXTS),
            "action": "warn", "expires_in": ""}


def _values(view: FilterView) -> dict[str, Any]:
    return {"phrase": view.phrase, "whole_word": view.whole_word,
            "contexts": list(view.contexts), "action": view.action, "expires_in": KEEP}


def _posted(form: MultiDictProxy[Any]) -> dict[str, Any]:
    return {"phrase": field(form, "phrase", filters.MAX_PHRASE + 50),
            "whole_word": field(form, "whole_word", 8) == "1",
            "contexts": [c for c in form.getall("context", []) if c in filters.CONTEXTS],
            "action": field(form, "action", 8),
            "expires_in": field(form, "expires_in", 12)}


def _expiry(raw: str) -> int | None:
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(N_("choose when the filter expires from the list")) from None


def _context(request: web.Request, **more: Any) -> dict[str, Any]:
    return {"section": "filters", "context_labels": CONTEXT_LABELS,
            "expiry_choices": EXPIRY_CHOICES, "keep": KEEP, "error": None,
            "max_phrase": filters.MAX_PHRASE, **more}


async def filters_page(request: web.Request, *, form: dict[str, Any] | None = None,
                       error: str | None = None, status: int = 200) -> web.StreamResponse:
    user = require_user(request)
    found = await filters.list_filters(request.app[appkeys.SERVICES], user.username)
    return render(request, "settings_filters.html", _context(
        request, filters=found, form=form or _blank(), error=error,
        done=request.query.get("done", "")[:16]), status=status)


async def create_filter(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    values = _posted(await request.post())
    try:
        await filters.add_filter(
            request.app[appkeys.SERVICES], user.username, values["phrase"],
            contexts=values["contexts"], action=values["action"],
            whole_word=values["whole_word"], expires_in=_expiry(values["expires_in"]))
    except ServiceError as exc:
        return await filters_page(request, form=values, error=page_message(exc),
                                  status=status_for(exc))
    return see_other("/settings/filters?done=added")


async def _edit_page(request: web.Request, view: FilterView, form: dict[str, Any], *,
                     error: str | None = None, status: int = 200) -> web.StreamResponse:
    return render(request, "settings_filter_edit.html", _context(
        request, filter=view, form=form, error=error), status=status)


async def _mine(request: web.Request, username: str) -> FilterView:
    filter_id = parse_id(request.match_info["filter_id"])
    if filter_id is None:
        raise NotFound(N_("you have no such filter"))
    return await filters.get_filter(request.app[appkeys.SERVICES], username, filter_id)


async def edit_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    try:
        view = await _mine(request, user.username)
    except NotFound:
        raise web.HTTPNotFound(text=_("You have no such filter.")) from None
    return await _edit_page(request, view, _values(view))


async def update_filter(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    values = _posted(await request.post())
    try:
        view = await _mine(request, user.username)
    except NotFound:
        raise web.HTTPNotFound(text=_("You have no such filter.")) from None
    keep = values["expires_in"] == KEEP
    try:
        await filters.update_filter(
            request.app[appkeys.SERVICES], user.username, view.id, FilterChange(
                phrase=values["phrase"], whole_word=values["whole_word"],
                contexts=values["contexts"], action=values["action"] or None,
                set_expiry=not keep,
                expires_in=None if keep else _expiry(values["expires_in"])))
    except ServiceError as exc:
        return await _edit_page(request, view, values, error=page_message(exc),
                                status=status_for(exc))
    return see_other("/settings/filters?done=saved")


async def delete_filter(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    filter_id = parse_id(request.match_info["filter_id"])
    try:
        if filter_id is None:
            raise NotFound(N_("you have no such filter"))
        await filters.remove_filter(request.app[appkeys.SERVICES], user.username, filter_id)
    except ServiceError as exc:
        return await filters_page(request, error=page_message(exc), status=status_for(exc))
    return see_other("/settings/filters?done=deleted")


async def _list(request: web.Request) -> web.StreamResponse:
    return await filters_page(request)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings/filters", _list, name="settings_filters")
    app.router.add_post("/settings/filters", create_filter)
    app.router.add_get("/settings/filters/{filter_id}", edit_form, name="settings_filter")
    app.router.add_post("/settings/filters/{filter_id}", update_filter)
    app.router.add_post("/settings/filters/{filter_id}/delete", delete_filter)
