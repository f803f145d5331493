"""The search page in Chromium (issue 21): a word from a caption, an image description or a
published prompt finds the post as an image card; a hashtag and a person are found and
linked; a handle that cannot be found says so in words, never with an exception's text; the
tabs and the "load more" link work without JavaScript; axe finds nothing serious."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.services.statuses import posts
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LEAKS = ("Cannot connect", "getaddrinfo", "Name or service", "ClientConnector", "Errno",
         "Traceback", "Temporary failure", "DNS")


async def _post(a: Instance, username: str, account_id: int, caption: str, alt: str, *,
                prompt: str = "a picture", publish_prompt: bool = False) -> int:
    [media] = await a.make_images(account_id, prompt)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[alt], publish_prompt=publish_prompt))
    return view.id


@SQLITE
async def test_search_page_finds_posts_tags_and_people(start, chromium,
                                                        artifacts: Path) -> None:
    a = await start("a")
    ana = await a.add_user("ana")
    await a.add_user("bruno")
    lighthouse = await _post(a, "ana", ana.account_id, "Stormy evening #seascape",
                             "A red lighthouse in high waves")
    comet = await _post(a, "ana", ana.account_id, "Night sky", "Stars over a field",
                        prompt="a green comet above wheat", publish_prompt=True)
    await _post(a, "ana", ana.account_id, "Quiet morning", "Fog on a lake",
                prompt="unpublished dragon")

    # axe is injected as an inline script, which the pages' CSP would refuse.
    page = await chromium.new_page(viewport=DESKTOP, bypass_csp=True)
    await sign_in_page(page, a.base, "bruno")
    await page.goto(a.base + "/search")
    box = page.get_by_label("Search posts, people and hashtags")
    # A word of an image description finds the post as an image card.
    await box.fill("lighthouse")
    await box.press("Enter")
    await page.wait_for_url("**/search?q=lighthouse")
    cards = page.locator(".search-page article.post-card")
    await cards.first.wait_for()
    assert await cards.count() == 1
    assert await page.locator(f'.search-page a[href="/@ana/{lighthouse}"]').count() >= 1
    assert await page.locator(".search-page article.post-card img").count() >= 1
    assert not await serious_violations(page), await serious_violations(page)
    await screenshot(page, artifacts, "search-posts")

    # A published prompt is searchable; one kept private is not.
    await page.goto(a.base + "/search?q=comet&type=posts")
    assert await page.locator(f'.search-page a[href="/@ana/{comet}"]').count() >= 1
    await page.goto(a.base + "/search?q=dragon&type=posts")
    empty = await page.locator(".search-page .empty").inner_text()
    assert "No posts you can see" in empty

    # A hashtag, with its count, through the Hashtags tab.
    await page.goto(a.base + "/search?q=%23sea")
    await page.get_by_role("link", name="Hashtags").click()
    await page.wait_for_url("**type=hashtags**")
    tag = page.locator('.search-tags a[href="/tags/seascape"]')
    assert "1 post" in " ".join((await tag.inner_text()).split())
    assert await page.locator('.search-tabs a[aria-current="page"]').inner_text() == "Hashtags"

    # A person by name, through the People tab.
    await box.fill("ana")
    await box.press("Enter")
    await page.get_by_role("link", name="People").click()
    await page.locator('.account-list a[href="/@ana"]').wait_for()
    assert not await serious_violations(page), await serious_violations(page)

    # A handle whose server cannot be found: a sentence, no exception.
    await page.goto(a.base + "/search?q=%40nobody%40example.invalid")
    notice = await page.locator(".search-page .notice").inner_text()
    assert notice.startswith("No account was found for @nobody@example.invalid"), notice
    main = await page.locator("main").inner_text()
    assert not [leak for leak in LEAKS if leak in main], main
    assert not await serious_violations(page), await serious_violations(page)
    await screenshot(page, artifacts, "search-unresolvable-handle")


@SQLITE
async def test_search_pages_without_javascript(start, chromium) -> None:
    a = await start("a")
    ana = await a.add_user("ana")
    ids = [await _post(a, "ana", ana.account_id, f"Kite number {n}", "A kite")
           for n in range(3)]
    context = await chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    await sign_in_page(page, a.base, "ana")
    await page.goto(a.base + "/search?q=kite&type=posts&limit=2")
    first = page.locator(".search-page article.post-card")
    assert await first.count() == 2
    await page.get_by_role("link", name="Load more").click()
    await page.wait_for_url("**max_id=**")
    assert await page.locator(f'.search-page a[href="/@ana/{ids[0]}"]').count() >= 1
    # Visitors find people and hashtags; posts ask them to sign in.
    visitor = await chromium.new_page(viewport=DESKTOP, java_script_enabled=False)
    await visitor.goto(a.base + "/search?q=kite")
    assert "Sign in to search posts" in await visitor.locator("main").inner_text()
