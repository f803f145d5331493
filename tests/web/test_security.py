"""The web app under attack: forged forms (CSRF), planted and stolen session cookies, stored
XSS from a remote server's post and actor, and password guessing. Plain HTTP where that
shows it (tests/server/web_helpers.py), Chromium where only a browser can tell (XSS)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from yarl import URL

from server import appkeys
from server.handlers.session import CSRF_COOKIE, SESSION_COOKIE
from server.services.social import follows
from storage.models import WebSession
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote, KeyPair
from tests.federation.harness import Instance
from tests.federation.interactions_helpers import alice_follows, create, note, post, send
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP

PASSWORD = "correct horse"  # what Instance.add_user gives everyone
EVIL = "http://evil.test"


async def _signed_in(b: Browser, login: str, password: str = PASSWORD) -> None:
    page = await b.sign_in(login, password)
    assert page.status == 303, page.text[:300]


async def _is_signed_in(b: Browser) -> bool:
    """The sign-in page sends whoever is signed in on to the home page."""
    return (await b.get("/auth/sign_in")).status == 303


async def _session_count(instance: Instance) -> int:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(select(func.count()).select_from(WebSession)))
                   .scalar_one())


async def _raw_post(b: Browser, path: str, form: dict[str, str],
                    headers: dict[str, str] | None = None) -> int:
    async with b.session.post(b.instance.base + path, data=form, headers=headers or {},
                              allow_redirects=False) as response:
        return response.status


# --- CSRF ------------------------------------------------------------------------------------


async def test_forged_forms_are_refused_and_change_nothing(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    await a.add_user("eve")
    follow_eve = {"handle": a.handle("eve"), "next": "/"}

    async def bob_follows_eve() -> bool:
        rel = await follows.relationships(a.services, "bob")
        return a.handle("eve") in rel.following + rel.requested

    async with browser(a) as bob, browser(a) as eve:
        await _signed_in(bob, "bob")
        await _signed_in(eve, "eve")
        bobs = await bob.csrf("/")
        eves = await eve.csrf("/")
        assert bobs != eves
        for path, form in (("/web/accounts/follow", follow_eve), ("/auth/sign_out", {})):
            forged: list[tuple[str, dict[str, str], dict[str, str]]] = [
                ("no token", form, {}),
                ("a wrong token", {**form, "csrf_token": "x" * 43}, {}),
                ("eve's token", {**form, "csrf_token": eves}, {}),
                ("eve's token in the header", form, {"X-CSRF-Token": eves}),
                # A page elsewhere that somehow learned the token still cannot post it.
                ("a cross-site form", {**form, "csrf_token": bobs}, {"Origin": EVIL}),
                ("an opaque origin", {**form, "csrf_token": bobs}, {"Origin": "null"}),
            ]
            for what, data, headers in forged:
                status = await _raw_post(bob, path, data, headers)
                assert status == 403, f"{path} with {what} answered {status}"
            assert not await bob_follows_eve()
            assert await _session_count(a) == 2
            assert await _is_signed_in(bob)
        # The same forms with bob's own token, from bob's own pages, go through.
        same_site = {"Origin": a.base}
        assert await _raw_post(bob, "/web/accounts/follow", {**follow_eve, "csrf_token": bobs},
                               same_site) == 303
        await a.run_jobs()
        assert await bob_follows_eve()
        assert await _raw_post(bob, "/auth/sign_out", {"csrf_token": bobs}, same_site) == 303
        assert await _session_count(a) == 1


# --- sessions --------------------------------------------------------------------------------


async def test_sessions_are_new_at_sign_in_and_end_on_the_server(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    planted = "planted-by-an-attacker-0123456789abcdefghijkl"
    async with browser(a) as b, browser(a) as thief:
        b.session.cookie_jar.update_cookies({SESSION_COOKIE: planted}, URL(a.base))
        await _signed_in(b, "bob")
        token = b.cookie(SESSION_COOKIE)
        assert token and token != planted
        # Someone who copied the cookie (a shared computer) is bob, until bob signs out.
        thief.session.cookie_jar.update_cookies({SESSION_COOKIE: token}, URL(a.base))
        assert await _is_signed_in(thief)
        assert (await b.sign_out()).status == 303
        assert await _session_count(a) == 0
        assert not await _is_signed_in(thief)
        assert await _raw_post(thief, "/auth/sign_out", {"csrf_token": "x" * 43}) == 403


async def test_changing_the_password_signs_out_every_other_session(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    async with browser(a) as laptop, browser(a) as phone:
        await _signed_in(laptop, "bob")
        await _signed_in(phone, "bob")
        before = laptop.cookie(SESSION_COOKIE)
        wrong = await laptop.post("/settings/password", {
            "current_password": "not the password", "new_password": "a brand new secret",
            "new_password_confirmation": "a brand new secret"})
        assert wrong.status in (401, 403, 422), wrong.status
        assert await _is_signed_in(phone)
        page = await laptop.post("/settings/password", {
            "current_password": PASSWORD, "new_password": "a brand new secret",
            "new_password_confirmation": "a brand new secret"})
        assert page.status == 303, page.text[:300]
        # This browser stays signed in, under a new session; the phone is out.
        assert laptop.cookie(SESSION_COOKIE) not in (None, before)
        assert await _is_signed_in(laptop)
        assert not await _is_signed_in(phone)
        assert await _session_count(a) == 1
    async with browser(a) as b:
        assert (await b.sign_in("bob", PASSWORD)).status == 401
        await _signed_in(b, "bob", "a brand new secret")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_https_cookies_and_security_headers(start: StartInstance) -> None:
    a = await start("a", instance={"scheme": "https"})
    await a.add_user("bob")
    async with browser(a) as b:
        # The instance thinks it is behind TLS; talk to it directly over plain HTTP, sending
        # the cookies by hand (a cookie jar keeps Secure cookies off http).
        url = f"http://{a.domain}"
        async with b.session.get(url + "/auth/sign_in") as response:
            csrf_cookie = response.cookies[CSRF_COOKIE]
            form_token = csrf_cookie.value
            headers = dict(response.headers)
        async with b.session.post(url + "/auth/sign_in", allow_redirects=False,
                                  headers={"Cookie": f"{CSRF_COOKIE}={form_token}"},
                                  data={"login": "bob", "password": PASSWORD,
                                        "csrf_token": form_token}) as response:
            assert response.status == 303
            cookie = response.cookies[SESSION_COOKIE]
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
        assert csrf_cookie["secure"] and csrf_cookie["samesite"] == "Lax"

        policy = dict(part.strip().split(" ", 1)
                      for part in headers["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
        assert policy["form-action"] == "'self'" and policy["object-src"] == "'none'"
        assert "unsafe-inline" not in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        # ActivityPub documents stay plain JSON (no page policy), still nosniff.
        async with b.session.get(url + "/users/bob",
                                 headers={"Accept": "application/activity+json"}) as response:
            assert response.status == 200
            assert response.content_type == "application/activity+json"
            assert "Content-Security-Policy" not in response.headers
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert (await response.json())["preferredUsername"] == "bob"


# --- password guessing -----------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_password_guessing_is_rate_limited_per_address(start: StartInstance) -> None:
    # 127.0.0.1 is a trusted proxy here, so X-Forwarded-For stands for other addresses.
    a = await start("a", ratelimits={"login": "5 per minute"},
                    server={"trusted_proxies": ["127.0.0.1/32"]})
    await a.add_user("bob")

    async def attempt(b: Browser, password: str, address: str) -> tuple[int, dict[str, str]]:
        csrf = await b.csrf("/auth/sign_in")
        async with b.session.post(a.base + "/auth/sign_in", allow_redirects=False,
                                  headers={"X-Forwarded-For": address},
                                  data={"login": "bob", "password": password,
                                        "csrf_token": csrf}) as response:
            return response.status, dict(response.headers)

    async with browser(a) as attacker:
        for n in range(5):
            status, _ = await attempt(attacker, f"guess number {n}", "198.51.100.7")
            assert status == 401
        status, headers = await attempt(attacker, "guess number 6", "198.51.100.7")
        assert status == 429
        assert 0 < int(headers["Retry-After"]) <= 60
        # Out of budget, even the right password is refused: guessing cannot go on until
        # the moving window (one minute after the first attempt) frees a slot.
        status, headers = await attempt(attacker, PASSWORD, "198.51.100.7")
        assert status == 429 and "Retry-After" in headers
        assert attacker.cookie(SESSION_COOKIE) is None
    # Somebody else, elsewhere, signs in as usual.
    async with browser(a) as owner:
        status, _ = await attempt(owner, PASSWORD, "203.0.113.20")
        assert status == 303 and owner.cookie(SESSION_COOKIE)


# --- stored XSS ------------------------------------------------------------------------------

# Every payload sets a flag or opens a dialog if it ever runs.
RUN = "window.__xss=(window.__xss||0)+1;alert(document.domain)"
EVIL_NAME = f'Carol <img src=x onerror="{RUN}"><script>{RUN}</script>'
EVIL_BIO = (f'<p>bio <script>{RUN}</script><img src=x onerror="{RUN}">'
            f'<a href="javascript:{RUN}">click me</a><svg onload="{RUN}"></svg>'
            f'<span style="background:url({EVIL}/bg.png)" onmouseover="{RUN}">hover</span>'
            f'<iframe src="javascript:{RUN}"></iframe></p>')
EVIL_CONTENT = (f'<p>night swim <script>{RUN}</script><img src=x onerror="{RUN}">'
                f'<a href="javascript:{RUN}">link</a> <a href="jAvAsCrIpT:{RUN}">link2</a>'
                f'<svg><animate onbegin="{RUN}" attributeName="x"/></svg>'
                f'<svg onload="{RUN}"></svg><p style="background:url({EVIL}/bg.png)">styled</p>'
                f'<form action="{EVIL}"><button formaction="javascript:{RUN}">go</button>'
                f'</form><math><mtext><table><mglyph><style><img src=x onerror="{RUN}">'
                f'</style></mglyph></table></mtext></math></p>')
EVIL_ALT = f'"><img src=x onerror="{RUN}">'
EVIL_CW = f"<b>cw</b><script>{RUN}</script>"
# What a page must not contain once remote HTML went through it.
INJECTED = ('[onerror],[onload],[onclick],[onmouseover],[onbegin],[formaction],'
            'script:not([src^="/static/"]),iframe,object,embed,form[action*="evil"],'
            'a[href^="javascript:" i],[style*="evil"],img[src="x"]')


class EvilActor(FakeActor):
    """A remote actor whose profile carries markup and scripts in every text field."""

    def document(self) -> dict[str, Any]:
        doc = super().document()
        doc["summary"] = EVIL_BIO
        doc["attachment"] = [{"type": "PropertyValue", "name": f"<b>site</b>{EVIL_ALT}",
                              "value": f'<a href="javascript:{RUN}">mine</a>{EVIL_ALT}'}]
        doc["url"] = f"javascript:{RUN}"
        return doc


def _png() -> bytes:
    image = Image.new("RGB", (64, 48), (30, 120, 220))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def _sign_in_page(page: Any, instance: Instance, login: str) -> None:
    await page.goto(instance.base + "/auth/sign_in")
    await page.fill('input[name="login"]', login)
    await page.fill('input[name="password"]', PASSWORD)
    async with page.expect_navigation():
        await page.press('input[name="password"]', "Enter")
    assert SESSION_COOKIE in {c["name"] for c in await page.context.cookies()}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_remote_html_never_runs_in_the_browser(start: StartInstance, chromium: Any) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with FakeRemote("masto") as masto:
        carol = EvilActor("carol", "mastodon", masto.base, KeyPair.generate(), EVIL_NAME)
        masto.actors["carol"] = carol
        await alice_follows(a, masto, carol)
        image = masto.serve_bytes("/system/media/1.png", _png(), "image/png")
        doc = note(carol, content=EVIL_CONTENT, summary=EVIL_CW, url=f"javascript:{RUN}",
                   attachment=[{"type": "Document", "mediaType": "image/png", "url": image,
                                "name": EVIL_ALT, "width": 64, "height": 48}])
        row = await send(masto, carol, a, create(carol, doc))
        assert row.state == "applied", row.error
        status = await post(a, doc["id"])
        assert status is not None

        context = await chromium.new_context(viewport=DESKTOP)
        page = await context.new_page()
        dialogs: list[str] = []
        csp_violations: list[str] = []

        async def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            await dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda message: csp_violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        await _sign_in_page(page, a, "alice")

        handle = carol.handle
        missing: list[str] = []
        for path in ("/", "/home", "/federated", "/notifications", f"/@{handle}/{status.id}",
                     f"/@{handle}"):
            response = await page.goto(a.base + path)
            if response is None or response.status != 200:
                missing.append(f"{path}: {response and response.status}")
                continue
            # Reveal what a content warning hides, so hidden markup gets its chance too.
            for summary in await page.query_selector_all("details:not([open]) > summary"):
                await summary.click()
            await page.wait_for_load_state("load")
            found = await page.evaluate(
                "s => [...document.querySelectorAll(s)].map(e => e.outerHTML.slice(0, 160))",
                INJECTED)
            assert found == [], f"{path}: injected markup in the page: {found}"
            assert await page.evaluate("window.__xss") is None, path
            text = await page.inner_text("body")
            if path.startswith("/@"):
                # Plain-text fields are shown as the text they are, tags and all.
                assert 'Carol <img src=x onerror="' in text, f"{path}: name not shown as text"
        await context.close()
        assert dialogs == [], dialogs
        assert csp_violations == [], csp_violations
        # Checked last, so the pages that are there were all looked at.
        assert missing == [], f"pages that should show the post or profile: {missing}"
