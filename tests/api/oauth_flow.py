"""OAuth's steps as an app and a person go through them, over real HTTP: register an app,
sign in on the web (the session cookie), open the authorization page, press a button, read
where it sends the browser. Shared by tests/api/test_oauth*.py."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import ClientSession, CookieJar

from tests.api.harness import Api

PASSWORD = "correct horse"  # what Instance.add_user gives everyone
OOB = "urn:ietf:wg:oauth:2.0:oob"
CALLBACK = "https://app.example/callback"
IVORY = "com.tapbots.Ivory.19300:/request_token"
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@dataclass(frozen=True)
class App:
    client_id: str
    client_secret: str


async def register(api: Api, *, redirect_uris: str | list[str] = CALLBACK,
                   scopes: str = "read write follow push") -> App:
    answer = await api.post("/api/v1/apps", json={
        "client_name": "Test app", "redirect_uris": redirect_uris, "scopes": scopes})
    assert answer.status == 200, answer.body
    return App(answer.body["client_id"], answer.body["client_secret"])


def pkce() -> tuple[str, str]:
    """(verifier, S256 challenge), as RFC 7636 4.1 and 4.2 make them."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(page)}


def query_of(location: str) -> dict[str, str]:
    """The parameters of a redirect: one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Browser:
    """A person's browser on the instance: a cookie jar and no redirects followed."""

    api: Api
    http: ClientSession

    async def get(self, path: str) -> tuple[int, str, str]:
        """(status, body, Location)."""
        async with self.http.get(self.api.base + path, allow_redirects=False) as resp:
            return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def post(self, path: str, form: Mapping[str, str]) -> tuple[int, str, str]:
        async with self.http.post(self.api.base + path, data=dict(form),
                                  allow_redirects=False) as resp:
            return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def sign_in(self, login: str, password: str = PASSWORD, *,
                      next_path: str = "/") -> str:
        """Through the sign-in form; returns where it sends the browser next."""
        _, page, _ = await self.get("/auth/sign_in?" + urlencode({"next": next_path}))
        form = hidden_fields(page)
        status, body, location = await self.post("/auth/sign_in", {
            **form, "login": login, "password": password})
        assert status == 303, body[:500]
        return location

    async def authorize_page(self, app: App, *, redirect_uri: str = CALLBACK,
                             scope: str = "read write follow push", state: str = "",
                             challenge: str = "", **extra: str) -> tuple[int, str, str]:
        query = {"response_type": "code", "client_id": app.client_id,
                 "redirect_uri": redirect_uri, "scope": scope, "state": state, **extra}
        if challenge:
            query.update(code_challenge=challenge, code_challenge_method="S256")
        return await self.get("/oauth/authorize?" + urlencode(query))

    async def decide(self, page: str, decision: str) -> tuple[int, str, str]:
        """Press Authorize or Deny on the consent page."""
        return await self.post("/oauth/authorize", {**hidden_fields(page),
                                                    "decision": decision})

    async def code(self, app: App, *, redirect_uri: str = CALLBACK,
                   scope: str = "read write follow push", state: str = "s1",
                   challenge: str = "") -> str:
        """Authorize and return the code the redirect carries (its state checked)."""
        status, page, _ = await self.authorize_page(app, redirect_uri=redirect_uri,
                                                     scope=scope, state=state,
                                                     challenge=challenge)
        assert status == 200, page[:500]
        status, body, location = await self.decide(page, "authorize")
        assert status == 303, body[:500]
        assert location.startswith(redirect_uri + "?")
        params = query_of(location)
        assert params["state"] == state
        return params["code"]


@asynccontextmanager
async def browser(api: Api) -> AsyncIterator[Browser]:
    # unsafe: keep cookies of an IP-address host (the instance is 127.0.0.1:PORT).
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        yield Browser(api, http)
