"""Lists in the web app (Mastodon's lists; server.services.social.lists decides): the Lists
page (/lists: create, each list's link), a list's timeline (/lists/ID, with its settings:
rename, replies policy, exclusive, delete), its members (/lists/ID/members: remove, and add
from a search among the accounts one follows), and the profile menu's page (/lists/
membership?account=HANDLE) that puts one account in or out of each list.

Plain forms that redirect back (303); a list that is not the viewer's is missing (404)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import (
    failed,
    field,
    page_cursor,
    page_message,
    refused,
    see_other,
)
from server.i18n import N_, ngettext
from server.i18n import gettext as _
from server.services.context import Services
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.reading import feeds
from server.services.reading import lists as list_views
from server.services.social import lists as list_service
from storage.ids import parse_id

HANDLE_LIMIT = 400
# Translated where the pages show them.
POLICY_LABELS = {
    "list": N_("Replies to members of the list"),
    "followed": N_("Replies to anyone you follow"),
    "none": N_("No replies to others"),
}
ONLY_FOLLOWED = N_("Only accounts you follow can be in a list.")


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def _list_id(request: web.Request) -> int:
    found = parse_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text=_("no such list"))
    return found


def _checked(form: MultiDictProxy[Any], name: str) -> bool:
    # An unticked box is absent from the form.
    return field(form, name, 8) in ("1", "on", "true")


def _not_found(request: web.Request) -> web.Response:
    return failed(request, _("That list does not exist, or it is not yours."), status=404)


# --- the lists -------------------------------------------------------------------------------


async def lists_page(request: web.Request, *, error: str | None = None,
                     status: int = 200) -> web.Response:
    user = require_user(request)
    rows = await list_service.lists_of(_services(request), user.account_id)
    return render(request, "lists.html", {
        "lists": rows, "policies": POLICY_LABELS, "error": error, "active_page": "lists"},
        status=status)


async def create(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        row = await list_service.create_list(
            _services(request), user.account_id, field(form, "title", 300),
            replies_policy=field(form, "replies_policy", 16) or "list",
            exclusive=_checked(form, "exclusive"))
    except ServiceError as exc:
        return await lists_page(request, error=_message(exc), status=422)
    return see_other(f"/lists/{row.id}")


def _message(exc: ServiceError) -> str:
    """The service speaks Mastodon's API words ("Validation failed: Title can't be blank");
    a page says it plainly, in the reader's language."""
    text = str(exc)
    if "Title can't be blank" in text:
        return _("Give the list a name.")
    if "Title is too long" in text:
        return ngettext("A list's name is at most %(num)s character.",
                        "A list's name is at most %(num)s characters.", list_service.MAX_TITLE)
    if "at most" in text and "lists" in text:
        return ngettext("You can have at most %(num)s list.",
                        "You can have at most %(num)s lists.", list_service.MAX_LISTS)
    if "replies_policy" in text:
        return _("Choose which replies the list shows.")
    return page_message(exc)


# --- one list ----------------------------------------------------------------------------------


async def list_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    services = _services(request)
    list_id = _list_id(request)
    page_query = page_cursor(request)
    try:
        row = await list_service.get_list(services, user.account_id, list_id)
        page = await feeds.list_feed(services, user.account_id, list_id, page_query)
    except NotFound:
        return _not_found(request)
    partial = request.query.get("partial") == "1"
    more = (f"{request.path}?{urlencode({'max_id': page.next_max_id})}"
            if page.next_max_id is not None else None)
    context = {"list": row, "cards": page.cards, "more_url": more, "partial": partial,
               "next_path": request.path, "policies": POLICY_LABELS, "active_page": "lists",
               "error": request.query.get("error", "")[:200]}
    return render(request, "_feed_items.html" if partial else "list.html", context)


