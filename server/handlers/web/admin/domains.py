"""/admin/domains: domain blocks (silence, suspend or noop, with or without media) and the
allow-list, which [federation] allowlist_mode puts in force; listed either way."""

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
from server.services.accounts.web_sessions import SignedIn
from server.services.moderation import domain_blocks
from server.services.moderation.domain_policy import (
    NOOP,
    SEVERITIES,
    SILENCE,
    SUSPEND,
    normalize_domain,
)

MAX_DOMAIN = 255
MAX_COMMENT = 1000
# (what blocking did, media rejected) -> the notice; the severity is shown as its code, as
# the page's table shows it.
BLOCK_NOTICES = {
    ("created", False): N_("%(domain)s blocked: %(severity)s"),
    ("created", True): N_("%(domain)s blocked: %(severity)s, media rejected"),
    ("changed", False): N_("%(domain)s block updated: %(severity)s"),
    ("changed", True): N_("%(domain)s block updated: %(severity)s, media rejected"),
    ("same", False): N_("%(domain)s already blocked: %(severity)s"),
    ("same", True): N_("%(domain)s already blocked: %(severity)s, media rejected"),
}


async def domain_page(request: web.Request) -> web.Response:
    require_admin(request)
    svc = services(request)
    return await page(request, "admin_domains.html", "domains", {
        "blocks": await domain_blocks.list_blocks(svc),
        "allows": await domain_blocks.list_allows(svc),
        "allowlist_mode": svc.config.federation.allowlist_mode,
        "severities": SEVERITIES, "SILENCE": SILENCE, "SUSPEND": SUSPEND, "NOOP": NOOP})


@action("/admin/domains")
async def block(request: web.Request, form: Form, user: SignedIn) -> str:
    severity = field(form, "severity", 16) or SILENCE
    if severity == SUSPEND:
        confirm(form)  # a suspension removes the domain's data for good
    result = await domain_blocks.block_domain(
        services(request), field(form, "domain", MAX_DOMAIN), severity=severity,
        reject_media=field(form, "reject_media") == "yes",
        public_comment=field(form, "public_comment", MAX_COMMENT).strip(),
        private_comment=field(form, "private_comment", MAX_COMMENT).strip(),
        actor_account_id=user.account_id)
    view = result.block
    done = "created" if result.created else "changed" if result.changed else "same"
    return _(BLOCK_NOTICES[done, view.reject_media], domain=view.domain,
             severity=view.severity)


@action("/admin/domains")
async def unblock(request: web.Request, form: Form, user: SignedIn) -> str:
    view = await domain_blocks.unblock_domain(services(request), field(form, "domain", MAX_DOMAIN),
                                           actor_account_id=user.account_id)
    return _("%(domain)s unblocked (was %(severity)s)", domain=view.domain,
             severity=view.severity)


@action("/admin/domains")
async def allow(request: web.Request, form: Form, user: SignedIn) -> str:
    text = field(form, "domain", MAX_DOMAIN)
    added = await domain_blocks.allow_domain(services(request), text,
                                          actor_account_id=user.account_id)
    notice = N_("%(domain)s allowed") if added else N_("%(domain)s was already allowed")
    return _(notice, domain=normalize_domain(text))


@action("/admin/domains")
async def disallow(request: web.Request, form: Form, user: SignedIn) -> str:
    svc = services(request)
    if svc.config.federation.allowlist_mode:
        confirm(form)  # in allow-list mode the domain's data is removed
    text = field(form, "domain", MAX_DOMAIN)
    await domain_blocks.disallow_domain(svc, text, actor_account_id=user.account_id)
    return _("%(domain)s removed from the allow-list", domain=normalize_domain(text))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/domains", domain_page)
    app.router.add_post("/admin/domains/block", block)
    app.router.add_post("/admin/domains/unblock", unblock)
    app.router.add_post("/admin/domains/allow", allow)
    app.router.add_post("/admin/domains/disallow", disallow)
