"""The signed-in user's muted and blocked accounts and blocked servers (/settings/mutes,
/settings/blocks, /settings/domain_blocks): each listed with a button to lift it, and after
that a one-click Undo that mutes or blocks again with what the lifted one had (a mute's
notifications choice and what was left of its duration), so a mistaken click loses nothing.
Plain forms, POST then redirect: the undo's state travels in the redirect's query, as it is
only the user's own choice being put back. A server is blocked from a small form here or
from a remote profile's menu (which comes back to the profile). The same services as the
profile buttons and the client API (server.services.social)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import done, field, page_message, refused, see_other
from server.services.errors import ServiceError
from server.services.social import blocks, domain_blocks, mutes
from storage.types import utcnow

HANDLE_LIMIT = 400
DOMAIN_LIMIT = 300
DOMAINS_PATH = "/settings/domain_blocks"


def _flash(request: web.Request) -> dict[str, Any]:
    """What the last action said: the lifted account (with what Undo needs), or an error."""
    query = request.query
    return {"undone": query.get("undone", "")[:HANDLE_LIMIT],
            "redone": query.get("redone", "")[:HANDLE_LIMIT],
            "undo_notifications": query.get("notifications") == "1",
            "undo_until": query.get("until", "")[:20],
            "error": query.get("error", "")[:300]}


def _remaining(until: str) -> int | None:
    """Seconds left of a lifted mute that had an end (as a Unix time); None: it had none.
    One that has run out by now is put back for a minute rather than forever."""
    if not until.isdigit():
        return None
    left = int(until) - utcnow().timestamp()
    return max(60, min(mutes.MAX_DURATION, math.ceil(left)))


def _unix(moment: datetime | None) -> str:
    return "" if moment is None else str(int(moment.replace(tzinfo=UTC).timestamp()))


def _paths(request: web.Request, handles: list[str]) -> dict[str, str]:
    """Each account's profile page here: /@name for ours, /@name@host for others'."""
    local = "@" + request.app[appkeys.CONFIG].instance.domain
    return {h: "/@" + (h.removesuffix(local) if h.endswith(local) else h) for h in handles}


def _back(path: str, **query: str) -> web.Response:
    return see_other(f"{path}?{urlencode({k: v for k, v in query.items() if v})}")


# --- mutes -----------------------------------------------------------------------------------


async def mutes_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    found = await mutes.list_mutes(request.app[appkeys.SERVICES], user.username)
    return render(request, "settings_mutes.html", {
        "section": "mutes", "mutes": found, **_flash(request),
        "paths": _paths(request, [m.handle for m in found])})


async def unmute(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    services = request.app[appkeys.SERVICES]
    lifted = next((m for m in await mutes.list_mutes(services, user.username)
                   if m.handle == handle), None)
    try:
        await mutes.unmute(services, user.username, handle)
    except ServiceError as exc:
        return _back("/settings/mutes", error=page_message(exc))
    return _back("/settings/mutes", undone=handle,
                 notifications="1" if lifted is None or lifted.hide_notifications else "0",
                 until=_unix(lifted.expires_at if lifted else None))


async def remute(request: web.Request) -> web.StreamResponse:
    """Undo an unmute: the same account muted again, as it was."""
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    try:
        await mutes.mute(request.app[appkeys.SERVICES], user.username, handle,
                         notifications=field(form, "notifications", 8) == "1",
                         duration=_remaining(field(form, "until", 20)))
    except ServiceError as exc:
        return _back("/settings/mutes", error=page_message(exc))
    return _back("/settings/mutes", redone=handle)


# --- blocks ----------------------------------------------------------------------------------


async def blocks_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    found = await blocks.list_blocks(request.app[appkeys.SERVICES], user.username)
    return render(request, "settings_blocks.html", {
        "section": "blocks", "blocks": found, **_flash(request),
        "paths": _paths(request, [b.handle for b in found])})


async def unblock(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    try:
        await blocks.unblock(request.app[appkeys.SERVICES], user.username, handle)
    except ServiceError as exc:
        return _back("/settings/blocks", error=page_message(exc))
    return _back("/settings/blocks", undone=handle)


async def reblock(request: web.Request) -> web.StreamResponse:
    """Undo an unblock: the account is blocked again (a Block goes to its server again)."""
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    try:
        await blocks.block(request.app[appkeys.SERVICES], user.username, handle)
    except ServiceError as exc:
        return _back("/settings/blocks", error=page_message(exc))
    return _back("/settings/blocks", redone=handle)


# --- blocked servers -------------------------------------------------------------------------


async def domain_blocks_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    found = await domain_blocks.list_blocks(request.app[appkeys.SERVICES], user.username)
    return render(request, "settings_domain_blocks.html", {
        "section": "domain_blocks", "domain_blocks": found, **_flash(request),
        "blocked": request.query.get("blocked", "")[:DOMAIN_LIMIT]})


async def block_domain(request: web.Request) -> web.StreamResponse:
    """Block a server: from the form here (and its Undo), back here saying which; from a
    profile's menu (a `next` field), back to the profile."""
    user = require_user(request)
    form = await request.post()
    text = field(form, "domain", DOMAIN_LIMIT)
    from_profile = bool(field(form, "next"))
    try:
        view = await domain_blocks.block_domain(request.app[appkeys.SERVICES], user.username,
                                                text)
    except ServiceError as exc:
        return refused(request, exc) if from_profile else _back(DOMAINS_PATH,
                                                                error=page_message(exc))
    if from_profile:
        return done(request, form, default=DOMAINS_PATH, domain_blocking=True)
    redone = field(form, "undo") == "1"
    return _back(DOMAINS_PATH, **{"redone" if redone else "blocked": view.domain})


async def unblock_domain(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    text = field(form, "domain", DOMAIN_LIMIT)
    try:
        lifted = await domain_blocks.unblock_domain(request.app[appkeys.SERVICES],
                                                    user.username, text)
    except ServiceError as exc:
        return refused(request, exc) if field(form, "next") else _back(
            DOMAINS_PATH, error=page_message(exc))
    if field(form, "next"):
        return done(request, form, default=DOMAINS_PATH, domain_blocking=False)
    return _back(DOMAINS_PATH, undone=text.strip() if lifted else "")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/settings/mutes", mutes_page, name="settings_mutes")
    app.router.add_post("/settings/mutes/unmute", unmute)
    app.router.add_post("/settings/mutes/mute", remute)
    app.router.add_get("/settings/blocks", blocks_page, name="settings_blocks")
    app.router.add_post("/settings/blocks/unblock", unblock)
    app.router.add_post("/settings/blocks/block", reblock)
    app.router.add_get(DOMAINS_PATH, domain_blocks_page, name="settings_domain_blocks")
    app.router.add_post(f"{DOMAINS_PATH}/block", block_domain)
    app.router.add_post(f"{DOMAINS_PATH}/unblock", unblock_domain)
