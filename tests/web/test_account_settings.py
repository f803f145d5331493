"""Settings that cover the account, in Chromium (issue 21): muted and blocked accounts listed
with Unmute/Unblock and a one-click Undo that puts the mute back as it was; filters made on
the settings page fold or hide posts on the home feed (the same filters the client API
sees); preferences preselect the compose form's visibility, show sensitive images and turn
motion off; aliases, a refused move and account deletion behind the password; axe finds
nothing serious on the new pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.services.accounts import moves
from server.services.generation import generate
from server.services.social import blocks, filters, follows, mutes
from server.services.statuses import posts
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, PASSWORD, screenshot, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _post(a: Instance, username: str, account_id: int, caption: str) -> int:
    [media] = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[f"a picture of {caption}"]))
    return view.id


def _card(page: Any, status_id: int) -> Any:
    return page.locator(f"article.post-card[data-post='{status_id}']")


async def _page(chromium: Any) -> Any:
    # axe's script is injected inline, which the pages' CSP refuses.
    context = await chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    return await context.new_page()


async def _no_serious(page: Any) -> None:
    found = await serious_violations(page)
    assert not found, "\n".join(found)


@SQLITE
async def test_mute_unmute_undo_and_blocks(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice")
    await a.add_user("bob")
    await a.add_user("carol")
    await mutes.mute(a.services, "alice", "bob", notifications=False, duration=3600)
    await blocks.block(a.services, "alice", "carol")
    page = await _page(chromium)
    await sign_in_page(page, a.base, "alice")

    await page.goto(a.base + "/settings/profile")
    async with page.expect_navigation():
        await page.locator(".settings-nav").get_by_role("link", name="Muted").click()
    row = page.locator(".account-rows li", has_text=f"@{a.handle('bob')}")
    assert "Notifications still shown" in await row.inner_text()
    assert "until" in await row.inner_text()
    await _no_serious(page)
    await screenshot(page, artifacts, "settings-mutes")

    async with page.expect_navigation():
        await page.get_by_role("button", name=f"Unmute @{a.handle('bob')}").click()
    assert await page.get_by_role("status").filter(
        has_text=f"You unmuted @{a.handle('bob')}").is_visible()
    assert await page.locator(".account-rows li").count() == 0
    assert not await mutes.list_mutes(a.services, "alice")
    await _no_serious(page)

    async with page.expect_navigation():
        await page.get_by_role("button", name="Undo").click()
    assert await page.get_by_role("status").filter(
        has_text=f"@{a.handle('bob')} is muted again").count()
    [again] = await mutes.list_mutes(a.services, "alice")
    # As it was: notifications kept, and an end about an hour away.
    assert again.handle == a.handle("bob") and not again.hide_notifications
    assert again.expires_at is not None

    async with page.expect_navigation():
        await page.locator(".settings-nav").get_by_role("link", name="Blocked", exact=True).click()
    await _no_serious(page)
    async with page.expect_navigation():
        await page.get_by_role("button", name=f"Unblock @{a.handle('carol')}").click()
    assert not await blocks.list_blocks(a.services, "alice")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Undo").click()
    assert [b.handle for b in await blocks.list_blocks(a.services, "alice")] == [a.handle("carol")]
    assert await page.locator(".account-rows li", has_text=f"@{a.handle('carol')}").count() == 1


@SQLITE
async def test_filters_made_in_settings_fold_and_hide_home_posts(start, chromium,
                                                                 artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice")
    bob = await a.add_user("bob")
    await follows.follow(a.services, "alice", a.handle("bob"))
    sunset = await _post(a, "bob", bob.account_id, "A sunset over the sea")
    spider = await _post(a, "bob", bob.account_id, "Spiders in the garden")
    calm = await _post(a, "bob", bob.account_id, "A calm lake")
    page = await _page(chromium)
    await sign_in_page(page, a.base, "alice")

    await page.goto(a.base + "/settings/filters")
    await _no_serious(page)
    # Refused without a context, with the reason and the typed phrase kept.
    await page.get_by_label("Keyword or phrase").fill("sunset")
    for box in await page.locator("input[name=context]").all():
        await box.uncheck()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add filter").click()
    assert await page.get_by_role("alert").filter(has_text="Filter contexts are").count()
    assert await page.get_by_label("Keyword or phrase").input_value() == "sunset"

    await page.get_by_label("Home timeline and lists").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add filter").click()
    assert await page.get_by_role("status").filter(has_text="The filter was added").count()
    # A second one that hides.
    await page.get_by_label("Keyword or phrase").fill("spider")
    await page.get_by_label("Whole word only").uncheck()
    await page.get_by_label("Hide it completely").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add filter").click()
    made = {f.phrase: f for f in await filters.list_filters(a.services, "alice")}
    assert made["sunset"].contexts == ("home",) and made["sunset"].action == "warn"
    assert made["spider"].action == "hide" and not made["spider"].whole_word
    await _no_serious(page)
    await screenshot(page, artifacts, "settings-filters")

    await page.goto(a.base + "/home")
    folded = _card(page, sunset)
    assert (await folded.locator("details.filtered > summary").inner_text()).startswith(
        "Filtered: sunset")
    assert await _card(page, spider).count() == 0
    assert await _card(page, calm).count() == 1

    # Edited to apply only on profiles: home shows the post plainly again.
    await page.goto(a.base + "/settings/filters")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Edit the filter sunset").click()
    await _no_serious(page)
    await page.get_by_label("Home timeline and lists").uncheck()
    await page.get_by_label("Profiles").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save").click()
    assert await page.get_by_role("status").filter(has_text="The filter was saved").count()
    await page.goto(a.base + "/home")
    assert await _card(page, sunset).locator("details.filtered").count() == 0

    # Deleted: the hidden post comes back.
    await page.goto(a.base + "/settings/filters")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Delete the filter spider").click()
    assert [f.phrase for f in await filters.list_filters(a.services, "alice")] == ["sunset"]
    await page.goto(a.base + "/home")
    assert await _card(page, spider).count() == 1


@SQLITE
async def test_preferences_apply_to_compose_pages_and_feeds(start, chromium,
                                                            artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    [media, _] = await a.make_images(alice.account_id, "a storm", n=2)
    # A finished generation: its page has the post form, with visibility and sensitive.
    view = await generate.request_generation(a.services, alice.account_id, "a kite",
                                             size="256x256", n=1)
    await a.run_jobs()
    compose = f"{a.base}/compose?generation={view.id}"
    marked = (await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media], caption="A storm", alt_texts=["a storm"], sensitive=True))).id
    page = await _page(chromium)
    await sign_in_page(page, a.base, "alice")
    await page.goto(compose)
    assert await page.locator("input[name=visibility][value=public]").is_checked()
    assert not await page.locator("input[name=sensitive]").is_checked()
    assert await page.locator("html.reduce-motion").count() == 0
    await page.goto(a.base + "/local")
    assert await _card(page, marked).locator("details.sensitive").count() == 1

    await page.goto(a.base + "/settings/preferences")
    await _no_serious(page)
    await page.get_by_label("Followers only").check()
    await page.get_by_label("Mark my images as sensitive by default").check()
    await page.get_by_label("Always show images, even those marked sensitive").check()
    await page.get_by_label("Reduce motion").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save preferences").click()
    assert await page.get_by_role("status").filter(has_text="preferences were saved").count()
    assert await page.locator("html.reduce-motion").count() == 1
    await screenshot(page, artifacts, "settings-preferences")
    # Motion is off whatever the device says: no transition is left running.
    duration = await page.evaluate(
        "getComputedStyle(document.querySelector('.settings-nav a')).transitionDuration")
    assert duration in ("0s", "")

    # The compose form starts from them (and its images' sensitive box is ticked).
    await page.goto(compose)
    assert await page.locator("input[name=visibility][value=private]").is_checked()
    assert await page.locator("input[name=sensitive]").is_checked()
    await page.goto(a.base + "/local")
    assert await _card(page, marked).locator("details.sensitive").count() == 0
    assert await _card(page, marked).locator(".media img").first.is_visible()


@SQLITE
async def test_account_deletion_asks_for_the_password(start, chromium, artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("alice")
    await a.add_user("bob")
    page = await _page(chromium)
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/settings/profile")
    async with page.expect_navigation():
        await page.locator(".settings-nav").get_by_role("link", name="Account").click()
    await _no_serious(page)
    await screenshot(page, artifacts, "settings-account")
    assert await page.get_by_text("a Delete is sent to your followers' servers").count()

    # An alias, then removed: the same service as `dreamfeed users alias`.
    await page.get_by_label("Handle of the old account").fill(a.handle("bob"))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add alias").click()
    assert await page.get_by_role("status").filter(has_text="The alias was added").count()
    assert (await moves.list_aliases(a.services, "alice")).also_known_as == [a.actor("bob")]
    async with page.expect_navigation():
        await page.get_by_role("button", name=f"Remove the alias {a.actor('bob')}").click()
    assert not (await moves.list_aliases(a.services, "alice")).also_known_as

    # Moving needs the new account to list this one first: refused, in words.
    await page.get_by_label("Handle of the new account").fill(a.handle("bob"))
    await page.locator("#move-password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Move followers").click()
    assert await page.get_by_role("alert").filter(has_text="add the alias on the new account "
                                                           "first").count()

    await page.locator("#delete-password").fill("not my password")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Delete my account for good").click()
    assert await page.get_by_role("alert").filter(has_text="The password is wrong").count()
    assert (await page.goto(a.base + "/@alice")).status == 200

    await page.goto(a.base + "/settings/account")
    await page.locator("#delete-password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Delete my account for good").click()
    assert page.url == a.base + "/settings/account/deleted"
    assert await page.get_by_role("heading", name="Your account was deleted").count()
    await _no_serious(page)
    # Signed out, and the account answers as gone.
    await page.goto(a.base + "/settings/account")
    assert "/auth/sign_in" in page.url
    assert (await page.goto(a.base + "/@alice")).status == 410
