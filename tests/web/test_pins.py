"""Pinned posts in the web app: the pin toggle in the menu of one's own posts, the profile
showing them first and marked "Pinned" (in the grid and with replies, each post once, only
those the viewer may see), Mastodon's refusals, and, in Chromium, pinning a post and finding
it first on the profile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.handlers.caching import DOCUMENTS
from server.services.reading import profiles as profile_service
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"


def _tiles(html: str) -> list[str]:
    """The post links of the profile grid, in order."""
    return re.findall(r'class="tile-link" href="([^"]+)"', html)


def _pinned_tiles(html: str) -> list[str]:
    return re.findall(r'<div class="tile[^"]* pinned[^"]*">\s*<a class="tile-link" '
                      r'href="([^"]+)"', html)


def _cards(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="post-card[^"]*" id="post-(\d+)"', html)]


def _pinned_cards(html: str) -> list[int]:
    return [int(i) for i in re.findall(
        r'id="post-(\d+)" data-post="\d+"\s*>\s*<p class="pinned-label">', html)]


async def _json_post(session: aiohttp.ClientSession, url: str, csrf: str) -> tuple[int, Any]:
    async with session.post(url, headers={"Accept": "application/json",
                                          "X-CSRF-Token": csrf}) as response:
        return response.status, await response.json(content_type=None)


@dataclass(frozen=True)
class _Posts:
    old: posts.StatusView
    mid: posts.StatusView
    new: posts.StatusView
    secret: posts.StatusView
    direct: posts.StatusView


async def _alice_posts(a: Instance, alice_id: int) -> _Posts:
    media = [*await a.make_images(alice_id, "a lantern", n=4),
             *await a.make_images(alice_id, "a lantern at noon")]
    made = []
    for image, caption, visibility in zip(media, ("Old", "Mid", "New", "Secret", "Direct"),
                                          ("public", "public", "public", "private", "direct"),
                                          strict=True):
        made.append(await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=[image], caption=caption, visibility=visibility)))
    return _Posts(*made)


async def _alice_pins_two(alice: Browser, a: Instance, p: _Posts) -> str:
    """The oldest with a plain form, the followers-only one as the script does; returns
    alice's CSRF token."""
    csrf = await alice.csrf(f"/@alice/{p.old.id}")
    page = await alice.get(f"/@alice/{p.old.id}")
    assert f'action="/web/posts/{p.old.id}/pin"' in page.text and "Pin on profile" in page.text
    pinned = await alice.post(f"/web/posts/{p.old.id}/pin", {"next": f"/@alice/{p.old.id}"},
                              csrf=csrf)
    assert pinned.status == 303 and pinned.location == f"/@alice/{p.old.id}"
    page = await alice.get(f"/@alice/{p.old.id}")
    assert f'action="/web/posts/{p.old.id}/unpin"' in page.text
    assert "Unpin from profile" in page.text
    assert await _json_post(alice.session, f"{a.base}/web/posts/{p.secret.id}/pin", csrf) \
        == (200, {"ok": True, "pinned": True})
    # Again changes nothing; a direct post is refused with Mastodon's words.
    assert (await _json_post(alice.session, f"{a.base}/web/posts/{p.old.id}/pin", csrf))[0] \
        == 200
    status, answer = await _json_post(alice.session, f"{a.base}/web/posts/{p.direct.id}/pin",
                                      csrf)
    assert status == 422 and "mentioned users cannot be pinned" in answer["error"]
    # Direct posts offer no pin at all.
    page = await alice.get(f"/@alice/{p.direct.id}")
    assert f"/web/posts/{p.direct.id}/pin" not in page.text
    return csrf


async def _everyone_sees_them_first(alice: Browser, a: Instance, p: _Posts) -> None:
    # Alice sees both pins first (newest pin first), each post once, marked.
    page = await alice.get("/@alice")
    assert _tiles(page.text) == [f"/@alice/{p.secret.id}", f"/@alice/{p.old.id}",
                                 f"/@alice/{p.direct.id}", f"/@alice/{p.new.id}",
                                 f"/@alice/{p.mid.id}"]
    assert _pinned_tiles(page.text) == [f"/@alice/{p.secret.id}", f"/@alice/{p.old.id}"]
    assert page.text.count('<span class="tile-pinned">') == 2
    replies = await alice.get("/@alice?tab=replies")
    assert _cards(replies.text)[:3] == [p.secret.id, p.old.id, p.direct.id]
    assert _pinned_cards(replies.text) == [p.secret.id, p.old.id]
    assert _cards(replies.text).count(p.old.id) == 1
    # A visitor: the public pin only; the followers-only one stays hidden.
    async with browser(a) as visitor:
        page = await visitor.get("/@alice")
        assert _tiles(page.text) == [f"/@alice/{p.old.id}", f"/@alice/{p.new.id}",
                                     f"/@alice/{p.mid.id}"]
        assert _pinned_tiles(page.text) == [f"/@alice/{p.old.id}"]
        assert "Secret" not in page.text
        replies = await visitor.get("/@alice?tab=replies")
        assert _cards(replies.text) == [p.old.id, p.new.id, p.mid.id]
        assert _pinned_cards(replies.text) == [p.old.id]


