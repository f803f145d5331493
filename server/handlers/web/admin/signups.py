"""/admin/registrations (the sign-up approval queue) and /admin/invites (invite codes)."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin.common import (
    Form,
    action,
    confirm,
    page,
    require_admin,
    services,
)
from server.handlers.web.common import field
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts import registrations
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import InvalidInput

# The expiry choices Mastodon's invite form offers, in seconds ("" = never); the labels are
# translated where the page shows them.
EXPIRIES = (("", N_("Never")), ("1800", N_("30 minutes")), ("3600", N_("1 hour")),
            ("21600", N_("6 hours")), ("43200", N_("12 hours")), ("86400", N_("1 day")),
            ("604800", N_("1 week")))
MAX_USES = (("", N_("No limit")), ("1", N_("1 use")), ("5", N_("5 uses")), ("10", N_("10 uses")),
            ("25", N_("25 uses")), ("50", N_("50 uses")), ("100", N_("100 uses")))


async def queue(request: web.Request) -> web.Response:
    require_admin(request)
    svc = services(request)
    return await page(request, "admin_registrations.html", "registrations", {
        "pending": await registrations.pending(svc.db),
        "mode": svc.config.instance.registrations})


@action("/admin/registrations")
async def approve(request: web.Request, form: Form, user: SignedIn) -> str:
    username = field(form, "username", 64)
    await registrations.approve(services(request).db, username,
                                actor_account_id=user.account_id)
    return _("approved @%(username)s: they can sign in now", username=username.strip().lower())


@action("/admin/registrations")
async def reject(request: web.Request, form: Form, user: SignedIn) -> str:
    confirm(form)  # the sign-up is deleted
    username = field(form, "username", 64)
    await registrations.reject(services(request).db, username,
                               actor_account_id=user.account_id)
    return _("rejected @%(username)s: the sign-up was deleted",
             username=username.strip().lower())


async def invites(request: web.Request) -> web.Response:
    require_admin(request)
    svc = services(request)
    include_all = request.query.get("all") == "1"
    return await page(request, "admin_invites.html", "invites", {
        "invites": await registrations.list_invites(svc.db, include_inactive=include_all),
        "all": include_all, "base_url": svc.config.base_url,
        "expiries": [(value, _(label)) for value, label in EXPIRIES],
        "max_uses": [(value, _(label)) for value, label in MAX_USES],
        "mode": svc.config.instance.registrations})


def _whole(form: Form, name: str, refusal: str) -> int | None:
    """The field as a number; `refusal` (an N_ message) when it is not one."""
    text = field(form, name, 16).strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(refusal)
    return int(text)


@action("/admin/invites")
async def create_invite(request: web.Request, form: Form, user: SignedIn) -> str:
    invite = await registrations.create_invite(
        services(request).db, actor_account_id=user.account_id,
        max_uses=_whole(form, "max_uses", N_("max uses must be a whole number")),
        expires_in=_whole(form, "expires_in", N_("expires in must be a whole number")),
        comment=field(form, "comment", 1000))
    return _("invite %(code)s created", code=invite.code)


@action("/admin/invites")
async def revoke_invite(request: web.Request, form: Form, user: SignedIn) -> str:
    code = field(form, "code", 64)
    await registrations.revoke_invite(services(request).db, code,
                                      actor_account_id=user.account_id)
    return _("invite %(code)s revoked", code=code.strip())


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/registrations", queue)
    app.router.add_post("/admin/registrations/approve", approve)
    app.router.add_post("/admin/registrations/reject", reject)
    app.router.add_get("/admin/invites", invites)
    app.router.add_post("/admin/invites/create", create_invite)
    app.router.add_post("/admin/invites/revoke", revoke_invite)
