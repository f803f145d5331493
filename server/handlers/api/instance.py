"""Client API: the instance and discovery (Mastodon's api/v1/instances_controller.rb,
api/v2/instances_controller.rb, api/v1/instances/*, custom_emojis, announcements, trends/*,
preferences; followed tags are tags.py's).

Public, except the user's own things: announcements (read), preferences
(read:accounts). v2 instance with a user token adds that user's generation quota to
`configuration.dreamfeed`, so that answer is private. What Dreamfeed has none of answers an
empty list: custom emojis, announcements, trending links. /api/v1/instance/
activity is not served: logins are not counted by week here, and Mastodon answers 404 where it
is off.
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from yarl import URL

from server import appkeys
from server.handlers.api.common import ApiError, api_json, grant, require_user
from server.handlers.caching import Built, shared
from server.render.to_mastodon import instance as render
from server.render.to_mastodon.statuses import status
from server.services.accounts import preferences as preference_service
from server.services.reading import instance as instance_service
from server.services.reading import trends
from storage.types import utcnow

# When this process read its configuration: what the extended description was last changed.
STARTED = web.AppKey("api_instance_started", datetime)
PUBLIC_CACHE = {"Cache-Control": "public, max-age=180"}
PRIVATE = {"Cache-Control": "private, no-store"}


def _viewer(request: web.Request) -> int | None:
    """The account behind a user token, whatever its scopes (the quota is the user's own)."""
    found = grant(request)
    return found.account_id if found is not None else None


async def instance_v2(request: web.Request) -> web.StreamResponse:
    viewer = _viewer(request)
    if viewer is None:
        return await _public_instance(request, "v2")
    parts = await instance_service.instance(request.app[appkeys.SERVICES], viewer)
    return api_json(render.instance_v2(parts), headers=PRIVATE)


async def instance_v1(request: web.Request) -> web.StreamResponse:
    return await _public_instance(request, "v1")


async def _public_instance(request: web.Request, version: str) -> web.StreamResponse:
    """The instance document as anyone sees it: every client asks for it at start, and it
    counts users and posts; kept briefly (FRESH_SECONDS), as Mastodon keeps it in Rails.cache
    and lets shared caches keep it 3 minutes."""
    async def build() -> Built:
        parts = await instance_service.instance(request.app[appkeys.SERVICES], None)
        document = render.instance_v2(parts) if version == "v2" else render.instance_v1(parts)
        return api_json(document, headers=PUBLIC_CACHE), ()

    return await shared(request, ("instance-api", version), build)


async def rules(request: web.Request) -> web.Response:
    parts = await instance_service.instance(request.app[appkeys.SERVICES], None)
    return api_json(render.rules(parts), headers=PUBLIC_CACHE)


async def extended_description(request: web.Request) -> web.Response:
    parts = await instance_service.instance(request.app[appkeys.SERVICES], None)
    return api_json(render.extended_description(parts, request.app[STARTED]),
                    headers=PUBLIC_CACHE)


async def peers(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    # An allow-list instance does not tell whom it knows (Mastodon: 404 in whitelist mode).
    if services.config.federation.allowlist_mode:
        raise ApiError(404, "Record not found")
    return api_json(await instance_service.peers(services))


async def nothing(request: web.Request) -> web.Response:
    """What we have none of: custom emojis, trending links."""
    del request
    return api_json([])


async def announcements(request: web.Request) -> web.Response:
    require_user(request, "read")
    return api_json([])


async def preferences(request: web.Request) -> web.Response:
    """The user's preferences, as set on the web settings page (the posting language null:
    none chosen). Content warnings are always folded here: expand:spoilers is false."""
    user = require_user(request, "read:accounts")
    chosen = await preference_service.preferences(request.app[appkeys.SERVICES],
                                                  user.account_id)
    return api_json({"posting:default:visibility": chosen.visibility,
                     "posting:default:sensitive": chosen.sensitive,
                     "posting:default:language": chosen.language,
                     "reading:expand:media": chosen.expand_media,
                     "reading:expand:spoilers": False})


def _offset_page(request: web.Request, default: int) -> tuple[int, int]:
    """offset and limit, as Mastodon's trends read them (limit at most twice the default)."""
    try:
        offset = max(0, int(request.query.get("offset", "0") or 0))
        limit = int(request.query.get("limit", str(default)) or default)
    except ValueError:
        raise ApiError(400, "offset and limit must be numbers") from None
    return offset, max(1, min(limit, default * 2))


def _offset_links(request: web.Request, offset: int, limit: int, count: int
                  ) -> dict[str, str]:
    """Link: next while a full page came back, prev when not at the start."""
    base = URL(request.app[appkeys.CONFIG].base_url).with_path(request.path)
    links = []
    if count == limit:
        links.append(f'<{base.with_query(offset=offset + limit, limit=limit)}>; rel="next"')
    if offset > 0:
        links.append(f'<{base.with_query(offset=max(0, offset - limit), limit=limit)}>; '
                     f'rel="prev"')
    return {"Link": ", ".join(links)} if links else {}


async def trending_tags(request: web.Request) -> web.Response:
    offset, limit = _offset_page(request, 10)
    services = request.app[appkeys.SERVICES]
    found = await trends.tags(services, offset=offset, limit=limit)
    return api_json([render.tag(parts, services.config.base_url) for parts in found],
                    headers=_offset_links(request, offset, limit, len(found)))


async def trending_statuses(request: web.Request) -> web.Response:
    offset, limit = _offset_page(request, 20)
    services = request.app[appkeys.SERVICES]
    found = await trends.statuses(services, offset=offset, limit=limit,
                                  viewer_account_id=_viewer(request))
    return api_json([status(parts, services.config.base_url) for parts in found],
                    headers=_offset_links(request, offset, limit, len(found)))


def setup_routes(app: web.Application) -> None:
    app[STARTED] = utcnow()
    # Mastodon.py asks for /api/v1/instance/ and /api/v2/instance/: Rails ignores the slash.
    for path, handler in (("/api/v1/instance", instance_v1), ("/api/v2/instance", instance_v2)):
        app.router.add_get(path, handler)
        app.router.add_get(path + "/", handler)
    app.router.add_get("/api/v1/instance/rules", rules)
    app.router.add_get("/api/v1/instance/peers", peers)
    app.router.add_get("/api/v1/instance/extended_description", extended_description)
    app.router.add_get("/api/v1/custom_emojis", nothing)
    app.router.add_get("/api/v1/announcements", announcements)
    app.router.add_get("/api/v1/preferences", preferences)
    app.router.add_get("/api/v1/trends", trending_tags)
    app.router.add_get("/api/v1/trends/tags", trending_tags)
    app.router.add_get("/api/v1/trends/statuses", trending_statuses)
    app.router.add_get("/api/v1/trends/links", nothing)
