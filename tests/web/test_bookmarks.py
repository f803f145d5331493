"""Bookmarks in the web app: the toggle on every post card (a plain form, or fetch from
static/app.js), the private /bookmarks page (newest save first, "load more" by the save), and,
in Chromium, saving a post from a timeline, finding it under Bookmarks and letting it go."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"


def _cards(html: str) -> list[int]:
    """The posts shown as cards, in order."""
    return [int(i) for i in re.findall(r'<article class="post-card[^"]*" id="post-(\d+)"', html)]


def _bookmark_button(html: str, status_id: int) -> str:
    """The bookmark button of a post's card."""
    card = html.split(f'id="post-{status_id}"', 1)[1].split("</article>", 1)[0]
    found = re.search(r'<button type="submit" class="action bookmark[^>]*>', card)
    assert found, f"no bookmark button on post {status_id}"
    return found.group(0)


async def _json_post(session: aiohttp.ClientSession, url: str, csrf: str) -> tuple[int, Any]:
    """As static/app.js submits a form: Accept JSON, the CSRF token in a header."""
    async with session.post(url, headers={"Accept": "application/json",
                                          "X-CSRF-Token": csrf}) as response:
        return response.status, await response.json(content_type=None)


async def _three_posts_and_a_secret(a: Instance, alice_id: int) -> list[posts.StatusView]:
    first, second, third, secret = await a.make_images(alice_id, "a paper boat", n=4)
    made = []
    for media, caption, visibility in ((first, "Boat one", "public"),
                                       (second, "Boat two", "public"),
                                       (third, "Boat three", "unlisted"),
                                       (secret, "Boat secret", "private")):
        made.append(await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[media], caption=caption, visibility=visibility)))
    return made


async def _carol_saves_two_posts(carol: Browser, a: Instance,
                                 boats: list[posts.StatusView]) -> str:
    """One with a plain form (303 back to `next`), one as the script does (JSON); returns
    carol's CSRF token."""
    one, two, three, _ = boats
    csrf = await carol.csrf("/local")
    saved = await carol.post(f"/web/posts/{three.id}/bookmark", {"next": "/local"}, csrf=csrf)
    assert saved.status == 303 and saved.location == "/local"
    assert await _json_post(carol.session, f"{a.base}/web/posts/{one.id}/bookmark", csrf) \
        == (200, {"ok": True, "bookmarked": True})
    # Again changes nothing.
    assert (await _json_post(carol.session, f"{a.base}/web/posts/{one.id}/bookmark",
                             csrf))[1]["bookmarked"] is True
    # The cards say so, to her alone.
    page = await carol.get(f"/@alice/{one.id}")
    assert 'aria-pressed="true"' in _bookmark_button(page.text, one.id)
    assert f'action="/web/posts/{one.id}/unbookmark"' in page.text
    local = await carol.get("/local")
    assert 'aria-pressed="false"' in _bookmark_button(local.text, two.id)
    assert 'aria-pressed="true"' in _bookmark_button(local.text, one.id)
    return csrf


async def _carol_reads_and_pages_her_bookmarks(carol: Browser,
                                               boats: list[posts.StatusView]) -> None:
    one, _, three, _ = boats
    page = await carol.get("/bookmarks")
    assert page.status == 200 and "<h1>Bookmarks</h1>" in page.text
    assert _cards(page.text) == [one.id, three.id]  # the newest save first
    assert 'aria-current="page"' in page.text.split('href="/bookmarks"', 1)[1][:200]
    # One at a time: "load more" names the save, and the partial answer is just the cards.
    page = await carol.get("/bookmarks?limit=1")
    assert _cards(page.text) == [one.id]
    more = re.search(r'href="(/bookmarks\?[^"]+)" data-load-more', page.text)
    assert more is not None and "limit=1" in more.group(1)
    rest = await carol.get(more.group(1).replace("&amp;", "&") + "&partial=1")
    assert _cards(rest.text) == [three.id] and "<html" not in rest.text
    last = re.search(r'href="(/bookmarks\?[^"]+)" data-load-more', rest.text)
    assert last is not None
    end = await carol.get(last.group(1).replace("&amp;", "&") + "&partial=1")
    assert _cards(end.text) == [] and "caught up" in end.text


