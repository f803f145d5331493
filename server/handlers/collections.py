"""followers, following and outbox as OrderedCollections with OrderedCollectionPages, and
the instance actor's (empty) outbox.

`/users/alice/followers` gives the collection with `totalItems` and a link to its first page;
`?page=true` gives a page, newest first, and `&max_id=ID` the page after ID (Mastodon's shape).
"""

from __future__ import annotations

from aiohttp import web

from activitypub import builders
from server import appkeys
from server.handlers.responses import activity_response
from server.handlers.signed_get import signed_viewer
from server.services.errors import NotFound
from server.services.federation import collections as collection_service
from storage.pagination import InvalidPage, parse_page

PAGE_SIZE = 20


async def _collection(request: web.Request, kind: str) -> web.Response:
    username = request.match_info["username"]
    services = request.app[appkeys.SERVICES]
    collection_id = f"{services.urls.actor(username)}/{kind}"
    try:
        if "page" not in request.query:
            total = await collection_service.total(services, username, kind)
            return activity_response(builders.ordered_collection(
                collection_id, total, first=f"{collection_id}?page=true"))
        page = parse_page(request.query, default=PAGE_SIZE, maximum=PAGE_SIZE)
        viewer = await signed_viewer(request) if kind == "outbox" else None
        items, next_max_id = await collection_service.page(services, username, kind, page,
                                                           viewer)
    except NotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    except InvalidPage as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    page_id = f"{collection_id}?page=true" + (f"&max_id={page.max_id}" if page.max_id else "")
    next_page = f"{collection_id}?page=true&max_id={next_max_id}" if next_max_id else None
    return activity_response(builders.ordered_collection_page(
        page_id, collection_id, items, next_page=next_page))


async def followers(request: web.Request) -> web.Response:
    return await _collection(request, "followers")


async def following(request: web.Request) -> web.Response:
    return await _collection(request, "following")


async def outbox(request: web.Request) -> web.Response:
    return await _collection(request, "outbox")


async def featured(request: web.Request) -> web.Response:
    """The account's pinned posts (Mastodon's `featured`: one OrderedCollection, no pages)."""
    services = request.app[appkeys.SERVICES]
    viewer = await signed_viewer(request)
    try:
        document = await collection_service.featured(services, request.match_info["username"],
                                                     viewer)
    except NotFound as exc:
        raise web.HTTPNotFound(text=str(exc)) from None
    return activity_response(document)


async def instance_outbox(request: web.Request) -> web.Response:
    """The instance actor's outbox, which its document advertises: it never posts, so the
    collection is empty (Mastodon serves its representative account's, empty too)."""
    document = builders.ordered_collection(request.app[appkeys.URLS].instance_outbox, 0,
                                           first=None)
    document["orderedItems"] = []
    return activity_response(document)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/{username}/followers", followers)
    app.router.add_get("/users/{username}/following", following)
    app.router.add_get("/users/{username}/outbox", outbox)
    app.router.add_get("/users/{username}/collections/featured", featured)
    app.router.add_get("/actor/outbox", instance_outbox)
