"""The signed-in user's preferences (/settings/preferences) and the account itself
(/settings/account): the aliases ("also known as") that let another account move here, moving
this account's followers to another one, and deleting it. The same services as the client
API (preferences) and the `dreamfeed users alias|move|delete` commands (moves,
account_deletion); moving and deleting ask for the password again."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.handlers.session import clear_session_cookie, render, require_user
from server.handlers.web.common import field, page_message, see_other
from server.i18n import N_
from server.middlewares import CLIENT_IP
from server.services.accounts import account_deletion, moves, preferences, web_sessions
from server.services.accounts.preferences import PreferencesChange
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import ServiceError

HANDLE_LIMIT = 400
# Translated where the page shows them.
VISIBILITY_LABELS = {
    "public": (N_("Public"), N_("Anyone, shown in public timelines")),
    "unlisted": (N_("Unlisted"), N_("Anyone with the link, not in public timelines")),
    "private": (N_("Followers only"), N_("Only your followers")),
}
EXPAND_LABELS = {
    "default": N_("Blur images marked sensitive until I click them"),
    "show_all": N_("Always show images, even those marked sensitive"),
    "hide_all": N_("Blur every image until I click it"),
}


# --- preferences -----------------------------------------------------------------------------


async def preferences_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    chosen = await preferences.preferences(request.app[appkeys.SERVICES], user.account_id)
    return _preferences(request, {
        "visibility": chosen.visibility, "sensitive": chosen.sensitive,
        "language": chosen.language or "", "expand_media": chosen.expand_media,
        "reduce_motion": chosen.reduce_motion}, saved=request.query.get("saved") == "1")


def _preferences(request: web.Request, form: dict[str, Any], *, saved: bool = False,
                 error: str | None = None, status: int = 200) -> web.Response:
    return render(request, "settings_preferences.html", {
        "section": "preferences", "form": form, "saved": saved and error is None,
        "error": error, "visibilities": VISIBILITY_LABELS, "expand_labels": EXPAND_LABELS,
        "instance_language": request.app[appkeys.CONFIG].instance.default_language},
        status=status)


def _ticked(form: MultiDictProxy[Any], name: str) -> bool:
    # An unticked box is absent from the form.
    return field(form, name, 8) in ("1", "on", "true")


async def save_preferences(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    values: dict[str, Any] = {
        "visibility": field(form, "visibility", 16), "sensitive": _ticked(form, "sensitive"),
        "language": field(form, "language", 64).strip(),
        "expand_media": field(form, "expand_media", 16),
        "reduce_motion": _ticked(form, "reduce_motion")}
    try:
        await preferences.save(request.app[appkeys.SERVICES], user.account_id,
                               PreferencesChange(**values))
    except ServiceError as exc:
        return _preferences(request, values, error=page_message(exc), status=status_for(exc))
    return see_other("/settings/preferences?saved=1")


# --- the account: aliases, moving, deleting -------------------------------------------------


async def _account_page(request: web.Request, user: SignedIn, *, error: str | None = None,
                        status: int = 200, alias: str = "", target: str = "") -> web.Response:
    aliases = await moves.list_aliases(request.app[appkeys.SERVICES], user.username)
    query = request.query
    response = render(request, "settings_account.html", {
        "section": "account", "aliases": aliases, "error": error,
        "done": "" if error else query.get("done", "")[:16],
        "moved_followers": query.get("followers", "")[:12] if not error else "",
        "form_alias": alias, "form_target": target,
        "handle": f"{user.username}@{request.app[appkeys.CONFIG].instance.domain}"},
        status=status)
    return response


async def account_page(request: web.Request) -> web.StreamResponse:
    return await _account_page(request, require_user(request))


async def add_alias(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    alias = field(form, "alias", HANDLE_LIMIT).strip()
    try:
        await moves.add_alias(request.app[appkeys.SERVICES], user.username, alias)
    except ServiceError as exc:
        return await _account_page(request, user, error=page_message(exc),
                                   status=status_for(exc), alias=alias)
    return see_other("/settings/account?done=alias_added")


async def remove_alias(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        await moves.remove_alias(request.app[appkeys.SERVICES], user.username,
                                 field(form, "alias", 2048))
    except ServiceError as exc:
        return await _account_page(request, user, error=page_message(exc),
                                   status=status_for(exc))
    return see_other("/settings/account?done=alias_removed")


async def _confirmed(request: web.Request, user: SignedIn,
                     form: MultiDictProxy[Any]) -> None:
    await web_sessions.confirm_password(
        request.app[appkeys.DATABASE], user.user_id, field(form, "password", 2048),
        ip=request[CLIENT_IP], limiter=request.app[appkeys.SERVICES].limiter)


async def move_account(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    target = field(form, "target", HANDLE_LIMIT).strip()
    try:
        await _confirmed(request, user, form)
        result = await moves.move_account(request.app[appkeys.SERVICES], user.username,
                                          target)
    except ServiceError as exc:
        response = await _account_page(request, user, error=page_message(exc),
                                       status=status_for(exc), target=target)
        response.headers.update(retry_headers(exc))
        return response
    return see_other("/settings/account?" + urlencode(
        {"done": "moved", "followers": str(result.local_followers)}))


async def delete_account(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        await _confirmed(request, user, form)
        await account_deletion.delete_local_account(
            request.app[appkeys.SERVICES], user.username, actor_account_id=user.account_id)
    except ServiceError as exc:
        response = await _account_page(request, user, error=page_message(exc),
                                       status=status_for(exc))
        response.headers.update(retry_headers(exc))
        return response
    # Its sessions went with it: the browser's cookie opens nothing now.
    response = see_other("/settings/account/deleted")
    clear_session_cookie(response)
    return response


async def deleted_page(request: web.Request) -> web.StreamResponse:
    """Said once the account is gone (nobody is signed in any more)."""
    return render(request, "settings_account_deleted.html", {})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings/preferences", preferences_page, name="settings_preferences")
    app.router.add_post("/settings/preferences", save_preferences)
    app.router.add_get("/settings/account", account_page, name="settings_account")
    app.router.add_post("/settings/account/aliases", add_alias)
    app.router.add_post("/settings/account/aliases/remove", remove_alias)
    app.router.add_post("/settings/account/move", move_account)
    app.router.add_post("/settings/account/delete", delete_account)
    app.router.add_get("/settings/account/deleted", deleted_page,
                       name="settings_account_deleted")
