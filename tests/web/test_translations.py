"""The interface in the reader's language, in Chromium (issue 21): a browser asking for French
gets the home and compose pages in French; the account's Settings > Language beats the
browser; a visitor's footer picker keeps a choice in a cookie; Arabic is laid out right to
left (dir=rtl, the navigation on the right of the page); axe finds nothing serious in French
or Arabic. Anonymous pages are cached per language, so a French visitor never gets the
English copy another visitor made."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import appkeys
from server.services.statuses import posts
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, PHONE, screenshot, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _post(a: Instance, username: str, account_id: int, caption: str) -> None:
    [media] = await a.make_images(account_id, caption)
    await posts.create_status(a.app[appkeys.SERVICES], username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[f"a picture of {caption}"]))


@SQLITE
async def test_french_browser_gets_french_pages(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _post(a, "alice", alice.account_id, "a lighthouse at dusk")
    context = await chromium.new_context(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/home")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await page.get_attribute("html", "dir") == "ltr"
    nav = page.locator(".sidebar .main-nav")
    for name in ("Accueil", "Découvrir", "Notifications", "Signets", "Paramètres", "Créer"):
        assert await nav.get_by_role("link", name=name, exact=True).is_visible(), name
    card = page.locator("article.post-card").first
    # The like button, named by its French label (J\u2019aime).
    assert await card.get_by_role("button", name="J\u2019aime").count() == 1
    assert "Home" not in await nav.inner_text()
    # What the scripts say comes in French too (base.html's #ui-messages, read by app.js).
    said = await page.evaluate(
        "[window.dreamfeedText('That did not work.'),"
        " window.dreamfeedText('The server answered %(status)s.', {status: 502})]")
    assert said == ["Cela n\u2019a pas marché.", "Le serveur a répondu 502."]
    await screenshot(page, artifacts, "home-fr")

    await page.goto(a.base + "/compose")
    assert await page.get_by_role("heading", name="Créer une publication").is_visible()
    assert await page.get_by_role("button", name="Générer").is_visible()
    assert await page.get_by_role("textbox", name="Prompt").is_visible()
    await screenshot(page, artifacts, "compose-fr")
    assert await serious_violations(page) == []
    await context.close()


@SQLITE
async def test_the_account_setting_beats_the_browser(start, chromium) -> None:
    a = await start("a")
    await a.add_user("alice")
    context = await chromium.new_context(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/settings/profile")
    assert await page.locator("#ui-messages").count() == 1
    await page.get_by_role("navigation", name="Paramètres").get_by_role(
        "link", name="Langue").click()
    await page.wait_for_url(a.base + "/settings/language")
    await page.get_by_label("Langue des menus, boutons et messages").select_option("en")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Enregistrer").click()
    assert await page.get_by_role("status").inner_text() == "Your language was saved."
    assert await page.get_attribute("html", "lang") == "en"
    # English pages carry no messages for the scripts: their own words are English.
    assert await page.locator("#ui-messages").count() == 0
    assert await page.evaluate("window.dreamfeedText('That did not work.')") == \
        "That did not work."
    await page.goto(a.base + "/home")
    assert await page.locator(".sidebar .main-nav").get_by_role(
        "link", name="Home", exact=True).is_visible()

    # Kept with the account: a fresh browser asking for French, once signed in, is English.
    other = await chromium.new_context(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)
    fresh = await other.new_page()
    await sign_in_page(fresh, a.base, "alice")
    await fresh.goto(a.base + "/compose")
    assert await fresh.get_attribute("html", "lang") == "en"
    assert await fresh.get_by_role("button", name="Generate").is_visible()
    # "Your browser's language" gives the choice back to the browser.
    await fresh.goto(a.base + "/settings/language")
    await fresh.get_by_label("Language of menus, buttons and messages").select_option("")
    async with fresh.expect_navigation():
        await fresh.get_by_role("button", name="Save").click()
    assert await fresh.get_attribute("html", "lang") == "fr"
    await other.close()
    await context.close()


@SQLITE
async def test_arabic_is_right_to_left(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _post(a, "alice", alice.account_id, "a red fox")
    context = await chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = await context.new_page()
    # A visitor picks Arabic in the footer (no JavaScript needed: a GET form).
    await page.goto(a.base + "/local")
    assert await page.get_attribute("html", "lang") == "en"
    await page.get_by_label("Language").select_option("ar")
    async with page.expect_navigation():
        await page.locator("form.language-picker").get_by_role("button").click()
    assert page.url == a.base + "/local"
    assert await page.get_attribute("html", "lang") == "ar"
    assert await page.get_attribute("html", "dir") == "rtl"
    sidebar = await page.locator(".sidebar").bounding_box()
    main = await page.locator("main").bounding_box()
    aside = await page.locator("aside.aside").bounding_box()
    assert sidebar and main and aside
    # The navigation is on the right, the aside on the left.
    assert sidebar["x"] > main["x"] > aside["x"]
    assert sidebar["x"] + sidebar["width"] > DESKTOP["width"] - 40
    # A post card's body starts at the right, after the avatar.
    avatar = await page.locator("article.post-card .avatar").first.bounding_box()
    body = await page.locator("article.post-card .card-body").first.bounding_box()
    assert avatar and body and avatar["x"] > body["x"]
    await screenshot(page, artifacts, "local-ar")
    assert await serious_violations(page) == []

    # Signed in, the cookie still chooses until the account has a choice of its own.
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/home")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator(".sidebar .main-nav").get_by_role(
        "link", name="الرئيسية", exact=True).is_visible()
    assert await serious_violations(page) == []
    await page.goto(a.base + "/compose")
    assert await page.get_by_role("heading", name="إنشاء منشور").is_visible()
    prompt = await page.get_by_role("textbox", name="الوصف").bounding_box()
    assert prompt is not None
    await screenshot(page, artifacts, "compose-ar")
    await context.close()

    phone = await chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                                       locale="ar")
    small = await phone.new_page()
    await small.goto(a.base + "/local")
    assert await small.get_attribute("html", "dir") == "rtl"
    tabs = small.locator("nav.tab-bar .nav-link")
    first = await tabs.first.bounding_box()
    last = await tabs.last.bounding_box()
    assert first and last and first["x"] > last["x"]  # the first tab at the right
    await phone.close()


@SQLITE
async def test_cached_anonymous_pages_are_per_language(start, chromium) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _post(a, "alice", alice.account_id, "a quiet harbour")
    english = await chromium.new_context(viewport=DESKTOP, locale="en-US")
    french = await chromium.new_context(viewport=DESKTOP, locale="fr-FR", bypass_csp=True)
    page = await english.new_page()
    await page.goto(a.base + "/@alice")
    assert await page.get_attribute("html", "lang") == "en"
    other = await french.new_page()
    await other.goto(a.base + "/@alice")
    assert await other.get_attribute("html", "lang") == "fr"
    response = await other.goto(a.base + "/@alice")
    assert response is not None
    assert "Accept-Language" in (response.headers.get("vary") or "")
    await english.close()
    await french.close()


@SQLITE
async def test_home_page_is_axe_clean_in_french_and_arabic(start, chromium) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await _post(a, "alice", alice.account_id, "a field of sunflowers")
    for locale in ("fr", "ar"):
        context = await chromium.new_context(viewport=DESKTOP, locale=locale, bypass_csp=True)
        page = await context.new_page()
        await sign_in_page(page, a.base, "alice")
        await page.goto(a.base + "/home")
        assert await page.get_attribute("html", "lang") == locale
        assert await serious_violations(page) == [], locale
        await context.close()
