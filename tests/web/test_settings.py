"""Settings: display name, bio, avatar and header (uploaded or generated) reach followers'
servers; a password change signs out every other session and keeps this browser signed in."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import aiohttp
import pytest
from PIL import Image
from yarl import URL

from server import appkeys
from server.handlers.session import SESSION_COOKIE
from server.services.social import follows
from storage import accounts as account_queries
from storage.models import Account
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.server.web_helpers import Browser, Page, browser
from tests.web.conftest import DESKTOP

PASSWORD = "correct horse"  # what Instance.add_user gives


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


async def _multipart(b: Browser, path: str, fields: dict[str, str],
                     files: dict[str, bytes]) -> Page:
    data = aiohttp.FormData()
    data.add_field("csrf_token", await b.csrf("/settings/profile"))
    for name, value in fields.items():
        data.add_field(name, value)
    for name, content in files.items():
        data.add_field(name, content, filename=f"{name}.png", content_type="image/png")
    async with b.session.post(b.instance.base + path, data=data,
                              allow_redirects=False) as response:
        return Page(response.status, await response.text(), dict(response.headers))


async def _account(instance: Instance, uri: str) -> Account:
    async with instance.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, uri)
    assert account is not None
    return account


async def test_profile_changes_show_and_federate(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await a.add_user("alice")
    await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        page = await web.get("/settings/profile")
        assert page.status == 200 and 'href="/settings/export"' in page.text
        saved = await _multipart(web, "/settings/profile", {
            "display_name": "Alice  Liddell", "note": "Painter of <b>dreams</b>.\n\nHi!"},
            {"avatar": _png(800, 600, (200, 30, 30)), "header": _png(300, 300, (20, 20, 200))})
        assert saved.status == 303, saved.text
        assert saved.location == "/settings/profile?saved=1"
        page = await web.get(saved.location)
        assert "Your profile was saved" in page.text
        assert 'value="Alice Liddell"' in page.text
        assert "Painter of &lt;b&gt;dreams&lt;/b&gt;." in page.text  # escaped, never HTML

        profile = await web.get("/@alice")
        assert "Alice Liddell" in profile.text and "Painter of" in profile.text
        assert "<b>dreams" not in profile.text

        alice = await _account(a, a.actor("alice"))
        assert alice.avatar_url and alice.header_url
        async with web.session.get(alice.avatar_url) as response:
            assert response.status == 200 and response.content_type == "image/jpeg"
            assert "immutable" in response.headers["Cache-Control"]
            avatar = Image.open(io.BytesIO(await response.read()))
        assert avatar.size == (400, 400)  # cropped square, scaled down
        async with web.session.get(alice.header_url) as response:
            header = Image.open(io.BytesIO(await response.read()))
        assert header.size == (300, 100)  # 3:1, never scaled up

        # An image that is not one is refused, and nothing changes.
        bad = await _multipart(web, "/settings/profile", {"display_name": "Other"},
                               {"avatar": b"not an image"})
        assert bad.status == 422 and "avatar image was refused" in bad.text
        assert (await _account(a, a.actor("alice"))).display_name == "Alice Liddell"

    async with browser(a) as web, web.session.get(
            a.actor("alice"), headers={"Accept": "application/activity+json"}) as response:
        actor = json.loads(await response.text())
    assert actor["name"] == "Alice Liddell"
    assert actor["icon"] == {"type": "Image", "url": alice.avatar_url,
                             "mediaType": "image/jpeg"}
    assert actor["image"]["url"] == alice.header_url

    # Bob's server hears of it (an Update of the actor to followers).
    await settle([a, b])
    seen = await _account(b, a.actor("alice"))
    assert seen.display_name == "Alice Liddell"
    assert seen.avatar_url == alice.avatar_url and seen.header_url == alice.header_url
    assert "Painter of" in seen.note

    # Removing the avatar: its file is no longer served.
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        removed = await _multipart(web, "/settings/profile", {
            "display_name": "Alice Liddell", "note": "Hi", "remove_avatar": "1"}, {})
        assert removed.status == 303
        assert (await web.get(URL(alice.avatar_url).path)).status == 404
    assert (await _account(a, a.actor("alice"))).avatar_url is None


async def test_avatar_generated_from_a_prompt(start: StartInstance) -> None:
    a = await start("a", generator={"size": "256x256"})
    await a.add_user("alice")
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        started = await web.post("/compose/generate", {
            "prompt": "a fox astronaut", "purpose": "avatar", "n": "2"},
            form_page="/settings/profile")
        assert started.status == 303, started.text
        assert "purpose=avatar" in started.location
        await a.run_jobs()
        page = await web.get(started.location)
        assert "Pick your new avatar" in page.text and "Use as avatar" in page.text
        media_id = re.findall(r'name="media_id" value="(\d+)"', page.text)[1]
        chosen = await web.post("/settings/profile/picture", {
            "media_id": media_id, "role": "avatar", "next": "/settings/profile"},
            form_page=started.location)
        assert chosen.status == 303 and chosen.location == "/settings/profile?saved=1"
        alice = await _account(a, a.actor("alice"))
        assert alice.avatar_url and alice.avatar_url.endswith(".jpg")
        async with web.session.get(alice.avatar_url) as response:
            data = await response.read()
        assert Image.open(io.BytesIO(data)).size == (256, 256)
        assert b"DigitalSourceType" in data  # a generated image keeps its provenance

        # Someone else's image cannot become your avatar.
        await a.add_user("mallory")
    async with browser(a) as web:
        await web.sign_in("mallory", PASSWORD)
        stolen = await web.post("/settings/profile/picture", {
            "media_id": media_id, "role": "avatar"}, form_page="/settings/profile")
        assert stolen.status == 404


async def test_password_change_ends_other_sessions(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as other:
        await other.sign_in("alice", PASSWORD)
        async with browser(a) as web:
            await web.sign_in("alice", PASSWORD)
            before = web.cookie(SESSION_COOKIE)
            wrong = await web.post("/settings/password", {
                "current_password": "not it", "new_password": "a new long secret",
                "new_password_confirmation": "a new long secret"})
            assert wrong.status == 422 and "current password is wrong" in wrong.text.lower()
            mismatch = await web.post("/settings/password", {
                "current_password": PASSWORD, "new_password": "a new long secret",
                "new_password_confirmation": "another secret"})
            assert mismatch.status == 422 and "do not match" in mismatch.text
            changed = await web.post("/settings/password", {
                "current_password": PASSWORD, "new_password": "a new long secret",
                "new_password_confirmation": "a new long secret"})
            assert changed.status == 303, changed.text
            after = web.cookie(SESSION_COOKIE)
            assert after and after != before  # a fresh session, not the old one
            page = await web.get(changed.location)
            assert page.status == 200 and "Your password was changed" in page.text
        # The other browser was signed out.
        assert (await other.get("/settings/password")).status == 303
    async with browser(a) as web:
        assert (await web.sign_in("alice", PASSWORD)).status == 401
        assert (await web.sign_in("alice", "a new long secret")).status == 303


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_settings_in_chromium(start: StartInstance, chromium: Any) -> None:
    a = await start("a")
    await a.add_user("alice")
    page = await chromium.new_page(viewport=DESKTOP)

    async def sign_in(password: str) -> None:
        await page.goto(a.base + "/auth/sign_in?next=/settings/profile")
        await page.fill("input[name=login]", "alice")
        await page.fill("input[name=password]", password)
        await page.click("main button[type=submit]")

    await sign_in(PASSWORD)
    await page.wait_for_url(a.base + "/settings/profile")
    await page.fill("#display_name", "Alice in Dreamland")
    await page.fill("#note", "I paint with prompts.")
    await page.click("button:has-text('Save profile')")
    await page.wait_for_url(a.base + "/settings/profile?saved=1")
    await page.goto(a.base + "/@alice")
    body = await page.inner_text("main")
    assert "Alice in Dreamland" in body and "I paint with prompts." in body

    await page.goto(a.base + "/settings/password")
    await page.fill("#current_password", PASSWORD)
    await page.fill("#new_password", "dreams all the way")
    await page.fill("#new_password_confirmation", "dreams all the way")
    await page.click("#password-form button[type=submit]")
    await page.wait_for_url(a.base + "/settings/password?changed=1")
    assert "Your password was changed" in await page.inner_text("main")

    await page.context.clear_cookies()
    await sign_in(PASSWORD)  # the old password no longer opens the account
    assert "Wrong username or password." in await page.inner_text("main")
    await sign_in("dreams all the way")
    await page.wait_for_url(a.base + "/settings/profile")
    await page.close()
