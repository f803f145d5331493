"""The authorization page apps send people to (GET /oauth/authorize, Mastodon's
oauth/authorizations_controller.rb): sign in if need be, then see the app's name and what it
asks for, and Authorize or Deny (a CSRF-checked form POST to the same path).

Authorizing sends the browser to the app's redirect URI with `code` and `state`; denying
with `error=access_denied`. With the out-of-band URI (urn:ietf:wg:oauth:2.0:oob) the code is
shown for the person to paste into the app. `force_login` asks for the password again (to
authorize another account); `lang` is accepted, and the page is in the reader's language
(as every page: server.handlers.web.settings_language).

The page's Content-Security-Policy has no form-action: browsers apply it to the form's
redirect too, and the redirect goes to the app (another origin, often a custom scheme), as
Mastodon drops form-action on this page for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server import appkeys
from server.handlers.session import current_user, render, require_user
from server.handlers.web.common import said, see_other
from server.i18n import gettext as _
from server.middlewares import content_security_policy
from server.services.accounts.web_sessions import SignedIn
from server.services.oauth import authorizations
from server.services.oauth.authorizations import AuthorizationRefused, AuthorizationRequest
from server.services.oauth.errors import DESCRIPTIONS

FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
          "code_challenge_method")
MAX_FIELD = 2048
# What Rails reads as false (ActiveModel::Type::Boolean), and Mastodon.py's "False".
FALSE_VALUES = frozenset({"", "0", "f", "false", "off", "no", "n"})


def _values(source: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in FIELDS:
        value = source.get(name, "")
        values[name] = value[:MAX_FIELD] if isinstance(value, str) else ""
    return values


def _private(request: web.Request, response: web.Response) -> web.Response:
    """No caching (the page holds a form token, the code page a code), and the policy
    without form-action (see the module's docstring)."""
    policy = content_security_policy(request.app[appkeys.CONFIG])
    response.headers["Content-Security-Policy"] = "; ".join(
        part for part in policy.split("; ") if not part.startswith("form-action"))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _refused(request: web.Request, exc: AuthorizationRefused) -> web.Response:
    location = exc.location()
    if location is not None:
        return see_other(location)
    return _private(request, render(request, "auth_error.html", {
        "title": _("Authorization failed"), "message": said(exc)}, status=400))


async def _check(request: web.Request,
                 values: dict[str, str]) -> AuthorizationRequest | web.Response:
    try:
        return await authorizations.check_request(request.app[appkeys.SERVICES], **values)
    except AuthorizationRefused as exc:
        return _refused(request, exc)


def _without_force_login(request: web.Request) -> str:
    """This page's address without force_login: where sign-in comes back to (with it, it
    would ask again and again)."""
    kept = [(name, value) for name, value in request.query.items() if name != "force_login"]
    return request.path + ("?" + urlencode(kept) if kept else "")


async def authorize_form(request: web.Request) -> web.StreamResponse:
    checked = await _check(request, _values(request.query))
    if isinstance(checked, web.Response):
        return checked
    force_login = request.query.get("force_login", "").lower() not in FALSE_VALUES
    user = current_user(request)
    if force_login:
        back = _without_force_login(request)
        if user is None:
            raise web.HTTPSeeOther(request.app.router["sign_in"].url_for()
                                   .with_query(next=back))
        # Signed in already: the sign-in form, which replaces this session with the one
        # it opens (server.handlers.auth), then back here.
        return _private(request, render(request, "auth_sign_in.html", {
            "values": {"login": "", "next": back}, "error": None}))
    return _consent(request, checked, require_user(request))


def _consent(request: web.Request, checked: AuthorizationRequest,
             user: SignedIn) -> web.Response:
    switch = request.path + "?" + urlencode(
        [*[(name, value) for name, value in request.query.items() if name != "force_login"],
         ("force_login", "true")])
    return _private(request, render(request, "oauth_authorize.html", {
        "authorization": checked, "user": user, "switch_account": switch}))


async def authorize(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    checked = await _check(request, _values(form))
    if isinstance(checked, web.Response):
        return checked
    # Only the Authorize button authorizes; anything else (Deny, a form without the
    # button's value) is a no.
    if form.get("decision") != "authorize":
        if checked.out_of_band:
            return _private(request, render(request, "oauth_code.html", {
                "authorization": checked, "code": None}))
        return see_other(checked.answer({"error": "access_denied",
                                         "error_description": DESCRIPTIONS["access_denied"]}))
    code = await authorizations.authorize(request.app[appkeys.SERVICES], checked,
                                          user.user_id)
    if checked.out_of_band:
        return _private(request, render(request, "oauth_code.html", {
            "authorization": checked, "code": code}))
    return see_other(checked.answer({"code": code}))


def setup_routes(app: web.Application) -> None:
    # toot and some other apps link to /oauth/authorize/ (Rails ignores the slash).
    for path in ("/oauth/authorize", "/oauth/authorize/"):
        app.router.add_get(path, authorize_form)
        app.router.add_post(path, authorize)
