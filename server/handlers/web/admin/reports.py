"""/admin/reports: open and resolved reports, one report with its posts, and what can be done
about it (resolve, reopen, forward to the remote server as a Flag). Suspending or silencing
the reported account posts to the account actions (/admin/accounts/{id}/...)."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin.common import (
    Form,
    action,
    next_max_id,
    page,
    page_of,
    path_id,
    require_admin,
    services,
)
from server.handlers.web.common import field, said
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import NotFound
from server.services.moderation import reports
from server.services.reading import admin_console


async def report_list(request: web.Request) -> web.Response:
    require_admin(request)
    state = request.query.get("state", "")
    # Open reports unless another state is asked for (STATES begins with open).
    state = state if state in reports.STATES else reports.STATES[0]
    views = await reports.list_reports(services(request), state, page_of(request))
    return await page(request, "admin_reports.html", "reports", {
        "reports": views, "state": state, "next_max_id": next_max_id(views)})


async def report_page(request: web.Request) -> web.Response:
    require_admin(request)
    try:
        found = await admin_console.report_page(services(request), path_id(request))
    except NotFound as exc:
        raise web.HTTPNotFound(text=said(exc)) from None
    return await page(request, "admin_report.html", "reports", {
        "page": found, "report": found.report, "categories": reports.CATEGORIES})


@action("/admin/reports/{id}")
async def resolve(request: web.Request, form: Form, user: SignedIn) -> str:
    report_id = path_id(request)
    await reports.resolve_report(services(request), report_id, note=field(form, "note", 1000),
                                 actor_account_id=user.account_id)
    return _("report %(id)s resolved", id=report_id)


@action("/admin/reports/{id}")
async def reopen(request: web.Request, form: Form, user: SignedIn) -> str:
    report_id = path_id(request)
    await reports.reopen_report(services(request), report_id,
                                actor_account_id=user.account_id)
    return _("report %(id)s reopened", id=report_id)


@action("/admin/reports/{id}")
async def forward(request: web.Request, form: Form, user: SignedIn) -> str:
    view = await reports.forward_report(services(request), path_id(request),
                                        actor_account_id=user.account_id)
    return _("report %(id)s forwarded to %(domain)s", id=view.id,
             domain=view.target.partition("@")[2])


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/reports", report_list)
    app.router.add_get(r"/admin/reports/{id:\d+}", report_page)
    app.router.add_post(r"/admin/reports/{id:\d+}/resolve", resolve)
    app.router.add_post(r"/admin/reports/{id:\d+}/reopen", reopen)
    app.router.add_post(r"/admin/reports/{id:\d+}/forward", forward)
