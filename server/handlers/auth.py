"""Sign-up, sign-in and sign-out pages (/auth/...), and invite links (/invite/CODE).

CSRF is checked by server.handlers.session's middleware before these handlers run; sign-up
and sign-in attempts are rate limited per client address.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.handlers.session import (
    clear_session_cookie,
    current_user,
    render,
    set_session_cookie,
)
from server.handlers.web.common import page_message, safe_next
from server.i18n import gettext
from server.middlewares import CLIENT_IP
from server.services.accounts import registrations, web_sessions
from server.services.errors import ServiceError

MAX_FIELD = 1024


def _field(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name, "")
    return value[:MAX_FIELD * 4] if isinstance(value, str) else ""


def _see_other(location: str) -> web.Response:
    # 303 after a POST: the browser follows with a GET.
    return web.Response(status=303, headers={"Location": location})


def _refused(request: web.Request, template: str, context: dict[str, Any],
             exc: ServiceError) -> web.Response:
    """The form again, saying why, with the status of server.handlers.errors' table."""
    response = render(request, template, {**context, "error": page_message(exc)},
                      status=status_for(exc))
    response.headers.update(retry_headers(exc))
    return response


# --- sign up ---------------------------------------------------------------------------------


def _sign_up_context(request: web.Request, values: dict[str, str]) -> dict[str, Any]:
    instance = request.app[appkeys.CONFIG].instance
    mode = instance.registrations
    # The invite field only where one is needed, or where an invite link filled it in.
    return {"mode": mode, "values": values, "error": None, "rules": instance.rules,
            "ask_invite": mode in ("invite", "closed") or bool(values.get("invite_code")),
            "show_reason": mode == "approval" and not values.get("invite_code")}


async def sign_up_form(request: web.Request) -> web.StreamResponse:
    values = {"invite_code": request.query.get("invite", "")[:64]}
    return render(request, "auth_sign_up.html", _sign_up_context(request, values))


async def sign_up(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {name: _field(form, name) for name in
              ("username", "email", "reason", "invite_code", "agreement")}
    context = _sign_up_context(request, values)
    if _field(form, "password") != _field(form, "password_confirmation"):
        return render(request, "auth_sign_up.html",
                      {**context, "error": gettext("The two passwords do not match.")}, status=422)
    try:
        result = await registrations.sign_up(
            request.app[appkeys.DATABASE], request.app[appkeys.CONFIG],
            username=values["username"], password=_field(form, "password"),
            email=values["email"], reason=values["reason"],
            invite_code=values["invite_code"], ip=request[CLIENT_IP],
            agreed=values["agreement"] in ("1", "on", "true"),
            limiter=request.app[appkeys.SERVICES].limiter)
    except ServiceError as exc:
        return _refused(request, "auth_sign_up.html", context, exc)
    if not result.approved:
        return render(request, "auth_pending.html", {"username": result.user.username})
    new = result.user
    token, _ = await web_sessions.start_session(
        request.app[appkeys.DATABASE], user_id=new.user_id, account_id=new.account_id,
        username=new.username, admin=False, ip=request[CLIENT_IP],
        user_agent=request.headers.get("User-Agent", ""))
    # Straight to the getting-started steps rather than an empty home.
    return await _signed_in(request, token, "/welcome")


async def invite_link(request: web.Request) -> web.StreamResponse:
    """/invite/CODE: checked, then on to the sign-up form with the code filled in."""
    code = request.match_info["code"]
    try:
        await registrations.check_invite(request.app[appkeys.DATABASE], code)
    except ServiceError as exc:
        return render(request, "auth_error.html", {
            "title": gettext("Invalid invite"), "message": page_message(exc)}, status=404)
    location = request.app.router["sign_up"].url_for().with_query(invite=code)
    raise web.HTTPSeeOther(location)


# --- sign in and out -------------------------------------------------------------------------


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    if current_user(request) is not None:
        raise web.HTTPSeeOther("/")
    return render(request, "auth_sign_in.html", {
        "values": {"login": "", "next": safe_next(request.query.get("next", "/"))},
        "error": None})


async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {"login": _field(form, "login"), "next": safe_next(_field(form, "next"))}
    context = {"values": values, "error": None}
    try:
        token, _ = await web_sessions.sign_in(
            request.app[appkeys.DATABASE], values["login"], _field(form, "password"),
            ip=request[CLIENT_IP], user_agent=request.headers.get("User-Agent", ""),
            limiter=request.app[appkeys.SERVICES].limiter)
    except ServiceError as exc:
        return _refused(request, "auth_sign_in.html", context, exc)
    return await _signed_in(request, token, values["next"])


async def _signed_in(request: web.Request, token: str, next_path: str) -> web.Response:
    """Hand the browser its new session; a session it held before (another user's) ends."""
    previous = current_user(request)
    if previous is not None:
        await web_sessions.sign_out(request.app[appkeys.DATABASE], previous.session_id)
    response = _see_other(next_path)
    set_session_cookie(request, response, token)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    user = current_user(request)
    if user is not None:
        await web_sessions.sign_out(request.app[appkeys.DATABASE], user.session_id)
    response = _see_other("/")
    clear_session_cookie(response)
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/auth/sign_up", sign_up_form, name="sign_up")
    app.router.add_post("/auth/sign_up", sign_up)
    app.router.add_get("/auth/sign_in", sign_in_form, name="sign_in")
    app.router.add_post("/auth/sign_in", sign_in)
    app.router.add_post("/auth/sign_out", sign_out)
    app.router.add_get("/invite/{code}", invite_link)
