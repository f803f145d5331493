"""A post at its id: ActivityPub JSON for servers (followers-only ones only to signed fetches
from followers, none to an account its author blocks: server.handlers.signed_get); browsers
are sent to its page (/@user/ID, server.handlers.web.posts, which also answers ActivityPub
JSON there); deleted posts answer 410 with a Tombstone. A boost's `/activity` answers its
Announce."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from activitypub import builders
from activitypub.documents import ACTIVITY_JSON
from activitypub.vocab import AS_CONTEXT
from server import appkeys
from server.handlers.responses import activity_response, wants_activity
from server.handlers.signed_get import signed_viewer
from server.services.context import Services
from server.services.errors import Gone, NotFound
from server.services.federation import replies
from server.services.statuses import boosts, notes, visibility

T = TypeVar("T")


async def _served(request: web.Request) -> visibility.ServedStatus:
    username = request.match_info["username"]
    try:
        status_id = int(request.match_info["status_id"])
        return await visibility.status_for_viewer(request.app[appkeys.SERVICES], username,
                                                  status_id, await signed_viewer(request))
    except (ValueError, NotFound):
        raise web.HTTPNotFound(text="no such post") from None
    except Gone as exc:  # a deleted account's posts
        if wants_activity(request):
            uri = request.app[appkeys.URLS].status(username, status_id)
            raise web.HTTPGone(text=json.dumps(builders.tombstone(uri)),
                               content_type=ACTIVITY_JSON, headers={"Vary": "Accept"}) from None
        raise web.HTTPGone(text=str(exc)) from None


async def status_object(request: web.Request) -> web.StreamResponse:
    """A post, or for a boost's id the boosted post's URL (Mastodon's redirect_to_original)."""
    original = await _boost(request, boosts.boosted_url)
    if original is not None:
        raise web.HTTPFound(original)
    served = await _served(request)
    if served.gone:
        if wants_activity(request):
            return activity_response(builders.tombstone(served.status.uri), status=410)
        raise web.HTTPGone(text="this post was deleted")
    if not wants_activity(request):
        raise web.HTTPFound(served.status.url or served.status.uri)
    return activity_response(await notes.render_note(request.app[appkeys.SERVICES],
                                                     served.status))


async def status_activity(request: web.Request) -> web.StreamResponse:
    """A post's Create, or a boost's Announce (a boost's id is its status URL + /activity)."""
    announce = await _boost(request, boosts.announce_for_viewer)
    if announce is not None:
        return activity_response(announce)
    served = await _served(request)
    if served.gone:
        raise web.HTTPGone(text="this post was deleted")
    return activity_response(await notes.render_create(request.app[appkeys.SERVICES],
                                                       served.status))


BoostLookup = Callable[[Services, str, int, str | None], Awaitable[T | None]]


async def _boost(request: web.Request, lookup: BoostLookup[T]) -> T | None:
    """What `lookup` finds for the boost this URL names (None: not a boost), with its
    refusals as 404 (hidden) and 410 (undone)."""
    try:
        return await lookup(request.app[appkeys.SERVICES], request.match_info["username"],
                            int(request.match_info["status_id"]),
                            await signed_viewer(request))
    except (ValueError, NotFound):
        raise web.HTTPNotFound(text="no such post") from None
    except Gone:
        raise web.HTTPGone(text="this boost was undone") from None


async def status_collection(request: web.Request) -> web.StreamResponse:
    """replies, paged as Mastodon's; likes and shares: their counts (items not listed)."""
    served = await _served(request)
    if served.gone:
        raise web.HTTPGone()
    kind = request.match_info["kind"]
    if kind == "replies":
        return activity_response(await _replies(request, served))
    total = {"replies": served.status.replies_count, "likes": served.status.favourites_count,
             "shares": served.status.reblogs_count}[kind]
    return activity_response(builders.ordered_collection(
        f"{served.status.uri}/{kind}", total, first=None))


# Rails' reading of a boolean parameter (Mastodon's truthy_param?): anything but these.
_FALSE = frozenset({"", "0", "f", "false", "off"})


async def _replies(request: web.Request, served: visibility.ServedStatus) -> dict[str, Any]:
    """The collection with its first page embedded, or (`?page=true`) a page: the author's
    replies after `min_id`, or with `only_other_accounts=true` everyone else's."""
    status, query = served.status, request.query
    only_other_accounts = query.get("only_other_accounts", "").lower() not in _FALSE
    try:
        min_id = int(query["min_id"]) if "min_id" in query else None
    except ValueError:
        raise web.HTTPBadRequest(text="min_id must be a status id") from None
    page = await replies.replies_page(request.app[appkeys.SERVICES], status,
                                      only_other_accounts=only_other_accounts, min_id=min_id)
    collection_id = f"{status.uri}/replies"
    next_page = builders.replies_page_url(
        collection_id, min_id=page.next_min_id,
        only_other_accounts=page.next_only_other_accounts) if page.has_next else None
    first = builders.collection_page(
        collection_id, page.items, next_page=next_page, page_id=builders.replies_page_url(
            collection_id, min_id=min_id, only_other_accounts=only_other_accounts))
    if query.get("page", "").lower() not in _FALSE:
        return {"@context": AS_CONTEXT, **first}
    return {"@context": AS_CONTEXT,
            **builders.replies_collection(collection_id, first, total=status.replies_count)}


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}/statuses/{status_id}", status_object)
    app.router.add_get("/users/{username}/statuses/{status_id}/activity", status_activity)
    app.router.add_get("/users/{username}/statuses/{status_id}/{kind:replies|likes|shares}",
                       status_collection)
