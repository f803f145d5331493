"""The signed-in user's settings: profile (display name, bio, avatar and header, uploaded or
generated from a prompt through the compose flow), password, and the apps with access to
the account (OAuth, revocable); the archive download is
/settings/export (server.handlers.export). Also serves the avatars and headers of local
accounts at /media/profiles/{account_id}/{file}."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.handlers.media import store_unavailable, stream_file
from server.handlers.session import render, require_user, set_session_cookie
from server.handlers.web.common import (
    field,
    page_message,
    refused,
    safe_next,
    see_other,
    wants_json,
)
from server.i18n import N_, gettext
from server.middlewares import CLIENT_IP
from server.services.accounts import posting_language, profile_settings, web_sessions
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import InvalidInput, NotFound, ServiceError
from server.services.media.stores import MediaStoreUnavailable
from server.services.oauth import authorizations
from storage.ids import parse_id

# Profile images are named by a digest of their bytes: a URL's content never changes.
IMMUTABLE = "public, max-age=31536000, immutable"


def _file(form: MultiDictProxy[Any], name: str) -> bytes | None:
    """An uploaded file's bytes; None when the field was left empty."""
    value = form.get(name)
    if not isinstance(value, FileField) or not value.filename:
        return None
    data = value.file.read()
    return data or None


# --- profile ---------------------------------------------------------------------------------


async def _profile_page(request: web.Request, user: SignedIn, *,
                        values: dict[str, str] | None = None, error: str | None = None,
                        status: int = 200) -> web.Response:
    services = request.app[appkeys.SERVICES]
    current = await profile_settings.profile(services, user.account_id)
    form: dict[str, Any] = {
        "display_name": current.display_name, "note": current.note,
        "language": await posting_language.chosen(services, user.account_id) or "",
        "fields": _field_rows([(f.get("name", ""), f.get("value", "")) for f in current.fields],
                              current.fields),
        **(values or {})}
    return render(request, "settings_profile.html", {
        "section": "profile", "profile": current, "form": form, "error": error,
        "saved": request.query.get("saved") == "1" and error is None,
        "max_display_name": profile_settings.MAX_DISPLAY_NAME,
        "max_note": profile_settings.MAX_NOTE,
        "max_field": profile_settings.MAX_FIELD_TEXT,
        "instance_language": services.config.instance.default_language}, status=status)


def _field_rows(pairs: list[tuple[str, str]],
                stored: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Always MAX_FIELDS rows for the form, blank ones after those given; a stored field
    whose link was checked says so."""
    verified = {f.get("value") for f in stored or [] if f.get("verified_at")}
    rows = [{"name": name, "value": value, "verified": value in verified}
            for name, value in pairs[:profile_settings.MAX_FIELDS]]
    blank = {"name": "", "value": "", "verified": False}
    return rows + [dict(blank) for _ in range(profile_settings.MAX_FIELDS - len(rows))]


def _form_fields(form: MultiDictProxy[Any]) -> list[tuple[str, str]] | None:
    """The form's field_name_N/field_value_N rows; None when the form has none (a script
    changing only the name keeps the fields)."""
    if not any(f"field_name_{i}" in form for i in range(profile_settings.MAX_FIELDS)):
        return None
    return [(field(form, f"field_name_{i}", 1000), field(form, f"field_value_{i}", 1000))
            for i in range(profile_settings.MAX_FIELDS)]


async def profile_form(request: web.Request) -> web.StreamResponse:
    return await _profile_page(request, require_user(request))


async def update_profile(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    fields = _form_fields(form)
    language = field(form, "language", 64) if "language" in form else None
    values: dict[str, Any] = {"display_name": field(form, "display_name", 400),
                              "note": field(form, "note", 4000)}
    if fields is not None:
        values["fields"] = _field_rows(fields)
    if language is not None:
        values["language"] = language
    try:
        if language is not None:  # checked first: a refused language changes nothing
            posting_language.check(language)
        await profile_settings.update_profile(
            services, services.media, user.account_id,
            display_name=values["display_name"], note=values["note"],
            avatar=_file(form, "avatar"), header=_file(form, "header"),
            remove_avatar=bool(field(form, "remove_avatar")),
            remove_header=bool(field(form, "remove_header")), fields=fields)
        if language is not None:
            await posting_language.set_default(services, user.account_id, language)
    except ServiceError as exc:
        if wants_json(request):
            return refused(request, exc)
        return await _profile_page(request, user, values=values, error=page_message(exc),
                                   status=status_for(exc))
    if wants_json(request):
        return web.json_response({"ok": True})
    return see_other("/settings/profile?saved=1")


async def use_picture(request: web.Request) -> web.StreamResponse:
    """One of the user's generated images becomes the avatar or header."""
    user = require_user(request)
    form = await request.post()
    media_id = parse_id(field(form, "media_id", 32))
    try:
        if media_id is None:
            raise NotFound(N_("there is no such image of yours"))
        await profile_settings.use_generated_image(
            request.app[appkeys.SERVICES], request.app[appkeys.SERVICES].media, user.account_id,
            media_id, field(form, "role", 16))
    except ServiceError as exc:
        if wants_json(request):
            return refused(request, exc)
        return await _profile_page(request, user, error=page_message(exc), status=status_for(exc))
    if wants_json(request):
        return web.json_response({"ok": True})
    target = safe_next(field(form, "next"), "/settings/profile")
    return see_other(target + "?saved=1" if target == "/settings/profile" else target)


