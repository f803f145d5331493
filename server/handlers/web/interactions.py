"""Interaction controls in the web app: the signed-in user's defaults for who may reply to
and boost their posts (/settings/interactions), and the replies, boosts and likes waiting
for their approval (/interactions), each with Approve and Reject."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import field, refused, see_other, wants_json
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts import interaction_settings
from server.services.errors import ServiceError
from server.services.statuses import interaction_approvals
from server.services.statuses.interaction_policy import CHOICE_LABELS, CHOSEN
from server.services.statuses.quotes import APPROVAL_LABELS, DEFAULT_KEY
from storage.ids import parse_id

# Translated where a page shows them.
VERBS = {"reply": N_("reply"), "announce": N_("boost"), "like": N_("like")}
# What the requests page says after a decision (interaction_requests.html).
DONE = {"approve": "approved", "reject": "rejected"}


async def settings_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    chosen = await interaction_settings.defaults(request.app[appkeys.SERVICES], user.username)
    return render(request, "settings_interactions.html", {
        "section": "interactions", "chosen": chosen, "labels": CHOICE_LABELS,
        "policies": [(i.sub_policy, VERBS[i.key]) for i in CHOSEN], "error": None,
        "quote_key": DEFAULT_KEY, "quote_labels": APPROVAL_LABELS,
        "saved": request.query.get("saved") == "1"})


async def save_settings(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    values = {i.sub_policy: field(form, i.sub_policy, 32) for i in CHOSEN}
    values[DEFAULT_KEY] = field(form, DEFAULT_KEY, 32)
    try:
        await interaction_settings.set_defaults(request.app[appkeys.SERVICES], user.username,
                                                values)
    except ServiceError as exc:
        return refused(request, exc)
    if wants_json(request):
        return web.json_response({"ok": True})
    return see_other("/settings/interactions?saved=1")


async def requests_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    pending = await interaction_approvals.pending_requests(request.app[appkeys.SERVICES],
                                                           user.username)
    return render(request, "interaction_requests.html", {
        "requests": pending, "done": request.query.get("done", "")})


async def decide(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    request_id = parse_id(request.match_info["request_id"])
    decision = request.match_info["decision"]
    services = request.app[appkeys.SERVICES]
    try:
        if request_id is None:
            raise web.HTTPNotFound(text=_("no such request"))
        if decision == "approve":
            await interaction_approvals.approve(services, user.username, request_id)
        else:
            await interaction_approvals.reject(services, user.username, request_id)
    except ServiceError as exc:
        return refused(request, exc)
    if wants_json(request):
        return web.json_response({"ok": True})
    return see_other(f"/interactions?done={DONE[decision]}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings/interactions", settings_form, name="settings_interactions")
    app.router.add_post("/settings/interactions", save_settings)
    app.router.add_get("/interactions", requests_page, name="interaction_requests")
    app.router.add_post("/interactions/{request_id}/{decision:approve|reject}", decide)