async def update(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    list_id = _list_id(request)
    changes = list_service.ListChanges(
        title=field(form, "title", 300), replies_policy=field(form, "replies_policy", 16),
        exclusive=_checked(form, "exclusive"))
    try:
        await list_service.update_list(_services(request), user.account_id, list_id, changes)
    except NotFound:
        return _not_found(request)
    except ServiceError as exc:
        return see_other(f"/lists/{list_id}?{urlencode({'error': _message(exc)})}")
    return see_other(f"/lists/{list_id}")


async def delete(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    await request.post()
    try:
        await list_service.delete_list(_services(request), user.account_id,
                                       _list_id(request))
    except NotFound:
        return _not_found(request)
    return see_other("/lists")


# --- members -----------------------------------------------------------------------------------


async def members_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    services = _services(request)
    list_id = _list_id(request)
    query = request.query.get("q", "")[:200].strip()
    try:
        row = await list_service.get_list(services, user.account_id, list_id)
        members = await list_views.members(services, user.account_id, list_id)
    except NotFound:
        return _not_found(request)
    try:
        found = await list_views.followed_matching(services, user.account_id, query) \
            if query else []
    except ServiceError as exc:
        return refused(request, exc)
    inside = {card.id for card in members}
    return render(request, "list_members.html", {
        "list": row, "members": members, "query": query, "active_page": "lists",
        "found": [card for card in found if card.id not in inside],
        "error": request.query.get("error", "")[:200]})


async def member_action(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    list_id = _list_id(request)
    account_id = parse_id(field(form, "account_id", 24))
    back = f"/lists/{list_id}/members"
    query = field(form, "q", 200)
    if query:
        back += "?" + urlencode({"q": query})
    if account_id is None:
        return failed(request, _("Which account? The form named none."), status=400)
    action = list_service.add_members if request.match_info["action"] == "add" \
        else list_service.remove_members
    try:
        await action(_services(request), user.account_id, list_id, [account_id])
    except NotFound as exc:
        if "only followed" in str(exc):
            sep = "&" if "?" in back else "?"
            return see_other(back + sep + urlencode(
                {"error": _(ONLY_FOLLOWED)}))
        return _not_found(request)
    except ServiceError as exc:
        return refused(request, exc)
    return see_other(back)


# --- one account's lists (the profile menu) ------------------------------------------------


async def membership_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    handle = request.query.get("account", "")[:HANDLE_LIMIT].strip()
    if not handle:
        return failed(request, _("Which account? The link named none."), status=400)
    try:
        view = await list_views.membership(_services(request), user.account_id, handle)
    except NotFound as exc:
        return failed(request, page_message(exc), status=404)
    return render(request, "list_membership.html", {
        "membership": view, "handle": handle, "active_page": "lists",
        "saved": request.query.get("saved") == "1"})


async def set_membership(request: web.Request) -> web.StreamResponse:
    """Puts the account in the ticked lists and takes it out of the others."""
    user = require_user(request)
    form = await request.post()
    services = _services(request)
    handle = field(form, "account", HANDLE_LIMIT).strip()
    wanted = {parse_id(raw) for raw in form.getall("list", []) if isinstance(raw, str)}
    try:
        view = await list_views.membership(services, user.account_id, handle)
        for row in view.lists:
            if row.id in wanted and row.id not in view.holding:
                await list_service.add_members(services, user.account_id, row.id,
                                               [view.account.id])
            elif row.id not in wanted and row.id in view.holding:
                await list_service.remove_members(services, user.account_id, row.id,
                                                  [view.account.id])
    except NotFound as exc:
        if "only followed" in str(exc):
            return failed(request, _(ONLY_FOLLOWED), status=422)
        return failed(request, page_message(exc), status=404)
    except InvalidInput as exc:
        return refused(request, exc)
    return see_other("/lists/membership?" + urlencode({"account": handle, "saved": "1"}))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/lists", lists_page, name="lists")
    app.router.add_post("/lists", create)
    app.router.add_get("/lists/membership", membership_page)
    app.router.add_post("/lists/membership", set_membership)
    app.router.add_get(r"/lists/{id:\d+}", list_page)
    app.router.add_post(r"/lists/{id:\d+}", update)
    app.router.add_post(r"/lists/{id:\d+}/delete", delete)
    app.router.add_get(r"/lists/{id:\d+}/members", members_page)
    app.router.add_post(r"/lists/{id:\d+}/members/{action:add|remove}", member_action)