async def profile_image(request: web.Request) -> web.StreamResponse:
    account_id = parse_id(request.match_info["account_id"])
    try:
        opened = None if account_id is None else await profile_settings.profile_image(
            request.app[appkeys.SERVICES], request.app[appkeys.SERVICES].media, account_id,
            request.match_info["filename"])
    except MediaStoreUnavailable as exc:
        raise store_unavailable(exc) from None
    if opened is None:
        raise web.HTTPNotFound(text=gettext("no such image"))
    return await stream_file(request, opened, "image/jpeg", {
        "Cache-Control": IMMUTABLE, "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff"})


# --- password --------------------------------------------------------------------------------


async def password_form(request: web.Request) -> web.StreamResponse:
    require_user(request)
    return render(request, "settings_password.html", {
        "section": "password", "error": None,
        "changed": request.query.get("changed") == "1"})


async def change_password(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    new = field(form, "new_password", 2048)
    try:
        if new != field(form, "new_password_confirmation", 2048):
            raise InvalidInput(N_("the two new passwords do not match"))
        token, _ = await web_sessions.change_password(
            request.app[appkeys.DATABASE], user, field(form, "current_password", 2048), new,
            ip=request[CLIENT_IP], user_agent=request.headers.get("User-Agent", ""),
            limiter=request.app[appkeys.SERVICES].limiter)
    except ServiceError as exc:
        if wants_json(request):
            return refused(request, exc)
        response = render(request, "settings_password.html", {
            "section": "password", "error": page_message(exc), "changed": False},
            status=status_for(exc))
        response.headers.update(retry_headers(exc))
        return response
    # Every session ended, this one too: the browser carries on with a fresh one.
    response = web.json_response({"ok": True}) if wants_json(request) \
        else see_other("/settings/password?changed=1")
    set_session_cookie(request, response, token)
    return response


# --- apps ------------------------------------------------------------------------------------


async def apps_page(request: web.Request) -> web.StreamResponse:
    """The apps holding access to the account (OAuth tokens), each with a Revoke button."""
    user = require_user(request)
    found = await authorizations.authorized_apps(request.app[appkeys.SERVICES], user.user_id)
    return render(request, "settings_apps.html", {
        "section": "apps", "apps": found, "revoked": request.query.get("revoked") == "1"})


async def revoke_app(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    app_id = parse_id(request.match_info["app_id"])
    if app_id is None or not await authorizations.revoke_app(
            request.app[appkeys.SERVICES], user.user_id, app_id):
        return refused(request, NotFound(N_("this app has no access to your account")))
    if wants_json(request):
        return web.json_response({"ok": True})
    return see_other("/settings/apps?revoked=1")


async def settings_index(request: web.Request) -> web.StreamResponse:
    require_user(request)
    return see_other("/settings/profile")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings", settings_index, name="settings")
    app.router.add_get("/settings/profile", profile_form, name="settings_profile")
    app.router.add_post("/settings/profile", update_profile)
    app.router.add_post("/settings/profile/picture", use_picture,
                        name="settings_profile_picture")
    app.router.add_get("/settings/password", password_form, name="settings_password")
    app.router.add_post("/settings/password", change_password)
    app.router.add_get("/settings/apps", apps_page, name="settings_apps")
    app.router.add_post("/settings/apps/{app_id}/revoke", revoke_app)
    app.router.add_get("/media/profiles/{account_id}/{filename}", profile_image,
                       name="profile_image")
