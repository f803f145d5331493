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
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.session import render, require_user
from server.handlers.web.common import done, field, page_message, refused, see_other
from server.services.context import Services
from server.services.errors import ServiceError
from server.services.social import blocks, domain_blocks, mutes
from storage.types import utcnow

HANDLE_LIMIT = 400
DOMAIN_LIMIT = 300
MUTES_PATH = "/settings/mutes"
BLOCKS_PATH = "/settings/blocks"
DOMAINS_PATH = "/settings/domain_blocks"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# A page's extra context, from the request and what it lists.
Extra = Callable[[web.Request, Sequence[Any]], dict[str, Any]]
# A change by the signed-in user (services, username, the posted value, the form): it
# returns what the page shown next is told, as the redirect's query.
Change = Callable[[Services, str, str, MultiDictProxy[Any]], Awaitable[dict[str, str]]]


def _remaining(until: str) -> int | None:
    """Seconds left of a lifted mute that had an end (as a Unix time); None: it had none.
    One that has run out by now is put back for a minute rather than forever."""
    if not until.isdigit():
        return None
    left = int(until) - utcnow().timestamp()
    return max(60, min(mutes.MAX_DURATION, math.ceil(left)))


def _unix(moment: datetime | None) -> str:
    return "" if moment is None else str(int(moment.replace(tzinfo=UTC).timestamp()))


def _back(path: str, **query: str) -> web.Response:
    return see_other(f"{path}?{urlencode({k: v for k, v in query.items() if v})}")


async def _list_page(request: web.Request, template: str, section: str,
                     listing: Callable[[Services, str], Awaitable[Sequence[Any]]],
                     extra: Extra) -> web.Response:
    """A list page: what `listing` finds (as the context's `section`), and what the last
    action said: the lifted one, put back, or an error."""
    user = require_user(request)
    found = await listing(request.app[appkeys.SERVICES], user.username)
    query = request.query
    return render(request, template, {
        "section": section, section: found, **extra(request, found),
        "undone": query.get("undone", "")[:HANDLE_LIMIT],
        "redone": query.get("redone", "")[:HANDLE_LIMIT],
        "error": query.get("error", "")[:300]})


def _accounts(request: web.Request, found: Sequence[Any]) -> dict[str, Any]:
    """Each account's profile page here (/@name for ours, /@name@host for others'), and
    what an Undo posts back: the account, and the lifted mute's notifications choice and end
    (a block's Undo has them too, unread)."""
    local = "@" + request.app[appkeys.CONFIG].instance.domain
    handles = [item.handle for item in found]
    query = request.query
    return {"paths": {h: "/@" + (h.removesuffix(local) if h.endswith(local) else h)
                      for h in handles},
            "undo_fields": {"handle": query.get("undone", "")[:HANDLE_LIMIT],
                            "notifications": "1" if query.get("notifications") == "1" else "0",
                            "until": query.get("until", "")[:20]}}


async def _change_account(request: web.Request, path: str, change: Change) -> web.Response:
    """Apply a change to the posted account, then back to `path` saying so (or why not)."""
    user = require_user(request)
    form = await request.post()
    handle = field(form, "handle", HANDLE_LIMIT).strip()
    try:
        said = await change(request.app[appkeys.SERVICES], user.username, handle, form)
    except ServiceError as exc:
        return _back(path, error=page_message(exc))
    return _back(path, **said)


# --- mutes -----------------------------------------------------------------------------------


async def _unmute(services: Services, username: str, handle: str,
                  form: MultiDictProxy[Any]) -> dict[str, str]:
    lifted = next((m for m in await mutes.list_mutes(services, username)
                   if m.handle == handle), None)
    await mutes.unmute(services, username, handle)
    return {"undone": handle,
            "notifications": "1" if lifted is None or lifted.hide_notifications else "0",
            "until": _unix(lifted.expires_at if lifted else None)}


