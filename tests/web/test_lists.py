"""Lists in the web app (issue 21), in Chromium: the Lists page from the navigation creates a
list, its members page adds an account one follows (found by a search among them), and the
list's timeline then shows that account's post; the list is renamed and its settings kept;
a profile's menu puts a followed account in or out of lists; an account not followed cannot
be added (said in words); the list is deleted. axe finds nothing serious on the pages."""

from __future__ import annotations

from typing import Any

import pytest

from server.services.social import follows
from server.services.statuses import posts
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _post(a: Instance, username: str, account_id: int, caption: str) -> int:
    [media] = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[f"a picture of {caption}"]))
    return view.id


async def _no_serious(page: Any) -> None:
    assert await serious_violations(page) == [], page.url


@SQLITE
async def test_a_list_from_creation_to_its_timeline(start, chromium) -> None:
    a = await start("a")
    await a.add_user("alice")
    bob = await a.add_user("bob")
    carol = await a.add_user("carol")
    dan = await a.add_user("dan")
    for name in ("bob", "carol"):
        await follows.follow(a.services, "alice", a.handle(name))
    bobs = await _post(a, "bob", bob.account_id, "a fox in the snow")
    carols = await _post(a, "carol", carol.account_id, "a teapot on the moon")
    await _post(a, "dan", dan.account_id, "a stranger's boat")
    # bypass_csp: axe is injected as an inline script, which the pages' CSP refuses.
    page = await (await chromium.new_context(viewport=DESKTOP, bypass_csp=True)).new_page()
    await sign_in_page(page, a.base, "alice", "correct horse")

    await page.click(".main-nav >> text=Lists")
    await page.wait_for_url(f"{a.base}/lists")
    await _no_serious(page)
    await page.fill("#new-list-name", "Friends")
    await page.select_option("#new-list-policy", "none")
    async with page.expect_navigation():
        await page.click("text=Create list")
    list_path = page.url.removeprefix(a.base)
    assert list_path.startswith("/lists/")
    assert (await page.locator("h1").inner_text()).strip() == "Friends"
    assert "Nothing here yet" in await page.locator(".feed").inner_text()
    await _no_serious(page)

    # Members: a search among the accounts alice follows (dan is not one).
    await page.click(".tabs >> text=Members")
    await page.fill("#member-q", "bob")
    async with page.expect_navigation():
        await page.click("form[role=search] button")
    assert await page.locator(".list-members li", has_text="@bob@").count() == 1
    await _no_serious(page)
    async with page.expect_navigation():
        await page.locator(".list-members li", has_text="@bob@").locator("button").click()
    assert await page.locator("#members-title + ul li", has_text="@bob@").count() == 1
    await page.fill("#member-q", "dan")
    async with page.expect_navigation():
        await page.click("form[role=search] button")
    assert "Nobody you follow matches" in await page.content()

    # The timeline shows bob's post, not carol's.
    await page.goto(a.base + list_path)
    assert await page.locator(f"#post-{bobs}").count() == 1
    assert await page.locator(f"#post-{carols}").count() == 0

    # Rename; the replies policy chosen at creation stays.
    await page.click("summary:has-text('Edit list')")
    await page.fill("#list-name", "Close friends")
    async with page.expect_navigation():
        await page.click("text=Save list")
    assert (await page.locator("h1").inner_text()).strip() == "Close friends"
    assert await page.locator("#list-policy").input_value() == "none"

    # From carol's profile menu.
    await page.goto(f"{a.base}/@carol")
    await page.click("details.profile-menu summary")
    await page.click("text=Add to or remove from lists")
    await page.get_by_label("Close friends").check()
    async with page.expect_navigation():
        await page.click("form[action='/lists/membership'] button[type=submit]")
    assert "Saved." in await page.content()
    await _no_serious(page)
    await page.goto(a.base + list_path)
    assert await page.locator(f"#post-{carols}").count() == 1
    # And out again.
    await page.goto(f"{a.base}/lists/membership?account={a.handle('carol')}")
    await page.get_by_label("Close friends").uncheck()
    async with page.expect_navigation():
        await page.click("form[action='/lists/membership'] button[type=submit]")
    await page.goto(a.base + list_path)
    assert await page.locator(f"#post-{carols}").count() == 0

    # Dan is not followed: his profile menu has no list entry, and his page says why.
    await page.goto(f"{a.base}/@dan")
    assert await page.locator("text=Add to or remove from lists").count() == 0
    await page.goto(f"{a.base}/lists/membership?account={a.handle('dan')}")
    assert "Only accounts you follow can be in a list." in await page.content()

    # Delete (the confirmation is the script's dialog).
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(a.base + list_path)
    await page.click("summary:has-text('Edit list')")
    async with page.expect_navigation():
        await page.click("text=Delete list")
    assert page.url == f"{a.base}/lists"
    assert "No lists yet" in await page.content()
    missing = await page.goto(a.base + list_path)
    assert missing is not None and missing.status == 404
