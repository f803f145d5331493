"""Acting on accounts from the web app: follow, unfollow, block, unblock, mute, unmute (POST
/web/accounts/ACTION, field `handle` = user@host), answering follow
requests (/follow_requests) and reporting (/web/report).

Every action answers the new relationship as JSON for scripts ({"ok": true, "following":
..., "requested": ..., ...}) and otherwise redirects to the form's `next` (default: the
account's profile).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import status_for
from server.handlers.session import render, require_user
from server.handlers.web import search
from server.handlers.web.common import (
    done,
    failed,
    field,
    page_cursor,
    page_message,
    refused,
    wants_json,
)
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import (
    InvalidInput,
    NotFound,
    ServiceError,
)
from server.services.moderation import reports
from server.services.reading import profiles, timelines
from server.services.social import blocks, follows, mutes
from storage.ids import parse_id
from storage.pagination import Page

HANDLE_LIMIT = 400
REPORT_POSTS = 20
REQUESTS_PAGE = 40
# Translated where the report form shows them.
CATEGORY_LABELS = {
    "spam": N_("Spam: ads, scams, repetitive or misleading links"),
    "legal": N_("Illegal content"),
    "violation": N_("It breaks this server's rules"),
    "other": N_("Something else"),
}


def _mute_duration(form: MultiDictProxy[Any]) -> int | None:
    raw = field(form, "duration", 12).strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(N_("the mute's duration must be a number of seconds")) from None


async def _act(request: web.Request, user: SignedIn, action: str,
               form: MultiDictProxy[Any], handle: str) -> None:
    services = request.app[appkeys.SERVICES]
    if action == "follow":
        await follows.follow(services, user.username, handle)
    elif action == "unfollow":
        await follows.unfollow(services, user.username, handle)
    elif action == "block":
        await blocks.block(services, user.username, handle)
    elif action == "unblock":
        await blocks.unblock(services, user.username, handle)
    elif action == "mute":
        # An unticked box is absent from the form: notifications then stay visible.
        await mutes.mute(services, user.username, handle,
                         notifications=field(form, "notifications", 8) in ("1", "on", "true"),
                         duration=_mute_duration(form))
    else:
        await mutes.unmute(services, user.username, handle)


async def account_action(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    if not handle:
        return failed(request, _("Which account? The form named none."), status=400)
    services = request.app[appkeys.SERVICES]
    try:
        await _act(request, user, request.match_info["action"], form, handle)
    except ServiceError as exc:
        return refused(request, exc)
    rel, path = await profiles.relationship_with(services, user.account_id, handle)
    # The profile page's count follows the button (static/profiles.js).
    counts = {"followers_count": await profiles.followers_count(services, handle)} \
        if wants_json(request) and request.match_info["action"] in ("follow", "unfollow") \
        else {}
    return done(request, form, default=path or "/", **rel.as_json(), **counts)


# --- follow requests ----------------------------------------------------------------------


async def follow_requests_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    page = page_cursor(request, default=REQUESTS_PAGE, maximum=REQUESTS_PAGE)
    result = await profiles.follow_requests(request.app[appkeys.SERVICES], user.account_id,
                                            page)
    return render(request, "follow_requests.html", {
        "accounts": result.accounts,
        "next_url": (f"/follow_requests?max_id={result.next_max_id}"
                     if result.next_max_id else None)})


async def answer_request(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    approve = request.match_info["answer"] == "approve"
    try:
        await follows.answer_request(request.app[appkeys.SERVICES], user.username, handle,
                                     approve=approve)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default="/follow_requests", handle=handle,
                followed_by=approve)


# --- reports --------------------------------------------------------------------------------


async def _report_form(request: web.Request, user: SignedIn, handle: str,
                       chosen: set[int], *, error: str | None = None,
                       values: dict[str, str] | None = None,
                       status: int = 200) -> web.Response:
    services = request.app[appkeys.SERVICES]
    try:
        view = await profiles.profile(services, handle)
    except NotFound as exc:
        return failed(request, page_message(exc), status=404)
    try:
        items = await timelines.profile(services, view.handle, Page(limit=REPORT_POSTS),
                                        viewer=user.username)
    except NotFound:
        items = []
    own = [item for item in items
           if item.boosted_by is None and item.author_handle.lower() == view.handle.lower()]
    shown = {item.status_id for item in own}
    for status_id in sorted(chosen - shown):
        with suppress(NotFound):  # the post the report started from, older than the list
            own.insert(0, (await timelines.thread(services, status_id, user.username)).status)
    return render(request, "report.html", {
        "profile": view, "posts": own, "chosen": chosen,
        "categories": {key: _(label) for key, label in CATEGORY_LABELS.items()},
        "error": error, "values": values or {}, "done": None}, status=status)


async def report_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    handle = request.query.get("account", "")[:HANDLE_LIMIT].strip()
    if not handle:
        return failed(request, _("Which account do you want to report?"), status=400)
    post = parse_id(request.query.get("post"))
    return await _report_form(request, user, handle, {post} if post else set())


async def submit_report(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "account", HANDLE_LIMIT).strip()
    chosen = {value for value in (parse_id(raw) for raw in form.getall("post", [])
                                  if isinstance(raw, str)) if value is not None}
    values = {"category": field(form, "category", 32), "comment": field(form, "comment")}
    try:
        report = await reports.create_report(
            request.app[appkeys.SERVICES], user.username, handle, status_ids=sorted(chosen),
            comment=values["comment"], category=values["category"] or "other",
            forward=field(form, "forward", 8) in ("1", "on", "true"))
    except ServiceError as exc:
        return await _report_form(request, user, handle, chosen, error=page_message(exc),
                                  values=values, status=status_for(exc))
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"ok": True, "report_id": str(report.id)})
    return render(request, "report.html", {"done": report, "profile": None})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/web/accounts/{action:follow|unfollow|block|unblock|mute|unmute}",
                        account_action)
    app.router.add_get("/search", search.search_page)
    app.router.add_get("/follow_requests", follow_requests_page)
    app.router.add_post("/follow_requests/{answer:approve|reject}", answer_request)
    app.router.add_get("/web/report", report_page)
    app.router.add_post("/web/report", submit_report)
