"""A post's page and what can be done to a post from the web app: like, boost, bookmark,
pin (and take them back), reply in text, edit caption, content warning and alt text, delete.

The page lives at /@user/ID (local posts) and /@user@host/ID (remote posts known here, by
their local id); ActivityPub clients asking there get the Note (server.handlers.statuses).
Actions answer JSON for static/app.js ({"ok": true, ...} with the new counts) and a 303
back for plain forms."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDictProxy

from server import appkeys
from server.handlers.caching import (
    LOGGED_OUT_PAGE,
    PAGE_VARY,
    Built,
    anonymous,
    shared,
    shared_page_context,
)
from server.handlers.responses import wants_activity
from server.handlers.session import current_user, render, require_user
from server.handlers.statuses import status_object
from server.handlers.web.common import (
    done,
    field,
    page_message,
    refused,
    safe_next,
    see_other,
    wants_json,
)
from server.handlers.web.compose import VISIBILITY_CHOICES
from server.i18n import gettext as _
from server.services.accounts.web_sessions import SignedIn
from server.services.caching.documents import account_tag, status_tag
from server.services.context import Services
from server.services.errors import (
    Gone,
    InvalidInput,
    NotFound,
    ServiceError,
)
from server.services.federation import thread_context
from server.services.reading import post_page
from server.services.statuses import bookmarks, boosts, favourites, pins, posts

MAX_ID = 2**63 - 1  # ids are signed 64-bit: a longer number names no post


def _status_id(request: web.Request) -> int:
    status_id = int(request.match_info["status_id"])  # the routes only match digits
    if status_id > MAX_ID:
        raise web.HTTPNotFound(text=_("no such post"))
    return status_id


async def show(request: web.Request) -> web.StreamResponse:
    if wants_activity(request):
        return await status_object(request)  # the Note itself (local posts only)
    status_id = _status_id(request)
    if not anonymous(request):
        return await _post_page(request, status_id)
    # The page as an anonymous visitor sees it is everyone's (a link shared elsewhere
    # brings hundreds of fetches at once): kept until the post, its author or a reply
    # to it changes.
    shared_page_context(request)

    async def build() -> Built:
        response = await _post_page(request, status_id)
        return response, response.get(_TAGS, ())

    return await shared(request, ("post", request.match_info["username"], status_id), build,
                        cache_control=LOGGED_OUT_PAGE, vary=PAGE_VARY)


# What a rendered post page shows: the tags of its cache entry.
_TAGS = web.ResponseKey("post_page_tags", list)


async def _post_page(request: web.Request, status_id: int) -> web.Response:
    services = request.app[appkeys.SERVICES]
    user = current_user(request)
    try:
        page = await post_page.post_page(services, request.match_info["username"],
                                         status_id, user)
    except Gone as exc:
        return render(request, "error.html", {"message": page_message(exc)}, status=410)
    except NotFound:
        return render(request, "error.html", {"message": _("This post does not exist, or you "
                                                "cannot see it.")}, status=404)
    # The rest of a remote post's thread, fetched for the next look.
    fetching = user is not None and not page.local \
        and await thread_context.request(services, page.post.id)
    response = render(request, "status.html",
                      {**_page_context(services, page, user), "thread_fetching": fetching})
    response[_TAGS] = [account_tag(page.post.author.id), status_tag(page.post.id),
                       status_tag(status_id)]
    return response


def _page_context(services: Services, page: post_page.PostPage, user: SignedIn | None, *,
                  reply: dict[str, str] | None = None,
                  reply_error: str | None = None) -> dict[str, Any]:
    """What status.html shows; `reply` and `reply_error` bring back a refused reply."""
    card = page.post
    author = card.author
    # A reply names whom it answers, as Mastodon's composer starts it (not oneself).
    mention = "" if card.own else \
        "@" + (author.handle.partition("@")[0] if author.local else author.handle) + " "
    return {
        "page": page, "card": card,
        "canonical": f"{services.config.base_url}{card.path}",
        # og:image of a post without a shown image: its author's face, as Mastodon's.
        "default_avatar": services.urls.default_avatar,
        "visibilities": VISIBILITY_CHOICES, "max_caption": posts.MAX_CAPTION,
        "max_cw": posts.MAX_CW,
        "reply": reply or {
            "caption": mention, "spoiler_text": "",
            # No more public than what it answers (as Mastodon's clients default).
            "visibility": card.visibility if card.visibility in posts.VISIBILITIES
            else "public"},
        "reply_error": reply_error,
        # One key per page shown: the same form sent twice is one reply.
        "reply_key": secrets.token_urlsafe(16) if user else "",
    }


async def reply(request: web.Request) -> web.StreamResponse:
    """A text reply (no image: the compose page makes image replies). Goes back to the
    thread it answers; a refused one shows the post page again with what was typed."""
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    typed = {"caption": field(form, "caption", posts.MAX_CAPTION + 1),
             "spoiler_text": field(form, "spoiler_text", posts.MAX_CW + 1),
             "visibility": field(form, "visibility", 16) or "public"}
    try:
        state = await post_page.action_state(services, status_id, user)
    except ServiceError as exc:
        return refused(request, exc)
    try:
        view = await posts.create_status(services, user.username, posts.NewStatus(
            media_ids=[], caption=typed["caption"], spoiler_text=typed["spoiler_text"],
            visibility=typed["visibility"], in_reply_to=str(status_id),
            idempotency_key=field(form, "key", 255) or None))
    except InvalidInput as exc:
        if wants_json(request):
            return refused(request, exc)
        page = await post_page.post_page(services, state.handle, status_id, user)
        return render(request, "status.html", _page_context(
            services, page, user, reply=typed, reply_error=page_message(exc)), status=422)
    except ServiceError as exc:
        return refused(request, exc)
    thread = f"{state.path}#post-{view.id}"
    if wants_json(request):
        return web.json_response({"ok": True, "id": str(view.id), "redirect": thread})
    return see_other(thread)


_ACTIONS = {"like": favourites.favourite, "unlike": favourites.unfavourite,
            "boost": boosts.boost, "unboost": boosts.unboost}


async def react(request: web.Request) -> web.StreamResponse:
    """like, unlike, boost, unboost: repeating one is harmless (the state is the answer)."""
    user = require_user(request)
    form = await request.post()
    action = request.match_info["action"]
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    try:
        state = await post_page.action_state(services, status_id, user)
        wanted = action in ("like", "boost")
        current = state.liked if action in ("like", "unlike") else state.boosted
        if current != wanted:
            await _ACTIONS[action](services, user.username, str(status_id))
            state = await post_page.action_state(services, status_id, user)
    except ServiceError as exc:
        return refused(request, exc)
    if action in ("like", "unlike"):
        return done(request, form, default=state.path, liked=state.liked,
                    favourites_count=state.favourites_count)
    return done(request, form, default=state.path, boosted=state.boosted,
                reblogs_count=state.reblogs_count)


async def bookmark(request: web.Request) -> web.StreamResponse:
    """bookmark, unbookmark: private saves, listed on /bookmarks. Repeating one is harmless.
    A save the viewer can no longer see may still be removed (as Mastodon allows)."""
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    saving = request.match_info["action"] == "bookmark"
    try:
        if saving:
            await bookmarks.bookmark(services, user.username, status_id)
        else:
            await bookmarks.unbookmark(services, user.username, status_id)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default="/bookmarks", bookmarked=saving)


async def pin(request: web.Request) -> web.StreamResponse:
    """pin, unpin one's own post: pinned posts come first on one's profile."""
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    pinning = request.match_info["action"] == "pin"
    try:
        if pinning:
            await pins.pin(services, user.username, status_id)
        else:
            await pins.unpin(services, user.username, status_id)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default=f"/@{user.username}", pinned=pinning)


async def delete(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    try:
        await post_page.ensure_own(services, status_id, user)
        await posts.delete_status(services, user.username, status_id)
    except ServiceError as exc:
        return refused(request, exc)
    profile = f"/@{user.username}"
    if wants_json(request):
        answer: dict[str, Any] = {"ok": True, "deleted": status_id}
        if _is_post_page(request.headers.get("Referer", ""), status_id):
            answer["redirect"] = profile  # its page would answer 410 now
        return web.json_response(answer)
    back = safe_next(field(form, "next"), profile)
    return see_other(profile if _is_post_page(back, status_id) else back)


def _is_post_page(url: str, status_id: int) -> bool:
    return urlsplit(url).path.rstrip("/").endswith(f"/{status_id}")


async def edit_form(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    try:
        post = await post_page.editable(request.app[appkeys.SERVICES], _status_id(request), user)
    except ServiceError as exc:
        return refused(request, exc)
    return render(request, "post_edit.html", {"post": post, "error": None, "values": None})


def _edited_values(form: MultiDictProxy[Any]) -> dict[str, Any]:
    """The fields the form sent; one left out stays as it is (a script may send only the
    alt texts). The sensitive checkbox counts only with the full form, which always sends
    spoiler_text: an unticked checkbox sends nothing."""
    alts = [a[:posts.MAX_ALT + 1] for a in form.getall("alt", []) if isinstance(a, str)]
    full = "spoiler_text" in form
    return {"caption": field(form, "caption", posts.MAX_CAPTION + 1)
            if "caption" in form else None,
            "spoiler_text": field(form, "spoiler_text", posts.MAX_CW + 1) if full else None,
            "sensitive": field(form, "sensitive") in ("on", "true", "1") if full else None,
            "alt_texts": alts[:posts.MAX_IMAGES] if alts else None}


async def edit(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    form = await request.post()
    services = request.app[appkeys.SERVICES]
    status_id = _status_id(request)
    values = _edited_values(form)
    try:
        post = await post_page.editable(services, status_id, user)
    except ServiceError as exc:
        return refused(request, exc)
    try:
        await posts.edit_status(services, user.username, status_id, **values)
    except InvalidInput as exc:
        if wants_json(request):
            return refused(request, exc)
        shown = {"caption": post.caption, "spoiler_text": post.spoiler_text,
                 "sensitive": post.sensitive, "alt_texts": [i.alt for i in post.images]}
        shown.update({k: v for k, v in values.items() if v is not None})
        return render(request, "post_edit.html",
                      {"post": post, "error": page_message(exc), "values": shown}, status=422)
    except ServiceError as exc:
        return refused(request, exc)
    return done(request, form, default=post.path, id=status_id, path=post.path)


def setup_routes(app: web.Application) -> None:
    # Digits only: /@user/followers and /@user/following belong to the profile pages.
    # {username} also matches user@host (a remote post known here).
    app.router.add_get(r"/@{username}/{status_id:\d+}", show, name="post_page")
    app.router.add_post(r"/web/posts/{status_id:\d+}/{action:like|unlike|boost|unboost}", react)
    app.router.add_post(r"/web/posts/{status_id:\d+}/{action:bookmark|unbookmark}", bookmark)
    app.router.add_post(r"/web/posts/{status_id:\d+}/{action:pin|unpin}", pin)
    app.router.add_post(r"/web/posts/{status_id:\d+}/reply", reply)
    app.router.add_post(r"/web/posts/{status_id:\d+}/delete", delete)
    app.router.add_get(r"/web/posts/{status_id:\d+}/edit", edit_form)
    app.router.add_post(r"/web/posts/{status_id:\d+}/edit", edit)
