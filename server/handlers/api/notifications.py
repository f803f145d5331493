"""Client API: notifications, v1 (Mastodon's app/controllers/api/v1/notifications_controller.rb)
and grouped v2 (api/v2/notifications_controller.rb). Which of our types map onto which of
Mastodon's: server.render.to_mastodon.notifications."""

from __future__ import annotations

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    Params,
    api_json,
    link_header,
    page,
    paginated,
    params,
    parse_id_param,
    require_user,
)
from server.render.to_mastodon.accounts import account
from server.render.to_mastodon.notifications import grouped_results, notification, stored_types
from server.services.reading import api_notifications
from server.services.reading.api_notifications import GroupedPage, NotificationQuery
from server.services.social import notifications as notification_service
from storage.ids import parse_id

# Mastodon's limits: pages of 40 (80 at most); unread counts up to 100 (1000 at most).
DEFAULT_LIMIT = 40
MAX_LIMIT = 80
DEFAULT_COUNT_LIMIT = 100
MAX_COUNT_LIMIT = 1000


def _query(given: Params) -> NotificationQuery:
    types = stored_types(given.list("types"), given.list("exclude_types"))
    raw_account = given.get("account_id")
    from_account_id = None
    if raw_account:
        # An id that names nobody matches nothing, as Mastodon's where(from_account_id:).
        from_account_id = parse_id(raw_account) or 0
    return NotificationQuery(types=types, from_account_id=from_account_id)


def _grouped_types(given: Params) -> frozenset[str]:
    if not given.has("grouped_types"):
        return notification_service.GROUPABLE
    return notification_service.GROUPABLE & frozenset(given.list("grouped_types"))


def _count_limit(given: Params) -> int:
    limit = given.integer("limit", DEFAULT_COUNT_LIMIT) or DEFAULT_COUNT_LIMIT
    return max(1, min(limit, MAX_COUNT_LIMIT))


async def index(request: web.Request) -> web.Response:
    user = require_user(request, "read:notifications")
    services = request.app[appkeys.SERVICES]
    found = await api_notifications.notifications(
        services, user.account_id, page(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT),
        _query(await params(request)))
    base_url = services.config.base_url
    return paginated(request, [notification(parts, base_url) for parts in found.notifications],
                     found.ids)


async def show(request: web.Request) -> web.Response:
    user = require_user(request, "read:notifications")
    services = request.app[appkeys.SERVICES]
    found = await api_notifications.notification(services, user.account_id,
                                                    parse_id_param(request.match_info["id"]))
    return api_json(notification(found, services.config.base_url))


async def dismiss(request: web.Request) -> web.Response:
    user = require_user(request, "write:notifications")
    await notification_service.dismiss(request.app[appkeys.SERVICES], user.account_id,
                                       parse_id_param(request.match_info["id"]))
    return api_json({})


async def clear(request: web.Request) -> web.Response:
    user = require_user(request, "write:notifications")
    await notification_service.clear(request.app[appkeys.SERVICES], user.account_id)
    return api_json({})


async def unread_count(request: web.Request) -> web.Response:
    """Notifications newer than the notifications marker (markers.py), capped."""
    user = require_user(request, "read:notifications")
    given = await params(request)
    count = await api_notifications.unread_count(
        request.app[appkeys.SERVICES], user.user_id, user.account_id, _count_limit(given),
        _query(given))
    return api_json({"count": count})


# --- grouped (v2) ----------------------------------------------------------------------------


def _results(request: web.Request, found: GroupedPage) -> dict[str, object]:
    return grouped_results(found.groups, found.accounts, found.statuses,
                           request.app[appkeys.CONFIG].base_url,
                           partial_accounts=found.partial_accounts)


async def grouped_index(request: web.Request) -> web.Response:
    user = require_user(request, "read:notifications")
    given = await params(request)
    expand = given.text("expand_accounts", "full")
    if expand not in ("full", "partial_avatars"):
        raise ApiError(400, f"Invalid value for 'expand_accounts': '{expand}', allowed values "
                            "are 'full' and 'partial_avatars'")
    found = await api_notifications.grouped(
        request.app[appkeys.SERVICES], user.account_id,
        page(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT), _query(given),
        _grouped_types(given), partial=expand == "partial_avatars")
    return api_json(_results(request, found), headers=link_header(request, found.ids))


async def grouped_show(request: web.Request) -> web.Response:
    user = require_user(request, "read:notifications")
    found = await api_notifications.group(request.app[appkeys.SERVICES], user.account_id,
                                             request.match_info["group_key"])
    return api_json(_results(request, found))


async def grouped_accounts(request: web.Request) -> web.Response:
    """Every sender of a group's notifications, newest first."""
    user = require_user(request, "read:notifications")
    services = request.app[appkeys.SERVICES]
    found, ids = await api_notifications.group_accounts(
        services, user.account_id, request.match_info["group_key"],
        page(request, default=DEFAULT_LIMIT, maximum=MAX_LIMIT))
    return paginated(request, [account(parts) for parts in found], ids)


async def grouped_dismiss(request: web.Request) -> web.Response:
    user = require_user(request, "write:notifications")
    await notification_service.dismiss_group(request.app[appkeys.SERVICES], user.account_id,
                                             request.match_info["group_key"])
    return api_json({})


async def grouped_unread_count(request: web.Request) -> web.Response:
    user = require_user(request, "read:notifications")
    given = await params(request)
    count = await api_notifications.unread_group_count(
        request.app[appkeys.SERVICES], user.user_id, user.account_id, _count_limit(given),
        _query(given), _grouped_types(given))
    return api_json({"count": count})


def setup_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/v1/notifications", index)
    router.add_get("/api/v1/notifications/unread_count", unread_count)
    router.add_post("/api/v1/notifications/clear", clear)
    router.add_get("/api/v1/notifications/{id}", show)
    router.add_post("/api/v1/notifications/{id}/dismiss", dismiss)
    router.add_get("/api/v2/notifications", grouped_index)
    router.add_get("/api/v2/notifications/unread_count", grouped_unread_count)
    router.add_get("/api/v2/notifications/{group_key}", grouped_show)
    router.add_get("/api/v2/notifications/{group_key}/accounts", grouped_accounts)
    router.add_post("/api/v2/notifications/{group_key}/dismiss", grouped_dismiss)
