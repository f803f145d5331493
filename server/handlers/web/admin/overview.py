"""GET /admin (the dashboard) and /admin/audit (the moderation log, newest first)."""

from __future__ import annotations

from aiohttp import web

from server.handlers.web.admin.common import (
    next_max_id,
    page,
    page_of,
    require_admin,
    services,
)
from server.services.reading import admin_console


async def dashboard(request: web.Request) -> web.Response:
    require_admin(request)
    recent = await admin_console.audit_log(services(request), page_of(request, 8))
    return await page(request, "admin_dashboard.html", "dashboard", {"recent": recent})


async def audit_log(request: web.Request) -> web.Response:
    require_admin(request)
    action = request.query.get("action", "")[:64]
    entries = await admin_console.audit_log(services(request), page_of(request),
                                            action=action or None)
    return await page(request, "admin_audit.html", "audit", {
        "entries": entries, "action": action, "next_max_id": next_max_id(entries)})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/admin", dashboard, name="admin")
    app.router.add_get("/admin/audit", audit_log)
