"""/admin/accounts: find accounts (local and remote), an account's page with its moderation
state and audit entries; suspend, unsuspend, silence, unsilence, and switch image generation
off or on for local users. /admin/generation: the users whose generation is off, and the
latest refused prompts."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin.common import (
    Form,
    action,
    confirm,
    next_max_id,
    page,
    page_of,
    path_id,
    require_admin,
    services,
)
from server.handlers.web.common import field, said
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import InvalidInput, NotFound
from server.services.generation import prompt_moderation
from server.services.moderation import account_moderation
from server.services.reading import admin_console

MAX_REASON = 500
# action -> (service function, the notice saying it is done, needs the "I understand" box)
MODERATION: dict[str, tuple[account_moderation.Moderate, str, bool]] = {
    "suspend": (account_moderation.suspend, N_("%(account)s suspended"), True),
    "unsuspend": (account_moderation.unsuspend, N_("%(account)s unsuspended"), False),
    "silence": (account_moderation.silence, N_("%(account)s silenced"), False),
    "unsilence": (account_moderation.unsilence, N_("%(account)s unsilenced"), False),
}
# (switched on, changed) -> the generation switch's notice.
GENERATION_NOTICES = {
    (True, True): N_("generation enabled for @%(username)s"),
    (False, True): N_("generation disabled for @%(username)s"),
    (True, False): N_("generation was already enabled for @%(username)s"),
    (False, False): N_("generation was already disabled for @%(username)s"),
}


async def account_list(request: web.Request) -> web.Response:
    require_admin(request)
    text = request.query.get("q", "")[:200]
    origin = request.query.get("origin", "")
    state = request.query.get("state", "")
    found = await admin_console.find_accounts(services(request), page_of(request), text=text,
                                              origin=origin, state=state)
    return await page(request, "admin_accounts.html", "accounts", {
        "accounts": found, "q": text, "origin": origin if origin in admin_console.ORIGINS else "",
        "state": state if state in admin_console.STATES else "", "next_max_id": next_max_id(found)})


async def account_page(request: web.Request) -> web.Response:
    require_admin(request)
    try:
        found = await admin_console.account_page(services(request), path_id(request))
    except NotFound as exc:
        raise web.HTTPNotFound(text=said(exc)) from None
    return await page(request, "admin_account.html", "accounts", {"page": found})


@action("/admin/accounts/{id}")
async def moderate(request: web.Request, form: Form, user: SignedIn) -> str:
    name = request.match_info["action"]
    function, notice, destructive = MODERATION[name]
    if destructive:
        confirm(form)
    svc = services(request)
    summary = await admin_console.account_summary(svc, path_id(request))
    if summary.local and summary.id == user.account_id and name in ("suspend", "silence"):
        raise InvalidInput(N_("you cannot restrict your own account from here"))
    account = await function(svc, summary.uri, reason=field(form, "reason", MAX_REASON) or None,
                             actor_account_id=user.account_id)
    return _(notice, account=account_moderation.handle_of(account, svc))


@action("/admin/accounts/{id}")
async def generation(request: web.Request, form: Form, user: SignedIn) -> str:
    enabled = request.match_info["switch"] == "enable"
    svc = services(request)
    summary = await admin_console.account_summary(svc, path_id(request))
    if not summary.local:
        raise InvalidInput(N_("image generation can only be switched for local users"))
    changed = await prompt_moderation.set_generation(
        svc.db, summary.username, enabled=enabled, reason=field(form, "reason", MAX_REASON),
        actor_account_id=user.account_id)
    return _(GENERATION_NOTICES[enabled, changed], username=summary.username)


async def generation_page(request: web.Request) -> web.Response:
    require_admin(request)
    disabled, refusals = await admin_console.generation_overview(services(request))
    return await page(request, "admin_generation.html", "generation", {
        "disabled": disabled, "refusals": refusals})


@action("/admin/generation")
async def disable_by_name(request: web.Request, form: Form, user: SignedIn) -> str:
    username = field(form, "username", 64).strip().lstrip("@")
    changed = await prompt_moderation.set_generation(
        services(request).db, username, enabled=False,
        reason=field(form, "reason", MAX_REASON), actor_account_id=user.account_id)
    return _(GENERATION_NOTICES[False, changed], username=username)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/accounts", account_list)
    app.router.add_get(r"/admin/accounts/{id:\d+}", account_page)
    app.router.add_post(r"/admin/accounts/{id:\d+}/{action:suspend|unsuspend|silence|"
                        r"unsilence}", moderate)
    app.router.add_post(r"/admin/accounts/{id:\d+}/generation/{switch:enable|disable}",
                        generation)
    app.router.add_get("/admin/generation", generation_page)
    app.router.add_post("/admin/generation/disable", disable_by_name)
