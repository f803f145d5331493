"""/admin/deliveries: dead-lettered jobs (failed deliveries and any other job that ran out
of retries), with retry (one or all) and purge; `dreamfeed jobs ...` does the same."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin.common import (
    Form,
    action,
    confirm,
    form_id,
    page,
    require_admin,
    services,
)
from server.handlers.web.common import field
from server.i18n import gettext as _
from server.i18n import ngettext
from server.services.accounts.web_sessions import SignedIn
from server.services.moderation import dead_letters
from storage.ids import parse_id

PAGE = 50


async def dead_page(request: web.Request) -> web.Response:
    require_admin(request)
    kind = request.query.get("kind", "")[:64]
    found = await dead_letters.list_dead(services(request).db, limit=PAGE, kind=kind or None,
                                         after_id=parse_id(request.query.get("after")))
    return await page(request, "admin_deliveries.html", "deliveries", {
        "dead": found, "kind": kind})


@action("/admin/deliveries")
async def retry(request: web.Request, form: Form, user: SignedIn) -> str:
    ids = None if field(form, "all") == "yes" else [form_id(form, "id")]
    count = await dead_letters.retry(services(request).db, ids,
                                     actor_account_id=user.account_id)
    if ids is not None and not count:
        return _("job %(id)s is not dead any more: nothing to retry", id=ids[0])
    return ngettext("requeued %(num)s dead job", "requeued %(num)s dead jobs", count)


@action("/admin/deliveries")
async def purge(request: web.Request, form: Form, user: SignedIn) -> str:
    confirm(form)
    count = await dead_letters.purge(services(request).db, actor_account_id=user.account_id)
    return ngettext("purged %(num)s dead job", "purged %(num)s dead jobs", count)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin/deliveries", dead_page)
    app.router.add_post("/admin/deliveries/retry", retry)
    app.router.add_post("/admin/deliveries/purge", purge)
