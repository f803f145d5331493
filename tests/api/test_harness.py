"""The client API test harness itself: the schema check, and the `api` fixture over HTTP.

A fake endpoint (a middleware in front of the app's own) stands in for handlers, so these
tests prove the harness catches a bad answer whatever the real handlers do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.typedefs import Handler
from mastodon import MastodonError

from server import appkeys
from server.services.oauth import tokens
from tests.api.harness import Api, open_api
from tests.api.openapi_check import check_response


def _account(username: str = "alice", **changes: Any) -> dict[str, Any]:
    account: dict[str, Any] = {
        "id": "1", "username": username, "acct": username, "display_name": "",
        "locked": False, "bot": False, "group": False, "discoverable": None,
        "indexable": False, "created_at": "2025-01-01T00:00:00.000Z", "note": "",
        "url": f"http://127.0.0.1/@{username}", "uri": f"http://127.0.0.1/users/{username}",
        "avatar": "http://127.0.0.1/avatar.png", "avatar_static": "http://127.0.0.1/avatar.png",
        "header": "http://127.0.0.1/header.png", "header_static": "http://127.0.0.1/header.png",
        "followers_count": 0, "following_count": 0, "statuses_count": 0,
        "last_status_at": None, "emojis": [], "fields": [],
    }
    account.update(changes)
    return account


# The schema check on its own.

def test_a_valid_account_answer_passes() -> None:
    check = check_response("GET", "/api/v1/accounts/1", status=200, body=_account())
    assert check.valid and check.skipped is None
    assert check.operation == "GET /api/v1/accounts/{id}"
    # A literal path wins over the template it also matches.
    lookup = check_response("GET", "/api/v1/accounts/lookup", status=200, body=_account(),
                            query={"acct": "alice"})
    assert lookup.operation == "GET /api/v1/accounts/lookup"


def test_a_missing_field_a_wrong_type_or_a_bad_null_fails() -> None:
    account = _account(locked="no", note=None, created_at="yesterday",
                       avatar="/relative.png")
    del account["id"]
    check = check_response("GET", "/api/v1/accounts/1", status=200, body=account)
    assert not check.valid
    assert "$: 'id' is a required property" in check.errors
    assert "$.locked: 'no' is not of type 'boolean'" in check.errors
    assert "$.note: None is not of type 'string'" in check.errors
    assert "$.created_at: 'yesterday' is not a 'date-time'" in check.errors
    assert "$.avatar: '/relative.png' is not a 'uri'" in check.errors


def test_errors_inside_arrays_and_nullable_references_are_located() -> None:
    status = {"id": "5", "created_at": "2025-01-01T00:00:00Z", "account": _account(),
              "content": "", "emojis": [], "favourites_count": 0, "media_attachments": [],
              "mentions": [], "reblogs_count": 0, "replies_count": 0, "sensitive": False,
              "spoiler_text": "", "tags": [], "uri": "http://127.0.0.1/s/5",
              "visibility": "public", "reblog": None, "poll": None, "card": None}
    assert check_response("GET", "/api/v1/timelines/home", status=200, body=[status]).valid
    reblog = {**status, "reblog": {**status, "account": _account(bot="yes")}}
    check = check_response("GET", "/api/v1/timelines/home", status=200, body=[reblog])
    assert check.errors == ["$[0].reblog.account.bot: 'yes' is not of type 'boolean'"]


def test_statuses_and_headers_are_checked() -> None:
    undocumented = check_response("GET", "/api/v1/accounts/1", status=201, body=_account())
    assert undocumented.errors[0].startswith("status 201 is not documented")
    # 403 is not listed for this operation, but any error must be Mastodon's Error entity.
    assert check_response("GET", "/api/v1/accounts/1", status=403,
                          body={"error": "This action is outside the authorized scopes"}).valid
    assert not check_response("GET", "/api/v1/accounts/1", status=403, body={"e": 1}).valid
    html = check_response("GET", "/api/v1/accounts/1", status=404, body=b"<html></html>",
                          content_type="text/html")
    assert not html.valid
    bad_header = check_response("GET", "/api/v1/timelines/home", status=200, body=[],
                                response_headers={"X-RateLimit-Remaining": "many"})
    assert bad_header.errors == [
        "header X-RateLimit-Remaining: Failed to cast value to integer type: many"]


def test_paths_and_methods_outside_the_schema_are_skipped() -> None:
    ours = check_response("GET", "/api/v1/dreamfeed/generations/1", status=200, body={})
    assert ours.valid and ours.skipped == "path not in Mastodon's schema"
    method = check_response("PATCH", "/api/v1/accounts/1", status=200, body={})
    assert method.valid and method.skipped is not None


def test_schema_fixes_apply() -> None:
    v1_filter = {"id": "1", "phrase": "cats", "context": ["home"], "whole_word": True,
                 "expires_at": None, "irreversible": False}
    assert check_response("GET", "/api/v1/filters", status=200, body=[v1_filter]).valid
    assert not check_response("GET", "/api/v1/filters", status=200, body=v1_filter).valid
    page = check_response("GET", "/oauth/authorize", status=400, body=b"<html></html>",
                          content_type="text/html")
    assert page.valid and page.skipped is not None and "browser page" in page.skipped


# The fixture over HTTP.

async def test_unknown_api_paths_answer_json_404(api: Api) -> None:
    missing = await api.get("/api/v1/does_not_exist")
    assert missing.status == 404 and missing.body == {"error": "Record not found"}
    assert missing.check.skipped is not None
    # A path the schema knows: the 404 answer is checked against the operation's.
    account = await api.get("/api/v1/accounts/999999999")
    assert account.status == 404 and account.check.operation == "GET /api/v1/accounts/{id}"
    assert account.body == {"error": "Record not found"}
    assert account.headers["Access-Control-Allow-Origin"] == "*"


async def test_users_and_tokens(api: Api) -> None:
    await api.instance.add_user("carol")
    carol = await api.user("carol", scopes="read")
    admin = await api.user("root", admin=True)
    again = await api.user("root")
    assert again != admin
    services = api.instance.services
    grant = await tokens.authenticate(services, carol)
    assert grant is not None and grant.username == "carol" and grant.scopes == {"read"}
    root = await tokens.authenticate(services, again)
    assert root is not None and root.admin and root.allows("write:statuses")
    assert api.account_id("carol") == str(grant.account_id)
    app_grant = await tokens.authenticate(services, await api.app_token())
    assert app_grant is not None and app_grant.user_id is None
    assert await api.run_jobs() >= 0


@web.middleware
async def _fake_endpoints(request: web.Request, handler: Handler) -> web.StreamResponse:
    """GET /api/v1/accounts/1 (a valid Account of the token's user, 401 or 403 as Mastodon
    answers), /api/v1/accounts/2 (an Account without its id), POST /api/v1/dreamfeed/echo."""
    if request.path == "/api/v1/dreamfeed/echo":
        form = await request.post()
        return web.json_response({"fields": sorted(form), "query": dict(request.query)})
    if request.path not in ("/api/v1/accounts/1", "/api/v1/accounts/2"):
        return await handler(request)
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    grant = await tokens.authenticate(request.app[appkeys.SERVICES], token)
    if grant is None or grant.username is None:
        return web.json_response({"error": "The access token is invalid"}, status=401)
    if not grant.allows("read:accounts"):
        return web.json_response({"error": "This action is outside the authorized scopes"},
                                 status=403)
    if request.path.endswith("/2"):
        account = _account(grant.username)
        del account["id"]
        return web.json_response(account)
    return web.json_response(_account(grant.username))


async def test_answers_are_checked_over_http_and_through_mastodon_py(
        database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, middlewares=[_fake_endpoints]) as api:
        token = await api.user("alice", scopes="read")
        good = await api.get("/api/v1/accounts/1", token=token)
        assert good.status == 200 and good.body["username"] == "alice"
        assert good.check.operation == "GET /api/v1/accounts/{id}" and good.check.valid
        assert (await api.get("/api/v1/accounts/1", token="not-a-token")).status == 401
        write_only = await api.user("alice", scopes="write")
        assert (await api.get("/api/v1/accounts/1", token=write_only)).status == 403
        with pytest.raises(AssertionError, match="'id' is a required property"):
            await api.get("/api/v1/accounts/2", token=token)

        form = FormData()
        form.add_field("file", b"\x89PNG", filename="a.png", content_type="image/png")
        form.add_field("description", "a cat")
        echo = await api.post("/api/v1/dreamfeed/echo", data=form,
                              params={"sensitive": True, "skip": None})
        assert echo.body == {"fields": ["description", "file"],
                             "query": {"sensitive": "true"}}
        assert echo.check.skipped == "path not in Mastodon's schema"

        client = api.mastodon(token)
        me = await asyncio.to_thread(client.account, 1)
        assert me["username"] == "alice"
        with pytest.raises(MastodonError, match="'id' is a required property"):
            await asyncio.to_thread(client.account, 2)
        assert len(api.client_failures) == 1
        # Seen and expected here; the `api` fixture fails a test that leaves any.
        api.client_failures.clear()
