"""Alt text in the web app: "Describe this image" on the compose page (POST /compose/describe:
a vision model drafts the alt text and offers a caption, server.services.generation.describe)
and the reminder's setting (/settings/alt-text). The reminder itself is asked by the compose
page's post step (server.handlers.web.compose.post, server.services.accounts.alt_text).

The Describe button is a submit button of the post form with formaction="/compose/describe",
so without JavaScript the whole form comes here and the compose page is drawn again with
everything typed kept and the draft in the image's alt text box. static/compose_describe.js
asks for JSON instead and fills the box in place. "Use this caption" works the same way: the
caption is only ever put in the box by the author's own click.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.handlers.session import render, require_user
from server.handlers.web import compose
from server.handlers.web.common import field, page_message, refused, see_other, wants_json
from server.i18n import N_
from server.services.accounts import alt_text
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import InvalidInput, ServiceError
from server.services.generation import describe as describe_service
from server.services.generation.generate import DailyQuota
from server.services.statuses.posts import MAX_ALT, MAX_CAPTION
from storage.ids import parse_id

ALT_PREFIX = "alt_"


def _all_alts(form: MultiDictProxy[Any]) -> dict[int, str]:
    """Every image's alt text box, picked or not (the page shows them all again)."""
    alts: dict[int, str] = {}
    for name in form:
        media_id = parse_id(name[len(ALT_PREFIX):]) if name.startswith(ALT_PREFIX) else None
        if media_id is not None:
            alts[media_id] = field(form, name, MAX_ALT + 1)
    return alts


def _form_values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    picked = [parse_id(v) for v in form.getall("media_id", []) if isinstance(v, str)]
    media_ids = [media_id for media_id in picked if media_id is not None]
    values = compose._post_values(form, media_ids)
    values["alts"] = _all_alts(form)
    return values


def _quota_json(quota: DailyQuota) -> dict[str, Any]:
    return {"left": quota.left, "limit": quota.limit,
            "resets_at": quota.resets_at.isoformat()}


async def describe(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    carry = compose._carry(form)
    generation_id = parse_id(field(form, "generation", 32))
    values = _form_values(form)
    suggested = field(form, "use_caption", MAX_CAPTION + 1)
    if suggested:
        # "Use this caption" without scripts: the author's click puts it in the box.
        values["caption"] = suggested
        return await _compose_page(request, user, carry, generation_id, values)
    media_id = parse_id(field(form, "describe", 32))
    include_prompt = media_id is not None and bool(field(form, f"describe_prompt_{media_id}"))
    try:
        if media_id is None:
            raise InvalidInput(N_("choose an image to describe"))
        draft = await describe_service.draft_description(
            request.app[appkeys.SERVICES], user.account_id, media_id,
            include_prompt=include_prompt)
    except ServiceError as exc:
        if wants_json(request):
            return web.json_response({"ok": False, "error": page_message(exc)},
                                     status=status_for(exc), headers=retry_headers(exc))
        return await _compose_page(request, user, carry, generation_id, values,
                                   error=page_message(exc), status=status_for(exc))
    if wants_json(request):
        return web.json_response({
            "ok": True, "media_id": str(media_id), "description": draft.description,
            "caption": draft.caption, "model": draft.model, "used_prompt": draft.used_prompt,
            "quota": _quota_json(draft.quota)}, headers={"Cache-Control": "no-store"})
    values["alts"][media_id] = draft.description
    values["describe_draft"] = {"media_id": media_id, "caption": draft.caption,
                                "model": draft.model, "left": draft.quota.left}
    if include_prompt:
        values["describe_prompt"] = {media_id}
    return await _compose_page(request, user, carry, generation_id, values)


async def _compose_page(request: web.Request, user: SignedIn, carry: compose.Carry,
                        generation_id: int | None, values: dict[str, Any], *,
                        error: str | None = None, status: int | None = None) -> web.Response:
    context, found = await compose._context(request, user, carry, generation_id,
                                            values=values, error=error)
    return render(request, "compose.html", context, status=status or found)


# --- the reminder's setting ------------------------------------------------------------------


async def settings_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    services = request.app[appkeys.SERVICES]
    return render(request, "settings_alt_text.html", {
        "section": "alt_text",
        "reminders": await alt_text.reminders_on(services, user.account_id),
        "describe_on": describe_service.enabled(services.config),
        "describe_limit": services.config.describe.daily_limit,
        "saved": request.query.get("saved") == "1"})


async def save_settings(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        await alt_text.set_reminders(request.app[appkeys.SERVICES], user.account_id,
                                     bool(field(form, "reminders", 8)))
    except ServiceError as exc:
        return refused(request, exc)
    if wants_json(request):
        return web.json_response({"ok": True})
    return see_other("/settings/alt-text?saved=1")


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/compose/describe", describe, name="compose_describe")
    app.router.add_get("/settings/alt-text", settings_form, name="settings_alt_text")
    app.router.add_post("/settings/alt-text", save_settings)
