"""Quote posts in the web app: the quote page (the quoted post as a card, a text to write,
or a new image from the compose page), posting a text quote, and the quoted author's
"remove this quote" (a revocation). Our QuoteAuthorization stamps are served here too, at
the id our Accept named (Mastodon's /users/NAME/quote_authorizations/ID)."""

from __future__ import annotations

import secrets

from aiohttp import web

from server import appkeys
from server.handlers.responses import activity_response
from server.handlers.session import render, require_user
from server.handlers.web.common import (
    done,
    field,
    page_message,
    refused,
    said,
    see_other,
    wants_json,
)
from server.handlers.web.compose import VISIBILITY_CHOICES
from server.i18n import N_
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.errors import NotFound, ServiceError
from server.services.reading.quote_cards import target_card
from server.services.statuses import posts, quote_updates, quotes
from storage.ids import parse_id


def _id(request: web.Request, name: str) -> int:
    value = parse_id(request.match_info[name])
    if value is None:
        raise web.HTTPNotFound(text=_("no such post"))
    return value


async def _page(request: web.Request, user: SignedIn, status_id: int, *,
                typed: dict[str, str] | None = None, error: str = "",
                status: int = 200) -> web.Response:
    try:
        card, offer = await target_card(request.app[appkeys.SERVICES], status_id,
                                        user.account_id)
    except NotFound as exc:
        raise web.HTTPNotFound(text=said(exc)) from None
    return render(request, "quote.html", {
        "card": card, "offer": offer, "status_id": status_id,
        "denied": offer.verdict == quotes.DENIED,
        "form": typed or {"caption": "", "visibility": "public"}, "error": error,
        "visibilities": VISIBILITY_CHOICES, "key": secrets.token_urlsafe(16),
        "max_caption": posts.MAX_CAPTION,
    }, status=status)


async def quote_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    return await _page(request, user, _id(request, "status_id"))


async def post_quote(request: web.Request) -> web.StreamResponse:
    """A text quote; the page again with what was typed when it is refused."""
    user = require_user(request)
    status_id = _id(request, "status_id")
    form = await request.post()
    typed = {"caption": field(form, "caption", posts.MAX_CAPTION + 1),
             "visibility": field(form, "visibility", 16) or "public"}
    try:
        view = await posts.create_status(
            request.app[appkeys.SERVICES], user.username, posts.NewStatus(
                media_ids=[], caption=typed["caption"], visibility=typed["visibility"],
                quote_of=str(status_id), idempotency_key=field(form, "key", 255) or None))
    except ServiceError as exc:
        if wants_json(request):
            return refused(request, exc)
        return await _page(request, user, status_id, typed=typed, error=page_message(exc),
                           status=422)
    path = f"/@{user.username}/{view.id}"
    if wants_json(request):
        return web.json_response({"ok": True, "id": str(view.id), "path": path})
    return see_other(path)


async def revoke(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    try:
        await quote_updates.revoke(request.app[appkeys.SERVICES], user.username,
                                   _id(request, "quote_id"))
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, revoked=True)


async def authorization(request: web.Request) -> web.StreamResponse:
    quote_id = parse_id(request.match_info["quote_id"])
    try:
        if quote_id is None:
            raise NotFound(N_("no such quote authorization"))
        document = await quotes.authorization_document(
            request.app[appkeys.SERVICES], request.match_info["username"], quote_id)
    except NotFound:
        raise web.HTTPNotFound(text=_("no such quote authorization")) from None
    return activity_response(document)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/web/posts/{status_id}/quote", quote_page, name="quote_page")
    app.router.add_post("/web/posts/{status_id}/quote", post_quote, name="quote_post")
    app.router.add_post("/web/quotes/{quote_id}/revoke", revoke, name="quote_revoke")
    app.router.add_get("/users/{username}/quote_authorizations/{quote_id}", authorization,
                       name="quote_authorization")