async def _load_more_shows_no_pins_again(p: _Posts, monkeypatch: pytest.MonkeyPatch,
                                         a: Instance) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(profile_service, "GRID_PAGE", 1)
        # The anonymous page kept before the page size changed (no event says code changed).
        a.app[DOCUMENTS].clear()
        await _visitor_pages_the_grid(p, a)


async def _visitor_pages_the_grid(p: _Posts, a: Instance) -> None:
    async with browser(a) as visitor:
        page = await visitor.get("/@alice")
        assert _tiles(page.text) == [f"/@alice/{p.old.id}", f"/@alice/{p.new.id}"]
        more = re.search(r'href="(/@alice\?tab=posts&amp;max_id=\d+)" data-load-more',
                         page.text)
        assert more is not None
        rest = await visitor.get(more.group(1).replace("&amp;", "&") + "&partial=1")
        assert _tiles(rest.text) == [f"/@alice/{p.mid.id}"] and "tile-pinned" not in rest.text


async def _carol_may_not_pin_hers(a: Instance, p: _Posts) -> None:
    async with browser(a) as carol:
        assert (await carol.sign_in("carol", PASSWORD)).status == 303
        page = await carol.get(f"/@alice/{p.new.id}")
        assert f"/web/posts/{p.new.id}/pin" not in page.text  # not offered
        csrf = await carol.csrf(f"/@alice/{p.new.id}")
        status, answer = await _json_post(carol.session, f"{a.base}/web/posts/{p.new.id}/pin",
                                          csrf)
        assert status == 422 and "Someone else's post" in answer["error"]
        # Nor one she may not see.
        status, _ = await _json_post(carol.session, f"{a.base}/web/posts/{p.secret.id}/pin",
                                     csrf)
        assert status == 404


async def _alice_unpins(alice: Browser, a: Instance, p: _Posts, csrf: str) -> None:
    assert await _json_post(alice.session, f"{a.base}/web/posts/{p.secret.id}/unpin", csrf) \
        == (200, {"ok": True, "pinned": False})
    gone = await alice.post(f"/web/posts/{p.old.id}/unpin", {"next": "/@alice"}, csrf=csrf)
    assert gone.status == 303 and gone.location == "/@alice"
    page = await alice.get("/@alice")
    assert _tiles(page.text) == [f"/@alice/{p.direct.id}", f"/@alice/{p.secret.id}",
                                 f"/@alice/{p.new.id}", f"/@alice/{p.mid.id}",
                                 f"/@alice/{p.old.id}"]
    assert _pinned_tiles(page.text) == []


async def test_pinned_posts_first_on_the_profile(start: StartInstance,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    p = await _alice_posts(a, alice.account_id)
    async with browser(a) as alice_browser:
        assert (await alice_browser.sign_in("alice", PASSWORD)).status == 303
        csrf = await _alice_pins_two(alice_browser, a, p)
        await _everyone_sees_them_first(alice_browser, a, p)
        await _carol_may_not_pin_hers(a, p)
        await _load_more_shows_no_pins_again(p, monkeypatch, a)
        await _alice_unpins(alice_browser, a, p, csrf)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_pin_in_chromium(start: StartInstance, chromium: Any, artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    first, second = await a.make_images(alice.account_id, "a harbour at dawn", n=2)
    older = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[first], caption="The harbour, first light"))
    await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[second], caption="The harbour, later"))
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")

    # From her post's menu: pin it. The page comes back with the menu saying "Unpin".
    await page.goto(f"{a.base}/@alice/{older.id}")
    focus = page.locator("section.post-focus article.post-card")
    await focus.locator("details.menu summary").click()
    async with page.expect_navigation():
        await focus.get_by_role("button", name="Pin on profile").click()
    await focus.locator("details.menu summary").click()
    await focus.get_by_role("button", name="Unpin from profile").wait_for()

    # Her profile shows it first, marked, though it is her older post.
    await page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Profile").click()
    await page.wait_for_url(f"{a.base}/@alice")
    first_tile = page.locator(".profile-grid .tile").first
    assert await first_tile.locator("a.tile-link").get_attribute("href") == \
        f"/@alice/{older.id}"
    assert (await first_tile.locator(".tile-pinned").inner_text()).strip() == "Pinned"
    assert await page.locator(".tile-pinned").count() == 1
    await screenshot(page, artifacts, "profile-pinned")
    await page.get_by_role("link", name="Posts and replies").click()
    first_card = page.locator(".profile-list article.post-card").first
    assert await first_card.get_attribute("id") == f"post-{older.id}"
    assert (await first_card.locator(".pinned-label").inner_text()).strip() == "Pinned"
    await context.close()
