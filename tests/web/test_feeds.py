"""Feeds in a browser: home and local show a user's posts as cards, a content warning or
sensitive image stays hidden until clicked, liking updates the count in place, Discover
ranks what people liked and says why, and "load more" appends the next page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from server import appkeys
from server.services.social import filters
from server.services.statuses import boosts, favourites, posts
from tests.federation.harness import Instance
from tests.server.web_helpers import browser
from tests.web.conftest import DESKTOP, screenshot

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _post(a: Instance, username: str, media_id: int, caption: str,
                **options: Any) -> int:
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media_id], caption=caption, alt_texts=[f"alt of {caption}"], **options))
    return view.id


async def _sign_in(page: Any, a: Instance, username: str) -> None:
    await page.goto(a.base + "/auth/sign_in")
    await page.fill("input[name=login]", username)
    await page.fill("input[name=password]", "correct horse")
    await page.click("form[action='/auth/sign_in'] button[type=submit]")
    await page.wait_for_url(a.base + "/")


def _card(page: Any, status_id: int) -> Any:
    return page.locator(f"article.post-card[data-post='{status_id}']").first


@SQLITE
async def test_feeds_in_the_browser(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    images = await a.make_images(alice.account_id, "a lighthouse at dusk", n=4)
    quiet = await _post(a, "alice", images[0], "Morning fog over the bay #sea")
    liked = await _post(a, "alice", images[1], "Lighthouse, take two", publish_prompt=True)
    warned = await _post(a, "alice", images[2], "Spiders everywhere",
                         spoiler_text="spiders")
    sensitive = await _post(a, "alice", images[3], "A bold one", sensitive=True)
    await favourites.favourite(a.services, "bob", str(liked))
    await boosts.boost(a.services, "bob", str(liked))
    await favourites.favourite(a.services, "bob", str(quiet))

    page = await chromium.new_page(viewport=DESKTOP)
    # Signed out: the landing page lists recent public local posts.
    await page.goto(a.base + "/")
    assert await _card(page, liked).is_visible()
    await page.goto(a.base + "/local")
    for status_id in (quiet, liked, warned, sensitive):
        assert await _card(page, status_id).count() == 1
    # Signed-out like buttons lead to sign in.
    assert "/auth/sign_in" in (await _card(page, quiet).locator("a.action.like")
                               .get_attribute("href") or "")

    await _sign_in(page, a, "alice")
    await page.goto(a.base + "/home")
    for status_id in (quiet, liked, warned, sensitive):
        assert await _card(page, status_id).count() == 1
    card = _card(page, liked)
    assert "Lighthouse, take two" in await card.locator(".content").inner_text()
    assert await card.locator("img[alt='alt of Lighthouse, take two']").count() == 1
    assert "a lighthouse at dusk" in await card.locator(".prompt").inner_text()
    await page.locator(".image.loaded").nth(1).wait_for()  # lazy images arrive

    # A content warning hides the text and the image until clicked; so does "sensitive".
    for status_id, label in ((warned, "spiders"), (sensitive, "Sensitive image")):
        card = _card(page, status_id)
        image = card.locator(".media img")
        assert not await image.is_visible()
        await card.locator("summary", has_text=label).click()
        await image.wait_for(state="visible")
    await screenshot(page, artifacts, "home")

    # Like with JavaScript: the count changes in place, the page is not reloaded.
    await page.evaluate("window.stillHere = true")
    like = _card(page, sensitive).locator("form[data-state='liked'] button")
    assert await like.get_attribute("aria-pressed") == "false"
    await like.click()
    await expect(like.locator("[data-count=favourites_count]")).to_have_text("1")
    await expect(like).to_have_attribute("aria-pressed", "true")
    assert await page.evaluate("window.stillHere") is True
    async with a.app[appkeys.DATABASE].reader() as session:
        from storage.post_cards import favourited_by
        assert await favourited_by(session, alice.account_id, [sensitive]) == {sensitive}

    # Discover: the most liked/boosted post first, with why it is shown.
    await page.goto(a.base + "/discover")
    cards = page.locator("article.post-card")
    assert await cards.first.get_attribute("data-post") == str(liked)
    assert "1 like and 1 boost this week" in await cards.first.locator(".why").inner_text()
    shown = [await c.get_attribute("data-post") for c in await cards.all()]
    assert str(quiet) in shown and str(warned) not in shown  # nobody touched that one

    # Load more: two posts a page, the rest appended as they are reached.
    await page.goto(a.base + "/local?limit=2")
    await expect(page.locator("article.post-card").first).to_be_visible()
    # How many pages load before the first scroll depends on how tall the cards are laid out
    # by then; scroll until the last (empty) page says so.
    end = page.locator(".feed-end")
    for _ in range(40):
        if await end.count():
            break
        await page.mouse.wheel(0, 20000)
        await page.wait_for_timeout(100)
    await expect(end).to_have_count(1)
    ids = [await c.get_attribute("data-post") for c in
           await page.locator("article.post-card").all()]
    assert ids == [str(sensitive), str(warned), str(liked), str(quiet)]
    assert await page.evaluate("location.search") == "?limit=2"  # appended, not navigated


async def test_feed_pages_without_javascript(start) -> None:
    """Plain HTTP: the pages answer, partial pages return only cards, notifications show who
    did what to which post, "warn" filters collapse posts, and /home and /notifications need
    a session."""
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    media = await a.make_images(alice.account_id, "a red fox", n=2)
    first = await _post(a, "alice", media[0], "First fox #fox")
    second = await _post(a, "alice", media[1], "Second fox")
    await favourites.favourite(a.services, "bob", str(first))
    async with browser(a) as b:
        assert (await b.get("/home")).status == 303
        assert (await b.get("/notifications")).status == 303
        tag = await b.get("/tags/fox")
        assert tag.status == 200 and f'data-post="{first}"' in tag.text \
            and f'data-post="{second}"' not in tag.text
        partial = await b.get("/local?limit=1&partial=1")
        assert "<html" not in partial.text and f'data-post="{second}"' in partial.text
        assert f"max_id={second}" in partial.text and "limit=1" in partial.text
        assert (await b.get("/local?max_id=nope")).status == 400
        assert (await b.sign_in("alice", "correct horse")).status == 303
        notes = await b.get("/notifications")
        assert notes.status == 200
        # A like is a compact row: who, what, and the post as a thumbnail linking to it.
        assert "liked your image" in notes.text and f'href="/@alice/{first}"' in notes.text
        assert 'href="/@bob"' in notes.text
        home = await b.get("/")
        assert f'data-post="{second}"' in home.text and 'name="csrf-token"' in home.text
        # A "warn" filter collapses the post behind its phrase; the post is still there.
        await filters.add_filter(a.services, "alice", "second", action="warn")
        local = await b.get("/local")
        assert "Filtered: second" in local.text and f'data-post="{second}"' in local.text