async def _remute(services: Services, username: str, handle: str,
                  form: MultiDictProxy[Any]) -> dict[str, str]:
    """Undo an unmute: the same account muted again, as it was."""
    await mutes.mute(services, username, handle,
                     notifications=field(form, "notifications", 8) == "1",
                     duration=_remaining(field(form, "until", 20)))
    return {"redone": handle}


# --- blocks ----------------------------------------------------------------------------------


async def _unblock(services: Services, username: str, handle: str,
                   form: MultiDictProxy[Any]) -> dict[str, str]:
    await blocks.unblock(services, username, handle)
    return {"undone": handle}


async def _reblock(services: Services, username: str, handle: str,
                   form: MultiDictProxy[Any]) -> dict[str, str]:
    """Undo an unblock: the account is blocked again (a Block goes to its server again)."""
    await blocks.block(services, username, handle)
    return {"redone": handle}


# --- blocked servers -------------------------------------------------------------------------


def _domains(request: web.Request, found: Sequence[Any]) -> dict[str, Any]:
    """The server just blocked, and what an Undo posts back (marked as an undo)."""
    query = request.query
    return {"blocked": query.get("blocked", "")[:DOMAIN_LIMIT],
            "undo_fields": {"domain": query.get("undone", "")[:HANDLE_LIMIT], "undo": "1"}}


async def _change_domain(request: web.Request, change: Change, *,
                         blocking: bool) -> web.Response:
    """Apply a change to the posted server: from the form here (and its Undo), back here
    saying what was done; from a profile's menu (a `next` field), back to the profile."""
    user = require_user(request)
    form = await request.post()
    from_profile = bool(field(form, "next"))
    try:
        said = await change(request.app[appkeys.SERVICES], user.username,
                            field(form, "domain", DOMAIN_LIMIT), form)
    except ServiceError as exc:
        return refused(request, exc) if from_profile else _back(DOMAINS_PATH,
                                                                error=page_message(exc))
    if from_profile:
        return done(request, form, default=DOMAINS_PATH, domain_blocking=blocking)
    return _back(DOMAINS_PATH, **said)


async def _block_domain(services: Services, username: str, text: str,
                        form: MultiDictProxy[Any]) -> dict[str, str]:
    view = await domain_blocks.block_domain(services, username, text)
    return {"redone" if field(form, "undo") == "1" else "blocked": view.domain}


async def _unblock_domain(services: Services, username: str, text: str,
                          form: MultiDictProxy[Any]) -> dict[str, str]:
    lifted = await domain_blocks.unblock_domain(services, username, text)
    return {"undone": text.strip() if lifted else ""}


def _list_routes(app: web.Application, path: str, template: str, section: str,
                 listing: Callable[[Services, str], Awaitable[Sequence[Any]]], extra: Extra,
                 changes: dict[str, Handler]) -> None:
    """A list's page at `path` (named settings_<section>) and its changes at path/<verb>."""
    app.router.add_get(path, partial(_list_page, template=template, section=section,
                                     listing=listing, extra=extra), name=f"settings_{section}")
    for verb, handler in changes.items():
        app.router.add_post(f"{path}/{verb}", handler)


def setup_routes(app: web.Application) -> None:
    _list_routes(app, MUTES_PATH, "settings_mutes.html", "mutes", mutes.list_mutes, _accounts, {
        "unmute": partial(_change_account, path=MUTES_PATH, change=_unmute),
        "mute": partial(_change_account, path=MUTES_PATH, change=_remute)})
    _list_routes(app, BLOCKS_PATH, "settings_blocks.html", "blocks", blocks.list_blocks,
                 _accounts, {
                     "unblock": partial(_change_account, path=BLOCKS_PATH, change=_unblock),
                     "block": partial(_change_account, path=BLOCKS_PATH, change=_reblock)})
    _list_routes(app, DOMAINS_PATH, "settings_domain_blocks.html", "domain_blocks",
                 domain_blocks.list_blocks, _domains, {
                     "block": partial(_change_domain, change=_block_domain, blocking=True),
                     "unblock": partial(_change_domain, change=_unblock_domain,
                                        blocking=False)})
