"""Getting around the web app, and what it says, in Chromium (issue 21): a phone reaches
search, settings, admin and sign out from its top bar; notifications come grouped ("Ana and 4
others liked your image"); unknown pages and failures get the app's own 404 and 500 pages
with the navigation and no exception text; a search for a handle whose server does not
resolve says so in words; the follow button shows the new state and the count follows in
place; the manifest installs the app; axe finds nothing serious or critical on the main
pages, light or dark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from server import appkeys
from server.handlers import pages
from server.services.statuses import boosts, favourites, posts
from storage.models import Account
from tests.federation.harness import Instance
from tests.server.web_helpers import browser
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, PHONE, screenshot, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
FANS = ("bob", "carol", "dan", "eve", "fay")
# What a leaked network exception would show (aiohttp's and the resolver's words).
LEAKS = ("Cannot connect", "getaddrinfo", "Name or service", "nodename", "ClientConnector",
         "Errno", "Traceback", "Temporary failure", "DNS")


async def _post(a: Instance, username: str, account_id: int, caption: str) -> int:
    [media] = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[f"a picture of {caption}"]))
    return view.id


@SQLITE
async def test_phone_navigation_reaches_everything(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice", admin=True)
    await a.add_user("bob")
    context = await chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")
    # The desktop sidebar's links are hidden on a phone: the top bar has search and the menu.
    assert not await page.locator(".sidebar .main-nav").is_visible()
    search = page.locator(".sidebar .top-search")
    assert await search.is_visible()
    await search.click()
    await page.wait_for_url(a.base + "/search")
    await page.get_by_label("Search posts, people and hashtags").wait_for()

    menu = page.locator("details.account-menu")
    await menu.locator("summary").click()
    items = menu.locator(".menu-items")
    assert await items.is_visible()
    await screenshot(page, artifacts, "phone-account-menu")
    for name in ("Profile", "Search", "Bookmarks", "Settings", "Admin"):
        assert await items.get_by_role("link", name=name, exact=True).is_visible(), name
    for item in await items.locator("a, button").all():  # tap targets of 44 px or more
        box = await item.bounding_box()
        assert box is not None and box["height"] >= 44
    await items.get_by_role("link", name="Settings").click()
    await page.wait_for_url(a.base + "/settings/profile")
    await menu.locator("summary").click()
    await items.get_by_role("link", name="Admin").click()
    await page.wait_for_url(f"{a.base}/admin**")
    await page.goto(a.base + "/home")
    await menu.locator("summary").click()
    async with page.expect_navigation():
        await items.get_by_role("button", name="Sign out").click()
    assert await page.locator(".sidebar .account").get_by_role("link", name="Sign in").is_visible()

    # Not an admin: no Admin entry.
    await sign_in_page(page, a.base, "bob")
    await menu.locator("summary").click()
    assert await items.get_by_role("link", name="Settings").is_visible()
    assert await items.get_by_role("link", name="Admin").count() == 0
    await context.close()


# Both databases: the grouping is SQL (storage.notification_lists.group_stats).
async def test_notifications_come_grouped(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    for name in FANS:
        await a.add_user(name)
    liked = await _post(a, "alice", alice.account_id, "a lighthouse in the fog")
    for name in FANS:
        await favourites.favourite(a.services, name, str(liked))
    await boosts.boost(a.services, "bob", str(liked))
    page = await chromium.new_page(viewport=DESKTOP)
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/notifications")
    likes = page.locator("article.notification.type-favourite")
    assert await likes.count() == 1, "five likes of one post are one row"
    text = " ".join((await likes.locator(".line").inner_text()).split())
    assert "fay and 4 others liked your image" in text, text
    assert await likes.locator(".avatars .avatar").count() == 4  # the first, then three
    assert await likes.locator(f"a.thumb[href='/@alice/{liked}'] img").count() == 1
    boost = page.locator("article.notification.type-reblog")
    line = " ".join((await boost.locator(".line").inner_text()).split())
    assert line.startswith("bob boosted your image"), line
    await screenshot(page, artifacts, "notifications-grouped")


@SQLITE
async def test_error_pages_and_messages(start, chromium, artifacts: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    await a.add_user("alice")
    page = await chromium.new_page(viewport=DESKTOP)
    missing = await page.goto(a.base + "/no/such/page")
    assert missing is not None and missing.status == 404
    assert await page.locator("h1").inner_text() == "This page does not exist"
    assert await page.locator("nav.main-nav").is_visible()
    await screenshot(page, artifacts, "error-404")
    # A handler's plain-text refusal is a page too, in a sentence.
    bad = await page.goto(a.base + "/local?max_id=nope")
    assert bad is not None and bad.status == 400
    assert await page.locator("main h1").inner_text() == "That did not work"
    assert await page.locator("nav.main-nav").is_visible()
    # Scripts and the API keep their plain answers.
    async with browser(a) as plain:
        answer = await plain.session.get(a.base + "/no/such/page",
                                         headers={"Accept": "application/json"})
        assert answer.status == 404 and "This page does not exist" not in await answer.text()

    async def broken(request: Any) -> None:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(pages, "cached_usage", broken)
    failed = await page.goto(a.base + "/about")
    assert failed is not None and failed.status == 500
    body = await page.content()
    assert "Something went wrong on our side" in body
    assert "secret detail" not in body and "RuntimeError" not in body
    assert await page.locator("nav.main-nav").is_visible()
    await screenshot(page, artifacts, "error-500")

    # A handle whose server does not resolve: what happened and what to do, no exception.
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/search?q=%40nobody%40example.invalid")
    notice = await page.locator(".search-page .notice").inner_text()
    assert notice.startswith("No account was found for @nobody@example.invalid"), notice
    assert "Check the spelling" in notice
    main = await page.locator("main").inner_text()
    assert not [leak for leak in LEAKS if leak in main], main
    await screenshot(page, artifacts, "search-unresolvable")


async def test_follow_button_shows_the_state(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice")
    await a.add_user("bob")
    page = await chromium.new_page(viewport=DESKTOP)
    await sign_in_page(page, a.base, "bob")
    await page.goto(a.base + "/@alice")
    counts = page.locator("[data-followers-count]")
    assert " ".join((await counts.inner_text()).split()) == "0 followers"
    button = page.locator("form[data-follow] button")
    assert await button.inner_text() == "Follow"
    await button.click()
    await page.locator("form[data-follow] button[aria-pressed=true]").wait_for()
    assert await button.inner_text() == "Following"
    assert " ".join((await counts.inner_text()).split()) == "1 follower"
    # Pointing at it says what pressing does, in the button's own colours: no red.
    await button.hover()
    assert "unfollow" in (await button.get_attribute("title") or "")
    colour = await button.evaluate("b => getComputedStyle(b).color")
    assert colour not in ("rgb(198, 40, 40)", "rgb(185, 28, 28)", "rgb(248, 113, 113)")
    await screenshot(page, artifacts, "profile-following")
    await button.click()
    await page.locator("form[data-follow] button[aria-pressed=false]").wait_for()
    assert await button.inner_text() == "Follow"
    assert " ".join((await counts.inner_text()).split()) == "0 followers"


@SQLITE
async def test_manifest_and_landing_description(start) -> None:
    a = await start("a")
    async with browser(a) as visitor:
        landing = await visitor.get("/")
        assert '<meta name="description" content="' in landing.text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in landing.text
        answer = await visitor.session.get(a.base + "/manifest.webmanifest")
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("application/manifest+json")
        manifest = await answer.json(content_type=None)
        assert manifest["name"] == a.config.instance.name and manifest["display"] == "standalone"
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        assert {"192x192", "512x512"} <= sizes
        for icon in manifest["icons"]:
            image = await visitor.session.get(a.base + icon["src"])
            assert image.status == 200 and image.headers["Content-Type"] == "image/png"


@SQLITE
async def test_main_pages_pass_axe_light_and_dark(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    post = await _post(a, "alice", alice.account_id, "a red fox in the snow #fox")
    await favourites.favourite(a.services, "bob", str(post))
    await boosts.boost(a.services, "bob", str(post))
    found: list[str] = []
    for scheme in ("light", "dark"):
        # axe is injected as a script tag: the pages' CSP (script-src 'self') is set aside.
        context = await chromium.new_context(viewport=DESKTOP, color_scheme=scheme,
                                             bypass_csp=True)
        page = await context.new_page()
        await page.goto(a.base + "/")
        found += [f"{scheme} /: {line}" for line in await serious_violations(page)]
        await screenshot(page, artifacts, f"landing-{scheme}")
        await sign_in_page(page, a.base, "alice")
        for path, name in (("/home", "home"), ("/@alice", "profile"),
                           (f"/@alice/{post}", "post"), ("/compose", "compose"),
                           ("/notifications", "notifications"), ("/search?q=fox", "search"),
                           ("/no/such/page", "404")):
            await page.goto(a.base + path)
            found += [f"{scheme} {path}: {line}" for line in await serious_violations(page)]
            await screenshot(page, artifacts, f"{name}-{scheme}")
        # A post page has its heading; the controls' names carry their counts.
        await page.goto(f"{a.base}/@alice/{post}")
        assert await page.locator("h1").count() == 1
        like = page.locator(f"#post-{post} button.action.like, #post-{post} a.action.like").first
        name = " ".join((await like.evaluate("e => e.innerText + '|' + e.textContent")).split())
        assert "Like" in name and "1" in name, name
        await context.close()
    assert not found, "\n".join(found)


# Both databases: who to follow is a query of its own (storage/suggestions.py).
async def test_right_column(start, chromium, artifacts: Path) -> None:
    """Search, the week's trending tags and people to follow, instead of the instance's
    blurb on every page (the landing page says what the instance is, once)."""
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    carol = await a.add_user("carol")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == carol.account_id)
                              .values(discoverable=False))
    await _post(a, "alice", alice.account_id, "a red fox #fox")
    page = await chromium.new_page(viewport=DESKTOP)
    await page.goto(a.base + "/")
    aside = page.locator("aside.aside")
    assert await aside.get_by_role("link", name="#fox").is_visible()
    name = a.config.instance.name
    assert await page.get_by_role("heading", name=name, exact=True).count() == 1
    await sign_in_page(page, a.base, "bob")
    await page.goto(a.base + "/@alice")  # her own button is on her page: not again
    assert await page.locator("form[data-follow]").count() == 1
    assert await aside.locator(".aside-people").count() == 0
    await page.goto(a.base + "/local")
    assert await aside.get_by_role("searchbox").is_visible()
    people = aside.locator(".aside-people li")
    assert [" ".join(t.split()) for t in await people.locator(".name").all_inner_texts()] \
        == ["alice"]  # not bob himself, not carol who is not discoverable
    follow = people.get_by_role("button", name="Follow alice")
    await follow.click()
    pressed = people.locator("button[aria-pressed=true]")
    await pressed.wait_for()
    assert (await pressed.locator("[data-label]").inner_text()).strip() == "Following"
    await screenshot(page, artifacts, "right-column")
    await page.goto(a.base + "/local")
    assert await aside.locator(".aside-people").count() == 0  # nobody left to suggest
