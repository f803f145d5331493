"""An app asks for access, in Chromium: the authorization page sends a signed-out person
through sign-in and back, shows the app and what it asks for; Authorize sends the browser to
the app (another origin: the page's policy must let the form's redirect go there) with the
code and the state; Deny with access_denied; the out-of-band page shows the code; Settings >
Apps lists the app and revokes it. Screenshots: test-artifacts/screenshots/oauth-*.png."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from aiohttp import web

from server.services.oauth import apps, tokens
from server.services.oauth.apps import RegisteredApp
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, TestResolver
from tests.web.conftest import DESKTOP, screenshot

PASSWORD = "correct horse"  # what Instance.add_user gives
OOB = "urn:ietf:wg:oauth:2.0:oob"


@asynccontextmanager
async def _app_site() -> AsyncIterator[str]:
    """The app's own web site (client.test on loopback), where the browser lands with the
    answer; yields its callback URL."""
    async def callback(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><title>Back in the app</title>",
                            content_type="text/html")

    site = web.Application()
    site.router.add_get("/callback", callback)
    runner = web.AppRunner(site, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        yield f"http://client.test:{sock.getsockname()[1]}/callback"
    finally:
        await runner.cleanup()


def _authorize_url(instance: Instance, app: RegisteredApp, redirect_uri: str,
                   state: str) -> str:
    return instance.base + "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri,
        "scope": "read write", "state": state})


def _answer(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


async def _sign_in_on_the_way(page: Any, instance: Instance, app: RegisteredApp,
                              callback: str, artifacts: Path) -> None:
    await page.goto(_authorize_url(instance, app, callback, "first"))
    assert "/auth/sign_in" in page.url
    await page.fill('input[name="login"]', "alice")
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.press('input[name="password"]', "Enter")
    assert "/oauth/authorize?" in page.url
    body = await page.inner_text("main")
    assert "Authorize Sketchbook?" in body and "@alice" in body
    assert "Read everything of your account" in body
    assert "Change everything of your account" in body
    await screenshot(page, artifacts, "oauth-consent")


async def _authorize_lands_in_the_app(page: Any, instance: Instance, app: RegisteredApp,
                                      callback: str) -> str:
    async with page.expect_navigation(url=callback + "?**"):
        await page.click("button[value=authorize]")
    answer = _answer(page.url)
    assert answer["state"] == "first" and answer["code"]
    assert await page.title() == "Back in the app"
    return answer["code"]


async def _exchange(instance: Instance, app: RegisteredApp, secret: str, code: str,
                    redirect_uri: str) -> str:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": app.client_id, "client_secret": secret}
    connector = aiohttp.TCPConnector(resolver=TestResolver())
    async with aiohttp.ClientSession(connector=connector) as http, \
            http.post(instance.base + "/oauth/token", data=form) as response:
        assert response.status == 200, await response.text()
        token: str = (await response.json())["access_token"]
        return token


async def _deny_lands_in_the_app_with_access_denied(page: Any, instance: Instance,
                                                    app: RegisteredApp,
                                                    callback: str) -> None:
    await page.goto(_authorize_url(instance, app, callback, "second"))
    async with page.expect_navigation(url=callback + "?**"):
        await page.click("button[value=deny]")
    answer = _answer(page.url)
    assert answer["error"] == "access_denied" and answer["state"] == "second"
    assert "code" not in answer


async def _out_of_band_shows_the_code(page: Any, instance: Instance, app: RegisteredApp,
                                      artifacts: Path) -> str:
    await page.goto(_authorize_url(instance, app, OOB, ""))
    async with page.expect_navigation():
        await page.click("button[value=authorize]")
    assert urlsplit(page.url).path == "/oauth/authorize"
    code: str = await page.input_value("#oauth-code")
    assert len(code) >= 40
    await screenshot(page, artifacts, "oauth-code")
    return code


async def _settings_list_and_revoke(page: Any, instance: Instance, artifacts: Path) -> None:
    await page.goto(instance.base + "/settings/apps")
    listed = await page.inner_text(".apps-list")
    assert "Sketchbook" in listed and "Publish posts" not in listed
    assert "Read everything of your account" in listed and "last used" in listed
    await screenshot(page, artifacts, "oauth-settings-apps")

    async def accept(dialog: Any) -> None:
        await dialog.accept()

    page.once("dialog", accept)
    async with page.expect_navigation(url="**/settings/apps?revoked=1"):
        await page.click(".apps-list button:has-text('Revoke')")
    assert "The app's access was revoked" in await page.inner_text("main")
    assert "No app has access to your account." in await page.inner_text("main")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_app_asks_for_access(start: StartInstance, chromium: Any,
                                      artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with _app_site() as callback:
        app = await apps.register_app(a.services, name="Sketchbook",
                                      redirect_uris=[callback, OOB], scopes="read write",
                                      website="https://sketchbook.example")
        assert app.client_secret is not None
        page = await chromium.new_page(viewport=DESKTOP)
        await _sign_in_on_the_way(page, a, app, callback, artifacts)
        code = await _authorize_lands_in_the_app(page, a, app, callback)
        token = await _exchange(a, app, app.client_secret, code, callback)
        await _deny_lands_in_the_app_with_access_denied(page, a, app, callback)
        oob_code = await _out_of_band_shows_the_code(page, a, app, artifacts)
        await _exchange(a, app, app.client_secret, oob_code, OOB)
        # The app uses its token (Settings then says when), until alice revokes it.
        assert await tokens.authenticate(a.services, token) is not None
        await _settings_list_and_revoke(page, a, artifacts)
        assert await tokens.authenticate(a.services, token) is None
        await page.close()
