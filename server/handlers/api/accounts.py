"""Client API: accounts (Mastodon's api/v1/accounts_controller.rb and api/v1/accounts/*,
follow_requests, blocks, mutes, endorsements and featured_tags controllers).

Scopes as Mastodon's controllers declare them: reading an account is public (a token, when
given, needs read:accounts); verify_credentials needs profile (read and read:accounts cover
it); follows, blocks and mutes their own read:/write: scopes (the legacy `follow` covers
them); registration an app's own token with write:accounts. Ids are account ids, except in
Link headers, which page by the follow, block or mute behind each entry.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import appkeys
from server.handlers.api.common import (
    ApiError,
    ApiUser,
    Params,
    api_json,
    grant,
    page,
    paginated,
    params,
    parse_id_param,
    require_grant,
    require_user,
)
from server.middlewares import CLIENT_IP
from server.render.to_mastodon.accounts import account as account_entity
from server.render.to_mastodon.accounts import credential_account
from server.render.to_mastodon.common import iso_or_none
from server.render.to_mastodon.relationships import familiar_followers, relationship
from server.render.to_mastodon.statuses import status
from server.services.accounts import app_sign_up, credentials
from server.services.accounts.app_sign_up import AppSignUp, SignUpRefused
from server.services.accounts.credentials import Credentials, CredentialsUpdate
from server.services.context import Services
from server.services.oauth import scopes as scope_rules
from server.services.reading import account_search, account_statuses, api_accounts
from server.services.reading.api_accounts import AccountPage
from server.services.social import relationships

# GET /api/v1/accounts?id[]= takes at most this many (Mastodon's DEFAULT_ACCOUNTS_LIMIT).
MAX_IDS = 40
ACCOUNTS_PAGE, ACCOUNTS_MAX = 40, 80
CLIENT_CREDENTIALS_ONLY = "This method requires an client credentials authentication"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


def _viewer(request: web.Request, scope: str) -> ApiUser | None:
    """For public endpoints (Mastodon's authorize_if_got_token!): a token, when given,
    needs `scope`; a user token's user is the viewer."""
    found = grant(request)
    if found is None:
        return None
    require_grant(request, scope)
    return require_user(request, scope) if found.user_id is not None else None


def _account_id(request: web.Request) -> int:
    return parse_id_param(request.match_info["id"])


def _ids(p: Params, name: str = "id") -> list[int]:
    """id[]=1&id[]=2 (or id=1): what is not an id matches nothing, as Rails' to_i."""
    found = []
    for raw in p.list(name):
        try:
            value = int(raw)
        except ValueError:
            continue
        if 0 < value < 2**63:
            found.append(value)
    return found


def _accounts_page(request: web.Request, found: AccountPage) -> web.Response:
    return paginated(request, [account_entity(parts) for parts in found.accounts],
                     found.cursors)


def _credential(found: Credentials) -> dict[str, Any]:
    return credential_account(found.account, note_source=found.note_source,
                              privacy=found.privacy, sensitive=found.sensitive,
                              language=found.language,
                              follow_requests_count=found.follow_requests_count,
                              admin=found.admin)


# --- the signed-in user's own account ---------------------------------------------------------


async def verify_credentials(request: web.Request) -> web.Response:
    user = require_user(request, "profile")
    return api_json(_credential(await credentials.credentials(_services(request),
                                                              user.account_id)))


def _optional_bool(p: Params, name: str) -> bool | None:
    return p.boolean(name) if p.get(name) not in (None, "") else None


def _file_bytes(p: Params, name: str) -> bytes | None:
    upload = p.file(name)
    if upload is None:
        return None
    return upload.file.read() or None


def _fields(p: Params) -> list[tuple[str, str]] | None:
    """fields_attributes as Mastodon takes it: a JSON array or object of {name, value}, or
    form keys fields_attributes[0][name]; the order given is kept (the indexes do not
    matter). None when the parameter is absent (fields unchanged)."""
    raw = p.raw("fields_attributes")
    if isinstance(raw, list):
        items: list[Any] = raw
    elif isinstance(raw, dict):
        items = list(raw.values())
    else:
        grouped: dict[str, dict[str, Any]] = {}
        for key, value in p.nested("fields_attributes").items():
            index, _, attribute = key.partition("][")
            grouped.setdefault(index, {})[attribute] = value
        if not grouped:
            return None
        items = list(grouped.values())
    return [(str(item.get("name") or ""), str(item.get("value") or ""))
            for item in items if isinstance(item, dict)]


def _source(p: Params, name: str) -> str | None:
    """source[NAME] (form key or a JSON `source` object); None when absent."""
    value = p.nested("source").get(name)
    return None if value is None else str(value).lower() if isinstance(value, bool) \
        else str(value)


def _source_flag(p: Params, name: str) -> bool | None:
    """A boolean source[NAME] as Rails reads one ("1", "true", true); None when absent."""
    value = _source(p, name)
    if value is None or value == "":
        return None
    return value.lower() not in ("0", "f", "false", "off", "no", "n")


async def update_credentials(request: web.Request) -> web.Response:
    user = require_user(request, "write:accounts")
    p = await params(request)
    update = CredentialsUpdate(
        display_name=p.get("display_name"), note=p.get("note"),
        avatar=_file_bytes(p, "avatar"), header=_file_bytes(p, "header"), fields=_fields(p),
        locked=_optional_bool(p, "locked"), bot=_optional_bool(p, "bot"),
        discoverable=_optional_bool(p, "discoverable"), language=_source(p, "language"),
        privacy=_source(p, "privacy") or None, sensitive=_source_flag(p, "sensitive"))
    found = await credentials.update_credentials(_services(request), user.account_id, update)
    return api_json(_credential(found))


# --- finding accounts --------------------------------------------------------------------------


async def show_account(request: web.Request) -> web.Response:
    _viewer(request, "read:accounts")
    return api_json(account_entity(await api_accounts.account(_services(request),
                                                              _account_id(request))))


async def list_accounts(request: web.Request) -> web.Response:
    _viewer(request, "read:accounts")
    ids = _ids(await params(request))
    if len(set(ids)) > MAX_IDS:
        message = f"is too long (maximum is {MAX_IDS} ids)"
        raise ApiError(422, f"Validation failed: Id {message}",
                       details={"id": [{"error": "ERR_TOO_LONG", "description": message}]})
    found = await api_accounts.accounts(_services(request), ids)
    return api_json([account_entity(parts) for parts in found])


async def lookup(request: web.Request) -> web.Response:
    _viewer(request, "read:accounts")
    acct = (await params(request)).text("acct").strip()
    if not acct:
        raise ApiError(404, "Record not found")
    return api_json(account_entity(await api_accounts.lookup(_services(request), acct)))


async def search(request: web.Request) -> web.Response:
    user = require_user(request, "read:accounts")
    p = await params(request)
    limit = page(request, default=ACCOUNTS_PAGE, maximum=ACCOUNTS_MAX).limit
    offset = max(0, p.integer("offset", 0) or 0)
    services = _services(request)
    ids = await account_search.search_account_ids(
        services, p.text("q"), viewer_account_id=user.account_id,
        resolve=p.boolean("resolve"), following=p.boolean("following"), limit=limit,
        offset=offset)
    found = await api_accounts.accounts(services, ids)
    return api_json([account_entity(parts) for parts in found])


# --- an account's statuses and follows ---------------------------------------------------------


async def account_statuses_list(request: web.Request) -> web.Response:
    viewer = _viewer(request, "read:statuses")
    p = await params(request)
    services = _services(request)
    found, ids = await account_statuses.account_statuses(
        services, _account_id(request), viewer.account_id if viewer else None,
        page(request), only_media=p.boolean("only_media"),
        exclude_replies=p.boolean("exclude_replies"),
        exclude_reblogs=p.boolean("exclude_reblogs"), pinned=p.boolean("pinned"),
        tagged=p.get("tagged") or None)
    return paginated(request, [status(parts, services.config.base_url) for parts in found],
                     ids)


async def _follow_list(request: web.Request, direction: str) -> web.Response:
    viewer = _viewer(request, "read:accounts")
    found = await api_accounts.follow_list(
        _services(request), _account_id(request), direction,
        page(request, default=ACCOUNTS_PAGE, maximum=ACCOUNTS_MAX),
        viewer.account_id if viewer else None)
    return _accounts_page(request, found)


async def followers(request: web.Request) -> web.Response:
    return await _follow_list(request, "followers")


async def following(request: web.Request) -> web.Response:
    return await _follow_list(request, "following")


async def featured_tags_of(request: web.Request) -> web.Response:
    """No featured hashtags here: an existing account has none."""
    _viewer(request, "read:accounts")
    await api_accounts.account(_services(request), _account_id(request))
    return api_json([])


# --- relationships ----------------------------------------------------------------------------


async def relationships_list(request: web.Request) -> web.Response:
    user = require_user(request, "read:follows")
    p = await params(request)
    found = await relationships.relationships(_services(request), user.account_id, _ids(p),
                                              with_suspended=p.boolean("with_suspended"))
    return api_json([relationship(parts) for parts in found])


async def familiar_followers_list(request: web.Request) -> web.Response:
    user = require_user(request, "read:follows")
    found = await relationships.familiar_followers(_services(request), user.account_id,
                                                   _ids(await params(request)))
    return api_json([familiar_followers(account_id, accounts)
                     for account_id, accounts in found])


async def follow(request: web.Request) -> web.Response:
    user = require_user(request, "write:follows")
    p = await params(request)
    found = await relationships.follow(
        _services(request), user.username, user.account_id, _account_id(request),
        reblogs=_optional_bool(p, "reblogs"), notify=_optional_bool(p, "notify"))
    return api_json(relationship(found))


async def unfollow(request: web.Request) -> web.Response:
    user = require_user(request, "write:follows")
    return api_json(relationship(await relationships.unfollow(
        _services(request), user.username, user.account_id, _account_id(request))))


async def remove_from_followers(request: web.Request) -> web.Response:
    user = require_user(request, "write:follows")
    return api_json(relationship(await relationships.remove_from_followers(
        _services(request), user.username, user.account_id, _account_id(request))))


async def block(request: web.Request) -> web.Response:
    user = require_user(request, "write:blocks")
    return api_json(relationship(await relationships.block(
        _services(request), user.username, user.account_id, _account_id(request))))


async def unblock(request: web.Request) -> web.Response:
    user = require_user(request, "write:blocks")
    return api_json(relationship(await relationships.unblock(
        _services(request), user.username, user.account_id, _account_id(request))))


async def mute(request: web.Request) -> web.Response:
    user = require_user(request, "write:mutes")
    p = await params(request)
    return api_json(relationship(await relationships.mute(
        _services(request), user.username, user.account_id, _account_id(request),
        notifications=p.boolean("notifications", default=True),
        duration=p.integer("duration", 0))))


async def unmute(request: web.Request) -> web.Response:
    user = require_user(request, "write:mutes")
    return api_json(relationship(await relationships.unmute(
        _services(request), user.username, user.account_id, _account_id(request))))


# --- the user's own lists: follow requests, blocks, mutes --------------------------------------


async def follow_requests(request: web.Request) -> web.Response:
    user = require_user(request, "read:follows")
    return _accounts_page(request, await api_accounts.follow_requests(
        _services(request), user.account_id,
        page(request, default=ACCOUNTS_PAGE, maximum=ACCOUNTS_MAX)))


async def _answer_request(request: web.Request, approve: bool) -> web.Response:
    user = require_user(request, "write:follows")
    return api_json(relationship(await relationships.answer_request(
        _services(request), user.username, user.account_id, _account_id(request),
        approve=approve)))


async def authorize_request(request: web.Request) -> web.Response:
    return await _answer_request(request, True)


async def reject_request(request: web.Request) -> web.Response:
    return await _answer_request(request, False)


async def blocks_list(request: web.Request) -> web.Response:
    user = require_user(request, "read:blocks")
    return _accounts_page(request, await api_accounts.blocks(
        _services(request), user.account_id,
        page(request, default=ACCOUNTS_PAGE, maximum=ACCOUNTS_MAX)))


async def mutes_list(request: web.Request) -> web.Response:
    """Muted accounts with when each mute ends (REST::MutedAccountSerializer)."""
    user = require_user(request, "read:mutes")
    found = await api_accounts.mutes(_services(request), user.account_id,
                                     page(request, default=ACCOUNTS_PAGE,
                                          maximum=ACCOUNTS_MAX))
    expiry = found.mute_expiry or {}
    return paginated(request, [
        {**account_entity(parts), "mute_expires_at": iso_or_none(expiry.get(parts.account.id))}
        for parts in found.accounts], found.cursors)


async def nothing_featured(request: web.Request) -> web.Response:
    """Endorsements and featured hashtags: the user has none (there is no way to add
    them here)."""
    require_user(request, "read:accounts")
    return api_json([])


# --- registration -----------------------------------------------------------------------------


async def create_account(request: web.Request) -> web.Response:
    """A sign-up by an app (its client-credentials token), answered with the new user's
    token (Mastodon's Token entity)."""
    found = require_grant(request, "write:accounts")
    if found.user_id is not None:
        raise ApiError(403, CLIENT_CREDENTIALS_ONLY)
    p = await params(request)
    wanted = AppSignUp(username=p.text("username"), email=p.text("email"),
                       password=p.text("password"), agreement=p.boolean("agreement"),
                       locale=p.text("locale").strip(), reason=p.text("reason"),
                       invite_code=p.text("invite_code").strip())
    try:
        issued = await app_sign_up.sign_up(_services(request), found.app_id, wanted,
                                            ip=request[CLIENT_IP])
    except SignUpRefused as exc:
        raise ApiError(422, str(exc), details={
            name: [{"error": e.error, "description": e.description} for e in errors]
            for name, errors in exc.details.items()}) from None
    return api_json({"access_token": issued.access_token, "token_type": "Bearer",
                     "scope": scope_rules.joined(issued.scopes),
                     "created_at": issued.created_at}, headers=NO_STORE)


def setup_routes(app: web.Application) -> None:
    router = app.router
    # Fixed paths before /api/v1/accounts/{id}: the router tries routes in order.
    router.add_get("/api/v1/accounts/verify_credentials", verify_credentials)
    router.add_patch("/api/v1/accounts/update_credentials", update_credentials)
    router.add_get("/api/v1/accounts/relationships", relationships_list)
    router.add_get("/api/v1/accounts/familiar_followers", familiar_followers_list)
    router.add_get("/api/v1/accounts/lookup", lookup)
    router.add_get("/api/v1/accounts/search", search)
    router.add_get("/api/v1/accounts", list_accounts)
    router.add_post("/api/v1/accounts", create_account)
    router.add_get("/api/v1/accounts/{id}", show_account)
    router.add_get("/api/v1/accounts/{id}/statuses", account_statuses_list)
    router.add_get("/api/v1/accounts/{id}/followers", followers)
    router.add_get("/api/v1/accounts/{id}/following", following)
    router.add_get("/api/v1/accounts/{id}/featured_tags", featured_tags_of)
    for action, handler in (("follow", follow), ("unfollow", unfollow),
                            ("remove_from_followers", remove_from_followers),
                            ("block", block), ("unblock", unblock), ("mute", mute),
                            ("unmute", unmute)):
        router.add_post(f"/api/v1/accounts/{{id}}/{action}", handler)
    router.add_get("/api/v1/follow_requests", follow_requests)
    router.add_post("/api/v1/follow_requests/{id}/authorize", authorize_request)
    router.add_post("/api/v1/follow_requests/{id}/reject", reject_request)
    router.add_get("/api/v1/blocks", blocks_list)
    router.add_get("/api/v1/mutes", mutes_list)
    router.add_get("/api/v1/endorsements", nothing_featured)
    router.add_get("/api/v1/featured_tags", nothing_featured)