async def _others_cannot_see_or_save(a: Instance, carol: Browser, csrf: str,
                                     boats: list[posts.StatusView]) -> None:
    secret = boats[3]
    # A followers-only post she may not see cannot be saved: as if it were not there.
    status, answer = await _json_post(carol.session,
                                      f"{a.base}/web/posts/{secret.id}/bookmark", csrf)
    assert status == 404 and answer["ok"] is False
    assert (await _json_post(carol.session, f"{a.base}/web/posts/99999/bookmark", csrf))[0] \
        == 404
    # Bookmarks are private: alice's list is her own, empty; a visitor is sent to sign in.
    async with browser(a) as alice:
        assert (await alice.sign_in("alice", PASSWORD)).status == 303
        page = await alice.get("/bookmarks")
        assert _cards(page.text) == [] and "Nothing saved yet" in page.text
    async with browser(a) as visitor:
        page = await visitor.get("/bookmarks")
        assert page.status == 303 and "/auth/sign_in" in page.location
        assert (await visitor.post(f"/web/posts/{boats[0].id}/bookmark", {},
                                   csrf=None)).status in (401, 403)


async def _carol_lets_go(carol: Browser, a: Instance, csrf: str,
                         boats: list[posts.StatusView]) -> None:
    one, _, three, _ = boats
    assert await _json_post(carol.session, f"{a.base}/web/posts/{one.id}/unbookmark", csrf) \
        == (200, {"ok": True, "bookmarked": False})
    gone = await carol.post(f"/web/posts/{one.id}/unbookmark", {"next": "/bookmarks"},
                            csrf=csrf)
    assert gone.status == 303 and gone.location == "/bookmarks"
    assert _cards((await carol.get("/bookmarks")).text) == [three.id]
    # A deleted post leaves the list.
    await posts.delete_status(a.services, "alice", three.id)
    page = await carol.get("/bookmarks")
    assert _cards(page.text) == [] and "Nothing saved yet" in page.text


async def test_bookmarks_toggle_and_page(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    boats = await _three_posts_and_a_secret(a, alice.account_id)
    async with browser(a) as carol:
        assert (await carol.sign_in("carol", PASSWORD)).status == 303
        csrf = await _carol_saves_two_posts(carol, a, boats)
        await _carol_reads_and_pages_her_bookmarks(carol, boats)
        await _others_cannot_see_or_save(a, carol, csrf, boats)
        await _carol_lets_go(carol, a, csrf, boats)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_bookmark_in_chromium(start: StartInstance, chromium: Any,
                                    artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    [media] = await a.make_images(alice.account_id, "a kite over dunes")
    kite = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media], caption="Kite day"))
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in_page(page, a.base, "carol")

    # She saves the post from the local timeline: the button turns on in place.
    await page.goto(f"{a.base}/local")
    card = page.locator(f"article#post-{kite.id}")
    async with page.expect_response(lambda r: r.url.endswith(
            f"/web/posts/{kite.id}/bookmark")) as answer:
        await card.get_by_role("button", name="Bookmark", exact=True).click()
    assert (await (await answer.value).json()) == {"ok": True, "bookmarked": True}
    await card.get_by_role("button", name="Remove bookmark").wait_for()

    # Bookmarks, from the menu: the post is there.
    await page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Bookmarks").click()
    await page.wait_for_url(f"{a.base}/bookmarks")
    saved = page.locator(f"article#post-{kite.id}")
    assert "Kite day" in await saved.inner_text()
    await screenshot(page, artifacts, "bookmarks")

    # Taken back there; after a reload the list is empty.
    async with page.expect_response(lambda r: r.url.endswith(
            f"/web/posts/{kite.id}/unbookmark")):
        await saved.get_by_role("button", name="Remove bookmark").click()
    await saved.get_by_role("button", name="Bookmark", exact=True).wait_for()
    await page.reload()
    assert await page.locator("article.post-card").count() == 0
    assert "Nothing saved yet" in await page.locator("main").inner_text()

    # Without JavaScript the same button is a form that comes back to the page.
    plain = await chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    nojs = await plain.new_page()
    await sign_in_page(nojs, a.base, "carol")
    await nojs.goto(f"{a.base}/@alice/{kite.id}")
    async with nojs.expect_navigation():
        await nojs.locator(f"article#post-{kite.id} button.action.bookmark").click()
    assert nojs.url == f"{a.base}/@alice/{kite.id}"
    assert await nojs.locator(
        f"article#post-{kite.id} button.action.bookmark[aria-pressed=true]").count() == 1
    for each in (context, plain):
        await each.close()
