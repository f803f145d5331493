"""A browser for web tests: an aiohttp client with a cookie jar, talking to an instance
over real HTTP on loopback, reading the CSRF token from the forms it is served."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from tests.federation.harness import Instance, TestResolver

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    def __init__(self, instance: Instance, session: aiohttp.ClientSession) -> None:
        self.instance = instance
        self.session = session

    def cookie(self, name: str) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None

    async def get(self, path: str) -> Page:
        async with self.session.get(self.instance.base + path,
                                    allow_redirects=False) as response:
            return Page(response.status, await response.text(), dict(response.headers))

    async def csrf(self, path: str) -> str:
        page = await self.get(path)
        found = CSRF_RE.search(page.text)
        assert found, f"no CSRF token in {path}: {page.text[:500]}"
        return found.group(1)

    async def post(self, path: str, form: dict[str, str], *, csrf: str | None = "auto",
                   form_page: str | None = None) -> Page:
        """POST a form; csrf "auto" reads the token from `form_page` (default: `path`)."""
        data = dict(form)
        if csrf == "auto":
            data["csrf_token"] = await self.csrf(form_page or path)
        elif csrf is not None:
            data["csrf_token"] = csrf
        async with self.session.post(self.instance.base + path, data=data,
                                     allow_redirects=False) as response:
            return Page(response.status, await response.text(), dict(response.headers))

    async def sign_up(self, username: str, password: str = PASSWORD,
                      **extra: str) -> Page:
        form_page = "/auth/sign_up" + (f"?invite={extra['invite_code']}"
                                       if "invite_code" in extra else "")
        return await self.post("/auth/sign_up", {
            "username": username, "password": password, "password_confirmation": password,
            **extra}, form_page=form_page)

    async def sign_in(self, login: str, password: str = PASSWORD) -> Page:
        return await self.post("/auth/sign_in", {"login": login, "password": password})

    async def sign_out(self) -> Page:
        return await self.post("/auth/sign_out", {}, form_page="/")


@asynccontextmanager
async def browser(instance: Instance) -> AsyncIterator[Browser]:
    connector = aiohttp.TCPConnector(resolver=TestResolver())
    async with aiohttp.ClientSession(connector=connector,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Browser(instance, session)
