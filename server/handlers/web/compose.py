"""The compose flow: prompt -> generation (a job) -> pick results -> caption, alt text,
content warning, visibility -> post. Replies (?in_reply_to=ID) and remixes (?remix_of=ID)
go through the same page; so does making an avatar or header from a prompt (?purpose=).

Without JavaScript every step is a form POST answered by a redirect, and a running
generation's page reloads itself (a <noscript> meta refresh). static/compose.js submits the
generate form with fetch and polls GET /compose/generations/{id} every second instead.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.errors import retry_headers, status_for
from server.handlers.session import current_user, render, require_user
from server.handlers.web.common import field, said, see_other, wants_json
from server.i18n import N_, gettext
from server.services.accounts import alt_text, preferences
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import (
    Conflict,
    Forbidden,
    GenerationDisabled,
    InvalidInput,
    NotFound,
    PromptRefused,
    RateLimited,
    ServiceError,
)
from server.services.generation import describe as describe_service
from server.services.generation import generate as generation_service
from server.services.generation.prompt_moderation import ModerationUnavailable
from server.services.reading import composer, quote_cards
from server.services.reading import drafts as drafts_reading
from server.services.statuses import posts as post_service
from server.services.statuses.interaction_policy import CHOICE_LABELS, CHOSEN
from storage.ids import parse_id
from storage.types import utcnow

PURPOSES = ("avatar", "header")
POLL_SECONDS = 1
# Seconds between reloads of a running generation's page when scripts are off.
REFRESH_SECONDS = 2


@dataclass(frozen=True)
class Carry:
    """What the page keeps through every step: the post it answers or remixes, and why."""

    in_reply_to: int | None = None
    remix_of: int | None = None
    remix_image: bool = False
    purpose: str = ""
    quote_of: int | None = None  # a quote post with a new image (FEP-044f)

    def query(self, **extra: Any) -> dict[str, str]:
        pairs = {"in_reply_to": self.in_reply_to, "remix_of": self.remix_of,
                 "quote_of": self.quote_of,
                 "remix_image": "1" if self.remix_image else None,
                 "purpose": self.purpose or None, **extra}
        return {name: str(value) for name, value in pairs.items() if value is not None}

    def page_url(self, **extra: Any) -> str:
        query = self.query(**extra)
        return "/compose" + ("?" + urlencode(query) if query else "")


def _carry(params: Mapping[str, Any]) -> Carry:
    def text(name: str) -> str:
        value = params.get(name, "")
        return value if isinstance(value, str) else ""

    purpose = text("purpose")
    return Carry(in_reply_to=parse_id(text("in_reply_to")), remix_of=parse_id(text("remix_of")),
                 remix_image=text("remix_image") in ("1", "on"),
                 purpose=purpose if purpose in PURPOSES else "",
                 quote_of=parse_id(text("quote_of")))


def _kind(exc: ServiceError) -> str:
    """A word for scripts (and the page's styling) saying what went wrong."""
    for cls, name in ((PromptRefused, "refused"), (generation_service.QuotaExceeded, "quota"),
                      (RateLimited, "rate_limited"), (GenerationDisabled, "disabled"),
                      (ModerationUnavailable, "unavailable"), (NotFound, "not_found"),
                      (Conflict, "conflict"), (InvalidInput, "invalid")):
        if isinstance(exc, cls):
            return name
    return "refused"


# --- the page --------------------------------------------------------------------------------


async def _context(request: web.Request, user: SignedIn, carry: Carry,
                   generation_id: int | None, *, values: Mapping[str, Any] | None = None,
                   error: str | None = None, pick: int | None = None
                   ) -> tuple[dict[str, Any], int]:
    """Everything compose.html shows, and the status to answer with."""
    services = request.app[appkeys.SERVICES]
    status, errors = 200, [error] if error else []
    parent = remix = view = None
    if carry.in_reply_to is not None:
        try:
            parent = await composer.parent_post(services, carry.in_reply_to, user.account_id)
        except NotFound as exc:
            status, carry = 404, Carry(None, carry.remix_of, carry.remix_image, carry.purpose)
            errors.append(gettext("You cannot reply to that post: %(reason)s", reason=said(exc)))
    if carry.remix_of is not None:
        try:
            remix = await composer.remix(services, carry.remix_of, user.account_id)
        except (NotFound, Conflict, Forbidden) as exc:
            status = status_for(exc)
            carry = Carry(carry.in_reply_to, None, False, carry.purpose)
            errors.append(gettext("You cannot remix that post: %(reason)s", reason=said(exc)))
    quote = None
    if carry.quote_of is not None:
        try:
            quote, offer = await quote_cards.target_card(services, carry.quote_of,
                                                         user.account_id)
            if offer.verdict == "denied":
                raise Forbidden(offer.reason)
        except (NotFound, Forbidden) as exc:
            status, quote = status_for(exc), None
            carry = Carry(carry.in_reply_to, carry.remix_of, carry.remix_image, carry.purpose)
            errors.append(gettext("You cannot quote that post: %(reason)s", reason=said(exc)))
    if generation_id is not None:
        try:
            view = await generation_service.get_generation(services, generation_id,
                                                   account_id=user.account_id)
        except NotFound as exc:
            status = 404
            errors.append(said(exc))
    options = composer.options(services)
    chosen = await preferences.preferences(services, user.account_id)  # the form's defaults
    given = dict(values or {})
    prompt = view.prompt if view else remix.prompt if remix else ""
    size = view.size if view else composer.PROFILE_SIZES.get(carry.purpose,
                                                             options.default_size)
    form = {
        "prompt": prompt, "size": size,
        "quality": view.quality if view else options.default_quality,
        "style": (view.style or "") if view else "",
        "n": view.n if view else (2 if carry.purpose else 1),
        "strength": generation_service.REMIX_STRENGTH,
        "caption": "", "spoiler_text": "", "sensitive": chosen.sensitive,
        "visibility": composer.default_visibility(parent, chosen.visibility),
        "publish_prompt": False,
        "can_remix": True, "alts": {}, "alt_prompt": set(), "picked": set(),
        "interactions": {},
    }
    form.update({name: value for name, value in given.items() if value is not None})
    # Images already in a post are not offered again: the rest are drafts (the tray's
    # Post opens this page with ?pick=ID, that draft ticked).
    results = [m for m in view.media if not m.posted] if view else []
    if view and view.state == "done" and not form["picked"]:
        wanted = {m.id for m in results if m.id == pick}
        form["picked"] = wanted or ({results[0].id} if results else set())
    tray = await drafts_reading.drafts(services, user.account_id,
                                       other_than_generation=view.id if view else None)
    return {
        "user": user, "carry": carry, "parent": parent, "remix": remix, "generation": view,
        "quote": quote, "results": results, "drafts": tray,
        "placeholder_ratio": composer.size_ratio(view.size) if view else (1, 1),
        "state_label": composer.STATE_LABELS.get(view.state, "") if view else "",
        "running": view is not None and view.state in ("queued", "running"),
        "options": options, **await _quota_context(request, user),
        "describe_on": describe_service.enabled(services.config),
        # The procedural engine draws shapes from the prompt's words, not what it describes
        # (the embedded generator on a real model, engine = "diffusers", needs no such note).
        "builtin_engine": generation_service.backend_label(services.config) == "embedded"
        and services.config.generator.engine == "procedural",
        "visibilities": VISIBILITY_CHOICES, "form": form, "errors": errors,
        "interaction_policies": INTERACTION_POLICIES, "interaction_labels": CHOICE_LABELS,
        "generate_key": secrets.token_urlsafe(16), "post_key": secrets.token_urlsafe(16),
        "poll_url": f"/compose/generations/{view.id}" if view else "",
        "page_url": carry.page_url(generation=view.id) if view else carry.page_url(),
        "refresh_seconds": REFRESH_SECONDS, "poll_seconds": POLL_SECONDS,
        "max_caption": post_service.MAX_CAPTION, "max_alt": post_service.MAX_ALT,
        "max_cw": post_service.MAX_CW, "max_prompt": generation_service.MAX_PROMPT_LENGTH,
    }, status


async def _quota_context(request: web.Request, user: SignedIn) -> dict[str, Any]:
    quota = await generation_service.daily_quota(request.app[appkeys.SERVICES],
                                                 user.account_id)
    return {"quota": quota, "quota_resets_in": _until(quota.resets_at)}


def _until(moment: datetime) -> str:
    """'in 3 h 20 min': how long until the day's images come back."""
    minutes = max(1, math.ceil((moment - utcnow()).total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("in %(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return gettext("in %(minutes)s min", minutes=minutes)


def _quota_json(quota: generation_service.DailyQuota) -> dict[str, Any]:
    """What compose.js needs to update the quota line without reloading."""
    return {"left": quota.left, "limit": quota.limit, "resets_at": quota.resets_at.isoformat(),
            "resets_in": _until(quota.resets_at)}


# Who may reply and boost, chosen per post (interaction controls), by sub-policy name.
# The verbs and labels are translated where the page shows them (server.i18n).
INTERACTION_POLICIES = tuple((i.sub_policy, {"reply": N_("reply"), "announce": N_("boost")}[i.key])
                             for i in CHOSEN)
VISIBILITY_CHOICES = (
    ("public", N_("Public"), N_("Anyone, shown in public timelines")),
    ("unlisted", N_("Unlisted"), N_("Anyone with the link, not in public timelines")),
    ("private", N_("Followers only"), N_("Only your followers")),
    ("direct", N_("Mentioned people only"), N_("Only the accounts you @mention")),
)


async def _page(request: web.Request, user: SignedIn, carry: Carry, generation_id: int | None,
                *, values: Mapping[str, Any] | None = None, error: str | None = None,
                status: int | None = None, pick: int | None = None) -> web.Response:
    context, found_status = await _context(request, user, carry, generation_id,
                                           values=values, error=error, pick=pick)
    return render(request, "compose.html", context, status=status or found_status)


async def compose_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    return await _page(request, user, _carry(request.query),
                       parse_id(request.query.get("generation")),
                       pick=parse_id(request.query.get("pick")))


# --- generating ------------------------------------------------------------------------------


def _generation_values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    return {"prompt": field(form, "prompt", generation_service.MAX_PROMPT_LENGTH + 1),
            "size": field(form, "size", 16), "quality": field(form, "quality", 16),
            "style": field(form, "style", 64), "n": field(form, "n", 4),
            "strength": field(form, "strength", 16)}


async def generate(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    carry = _carry(form)
    values = _generation_values(form)
    services = request.app[appkeys.SERVICES]
    try:
        n = int(values["n"] or "1")
    except ValueError:
        n = 0  # refused below with the service's own message
    try:
        strength = float(values["strength"] or generation_service.REMIX_STRENGTH)
    except ValueError:
        strength = -1.0  # refused below with the service's own message
    try:
        source_media_id = None
        if carry.remix_of is not None and carry.remix_image:
            remix = await composer.remix(services, carry.remix_of, user.account_id)
            source_media_id = remix.media_id
        view = await generation_service.request_generation(
            services, user.account_id, values["prompt"], size=values["size"] or None,
            quality=values["quality"] or None, style=values["style"] or None, n=n,
            source_media_id=source_media_id, strength=strength,
            idempotency_key=field(form, "key", 255) or None,
            limiter=services.limiter)
    except ServiceError as exc:
        return await _refused(request, user, carry, None, values, exc)
    url = carry.page_url(generation=view.id)
    if wants_json(request):
        return web.json_response({"ok": True, **_generation_json(view), "url": url,
                                  "poll_url": f"/compose/generations/{view.id}"})
    return see_other(url)


async def _refused(request: web.Request, user: SignedIn, carry: Carry,
                   generation_id: int | None, values: Mapping[str, Any],
                   exc: ServiceError) -> web.Response:
    """A refusal said on the compose page itself, with what was typed kept."""
    status = status_for(exc)
    headers = retry_headers(exc)
    quota = await generation_service.daily_quota(request.app[appkeys.SERVICES],
                                                 user.account_id)
    counted = ""
    if isinstance(exc, PromptRefused) and quota.left is not None:
        # screen_prompt counts a refusal: probing the filters is not free. Say so.
        counted = ". " + gettext("Refused prompts count against your daily images: "
                                 "%(left)s of %(limit)s left today.",
                                 left=quota.left, limit=quota.limit)
    if wants_json(request):
        return web.json_response({"ok": False, "error": said(exc) + counted, "kind": _kind(exc),
                                  "quota": _quota_json(quota)},
                                 status=status, headers=headers)
    response = await _page(request, user, carry, generation_id, values=values,
                           error=_headline(exc) + counted, status=status)
    response.headers.update(headers)
    return response


def _headline(exc: ServiceError) -> str:
    # Service messages start lowercase (they also end CLI lines); the page shows a sentence,
    # in the reader's language where the catalogue has it (services mark theirs with N_).
    message = said(exc)
    return message[:1].upper() + message[1:]


async def generation_state(request: web.Request) -> web.StreamResponse:
    """The job's state and, when done, its images: polled by compose.js. Owner only."""
    user = current_user(request)
    if user is None:  # a script cannot follow the sign-in redirect: say so
        return web.json_response(
            {"ok": False, "error": gettext("you are signed out: sign in again")}, status=401)
    generation_id = parse_id(request.match_info["generation_id"])
    try:
        if generation_id is None:
            raise NotFound(N_("there is no such generation"))
        view = await generation_service.get_generation(request.app[appkeys.SERVICES], generation_id,
                                               account_id=user.account_id)
    except NotFound as exc:
        return web.json_response({"ok": False, "error": said(exc)}, status=404)
    return web.json_response({"ok": True, **_generation_json(view)},
                             headers={"Cache-Control": "no-store"})


def _generation_json(view: generation_service.GenerationView) -> dict[str, Any]:
    """The generation for compose.js, its state's label in the reader's language."""
    answer = composer.generation_json(view)
    answer["label"] = gettext(answer["label"])
    return answer


# --- posting ---------------------------------------------------------------------------------


def _post_values(form: MultiDictProxy[Any], media_ids: list[int]) -> dict[str, Any]:
    return {
        "caption": field(form, "caption"), "spoiler_text": field(form, "spoiler_text"),
        "sensitive": bool(field(form, "sensitive")),
        "visibility": field(form, "visibility", 16) or "public",
        "publish_prompt": bool(field(form, "publish_prompt")),
        "can_remix": bool(field(form, "can_remix")),
        # Who may reply and boost, when chosen for this post ("": the author's default).
        "interactions": {name: field(form, name, 32) for name, _ in INTERACTION_POLICIES},
        "alts": {media_id: field(form, f"alt_{media_id}") for media_id in media_ids},
        # Images whose author chose to use the prompt as alt text (it then goes public).
        "alt_prompt": {media_id for media_id in media_ids
                       if field(form, f"alt_prompt_{media_id}")},
        "picked": set(media_ids),
    }


async def _alt_texts(request: web.Request, user: SignedIn, generation_id: int | None,
                     values: dict[str, Any], media_ids: list[int]) -> list[str]:
    """What was typed; the prompt only where its author chose "use my prompt" and typed
    nothing (alt text is public: the prompt never lands there by default)."""
    alts: dict[int, str] = values["alts"]
    wanted = [m for m in media_ids if not alts[m].strip() and m in values["alt_prompt"]]
    if not wanted or generation_id is None:
        return [alts[m] for m in media_ids]
    view = await generation_service.get_generation(request.app[appkeys.SERVICES], generation_id,
                                           account_id=user.account_id)
    return [view.prompt if m in wanted else alts[m] for m in media_ids]


async def post(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    carry = _carry(form)
    generation_id = parse_id(field(form, "generation", 32))
    picked = [parse_id(v) for v in form.getall("media_id", []) if isinstance(v, str)]
    media_ids = [media_id for media_id in picked if media_id is not None]
    values = _post_values(form, media_ids)
    try:
        if not media_ids:
            raise InvalidInput(N_("pick at least one image for your post"))
        # Images without alt text: asked once whether to post anyway (a setting turns it off).
        missing = alt_text.missing_alt(media_ids, values["alts"], values["alt_prompt"])
        if missing and not field(form, "alt_reminded") and not wants_json(request) \
                and await alt_text.reminders_on(request.app[appkeys.SERVICES], user.account_id):
            return await _page(request, user, carry, generation_id,
                               values={**values, "alt_missing": missing})
        view = await post_service.create_status(
            request.app[appkeys.SERVICES], user.username, post_service.NewStatus(
                media_ids=media_ids, caption=values["caption"],
                alt_texts=await _alt_texts(request, user, generation_id, values, media_ids),
                spoiler_text=values["spoiler_text"], sensitive=values["sensitive"],
                visibility=values["visibility"],
                idempotency_key=field(form, "key", 255) or None,
                in_reply_to=str(carry.in_reply_to) if carry.in_reply_to else None,
                remix_of=str(carry.remix_of) if carry.remix_of else None,
                quote_of=str(carry.quote_of) if carry.quote_of else None,
                publish_prompt=values["publish_prompt"],
                interaction_choices={k: v for k, v in values["interactions"].items() if v},
                # Remixing needs a public or unlisted post; elsewhere the box means nothing.
                can_remix=values["can_remix"]
                and values["visibility"] in ("public", "unlisted")))
    except ServiceError as exc:
        return await _refused(request, user, carry, generation_id, values, exc)
    path = f"/@{user.username}/{view.id}"
    if wants_json(request):
        return web.json_response({"ok": True, "id": str(view.id), "path": path})
    return see_other(path)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/compose", compose_page, name="compose")
    app.router.add_post("/compose/generate", generate, name="compose_generate")
    app.router.add_get("/compose/generations/{generation_id}", generation_state,
                       name="compose_generation")
    app.router.add_post("/compose/post", post, name="compose_post")
