"""A Dreamfeed instance on loopback and a client API caller that checks every answer.

`open_api(...)` starts one instance (host 127.0.0.1:PORT, so real clients reach it without
a test resolver) and yields an `Api`: tokens for local users, requests over real HTTP whose
answers are validated against Mastodon's OpenAPI schema (tests/api/openapi_check.py), and
Mastodon.py clients whose answers are validated too.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from aiohttp import ClientSession, CookieJar, FormData
from aiohttp.typedefs import Middleware
from mastodon import Mastodon
from multidict import CIMultiDictProxy
from sqlalchemy import select
from yarl import URL

from server import appkeys
from server.services.accounts.users import NameTaken
from server.services.oauth import apps, scopes, tokens
from storage.accounts import local_account_by_username
from storage.models import User
from tests.api.openapi_check import SchemaCheck, check_response
from tests.federation.harness import Instance, start_instance

# Every answer checked in this test session, for the summary line (tests/api/conftest.py).
CHECKED: Counter[str] = Counter()
# Answers not checked (not in the schema), "METHOD /path/{id}" -> how many.
SKIPPED: Counter[str] = Counter()

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class ApiResponse:
    """An answer: `body` is the decoded JSON, else the text (text/*), else the bytes; None
    when empty. `check` says what the schema validation did (checked or skipped)."""

    status: int
    body: Any
    headers: CIMultiDictProxy[str]
    check: SchemaCheck


@dataclass(frozen=True)
class LocalUser:
    user_id: int
    account_id: int


class Api:
    """The client API of one instance, called as a client would."""

    def __init__(self, instance: Instance, http: ClientSession) -> None:
        self.instance = instance
        self.base = f"http://{instance.domain}"
        self.users: dict[str, LocalUser] = {}
        # Invalid answers Mastodon.py saw: its request wrapper turns the hook's
        # AssertionError into MastodonNetworkError, which a test might catch; the fixture
        # fails the test on these at teardown.
        self.client_failures: list[str] = []
        self._http = http
        self._app_id: int | None = None

    async def user(self, username: str, *, scopes: str = "read write follow push",
                   admin: bool = False) -> str:
        """A bearer token for local user `username` (created if missing) with `scopes`,
        issued to this Api's test app."""
        if username not in self.users:
            self.users[username] = await self._local_user(username, admin)
        issued = await tokens.issue_token(self.instance.services, await self._test_app(),
                                          self.users[username].user_id,
                                          _parse_scopes(scopes))
        return issued.access_token

    async def app_token(self, *, scopes: str = "read") -> str:
        """A token of the test app itself (client credentials: no user)."""
        issued = await tokens.issue_token(self.instance.services, await self._test_app(),
                                          None, _parse_scopes(scopes))
        return issued.access_token

    def account_id(self, username: str) -> str:
        """The Mastodon id (a string) of a user made by `user()`."""
        return str(self.users[username].account_id)

    async def request(self, method: str, path: str, *, token: str | None = None,
                      params: Params | None = None, json: Any = None,
                      data: FormData | Mapping[str, Any] | None = None,
                      headers: Mapping[str, str] | None = None) -> ApiResponse:
        """One request over HTTP; raises AssertionError when the answer does not fit
        Mastodon's schema. `path` may carry a query string; redirects are not followed."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        query = _query(params)
        async with self._http.request(method, self.base + path, params=query, json=json,
                                      data=data, headers=sent,
                                      allow_redirects=False) as resp:
            raw = await resp.read()
            url = resp.url
            status, resp_headers = resp.status, resp.headers
            content_type = resp.headers.get("Content-Type", "")
        check = _checked(method, url, status, raw, dict(sent), resp_headers, content_type)
        return ApiResponse(status=status, body=_decode(raw, content_type),
                           headers=resp_headers, check=check)

    async def get(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        return await self.request("DELETE", path, **kwargs)

    def mastodon(self, token: str | None = None) -> Mastodon:
        """A Mastodon.py client of this instance (blocking: call it through
        asyncio.to_thread). Its answers are schema-checked like `request`'s."""
        session = requests.Session()
        session.hooks["response"].append(self._check_requests_answer)
        return Mastodon(access_token=token, api_base_url=self.base,
                        version_check_mode="none", session=session)

    async def run_jobs(self) -> int:
        return await self.instance.run_jobs()

    def _check_requests_answer(self, response: requests.Response, *_: Any,
                               **__: Any) -> None:
        request = response.request
        url = URL(request.url or "")
        try:
            _checked(request.method or "GET", url, response.status_code, response.content,
                     {name: value if isinstance(value, str) else value.decode()
                      for name, value in request.headers.items()}, response.headers,
                     response.headers.get("Content-Type", ""))
        except AssertionError as exc:
            self.client_failures.append(str(exc))
            raise

    async def _test_app(self) -> int:
        if self._app_id is None:
            app = await apps.register_app(self.instance.services, name="API tests",
                                          redirect_uris=[apps.OOB_REDIRECT],
                                          scopes="read write follow push admin:read "
                                                 "admin:write",
                                          website=None)
            self._app_id = app.id
        return self._app_id

    async def _local_user(self, username: str, admin: bool) -> LocalUser:
        try:
            new = await self.instance.add_user(username, admin=admin)
            return LocalUser(user_id=new.user_id, account_id=new.account_id)
        except NameTaken:
            pass
        # Made by the test itself (instance.add_user): use it as it is.
        async with self.instance.app[appkeys.DATABASE].reader() as session:
            account = await local_account_by_username(session, username)
            assert account is not None, username
            user_id = (await session.execute(
                select(User.id).where(User.account_id == account.id))).scalar_one()
        return LocalUser(user_id=user_id, account_id=account.id)


def _parse_scopes(raw: str) -> frozenset[str]:
    return scopes.parse(raw)


def _query(params: Params | None) -> list[tuple[str, str]]:
    """aiohttp takes only strings: booleans as Rails reads them, lists as repeated names
    (pass "media_ids[]" to send Rails' array form), None left out."""
    if params is None:
        return []
    items = params.items() if isinstance(params, Mapping) else params
    query: list[tuple[str, str]] = []
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            query.append((name, ("true" if item else "false") if isinstance(item, bool)
                          else str(item)))
    return query


def _checked(method: str, url: URL, status: int, raw: bytes, request_headers: dict[str, str],
             response_headers: Mapping[str, str], content_type: str) -> SchemaCheck:
    check = check_response(method, url.path, status=status, body=raw,
                           query=dict(parse_qsl(urlsplit(str(url)).query)),
                           request_headers=request_headers,
                           response_headers=dict(response_headers),
                           content_type=content_type or "application/json")
    if check.skipped is not None:
        SKIPPED[f"{check.method} {_template(check.path)}"] += 1
    else:
        CHECKED[f"{check.operation}"] += 1
    if check.errors:
        raise AssertionError(check.describe())
    return check


def _template(path: str) -> str:
    return "/".join("{id}" if part.isdigit() else part for part in path.split("/"))


def _decode(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/json" or mime.endswith("+json"):
        return json.loads(raw)
    if mime.startswith("text/"):
        return raw.decode("utf-8", errors="replace")
    return raw


@asynccontextmanager
async def open_api(database_url: str, tmp_path: Path, *,
                   middlewares: Sequence[Middleware] = (),
                   **sections: dict[str, Any]) -> AsyncIterator[Api]:
    """One instance "api" on `database_url` (its own SQLite file, or the PostgreSQL
    database as given), the Api over it; everything closed afterwards."""
    instance = await start_instance("api", database_url, tmp_path, host="127.0.0.1",
                                    middlewares=middlewares, **sections)
    try:
        # unsafe: keep cookies from an IP-address host (the web login before /oauth/authorize).
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
            yield Api(instance, http)
    finally:
        await instance.runner.cleanup()
