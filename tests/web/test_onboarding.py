"""Getting started after sign-up (issue 21), in Chromium: a new account lands on /welcome with
three steps, each "Not done yet"; adding a profile picture and a display name, following a
suggested account and posting a first image each turn their step to "Done"; home shows the
steps while the account is new until they are put away. Followed hashtags: the tag page's
Follow hashtag button, the Followed hashtags page, and a tagged public post by an account the
viewer does not follow showing in its home. axe finds nothing serious on the new pages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from server import appkeys
from server.services.statuses import posts
from storage.models import Account
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "correct horse battery"


# bypass_csp: axe is injected as an inline script, which the pages' CSP refuses.


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 40, 200)).save(buffer, "PNG")
    return buffer.getvalue()


async def _post(a: Instance, username: str, account_id: int, caption: str) -> int:
    [media] = await a.make_images(account_id, caption)
    view = await posts.create_status(a.services, username, posts.NewStatus(
        media_ids=[media], caption=caption, alt_texts=[f"a picture of {caption}"]))
    return view.id


async def _steps(page: Any) -> list[str]:
    return [text.strip() for text in
            await page.locator(".onboarding-steps .step-state").all_inner_texts()]


async def _no_serious(page: Any) -> None:
    assert await serious_violations(page) == [], page.url


@SQLITE
async def test_sign_up_leads_through_the_three_steps(start, chromium, artifacts: Path,
                                                     tmp_path: Path) -> None:
    a = await start("a")
    ana = await a.add_user("ana")
    await _post(a, "ana", ana.account_id, "a lighthouse at dusk")
    page = await (await chromium.new_context(viewport=DESKTOP, bypass_csp=True)).new_page()
    await page.goto(f"{a.base}/auth/sign_up")
    await page.fill("input[name=username]", "newbie")
    await page.fill("input[name=password]", PASSWORD)
    await page.fill("input[name=password_confirmation]", PASSWORD)
    async with page.expect_navigation():
        await page.click("form[action='/auth/sign_up'] button[type=submit]")
    assert page.url == f"{a.base}/welcome"
    assert await _steps(page) == ["Not done yet"] * 3
    await _no_serious(page)
    await screenshot(page, artifacts, "welcome")

    # Follow the suggested account in place (static/app.js), then the page says so.
    follow = page.locator(".onboarding-people li", has_text="@ana@").locator("button")
    await follow.click()
    await page.wait_for_function(
        "document.querySelector('.onboarding-people button').getAttribute('aria-pressed')"
        " === 'true'")
    # The profile step: the existing profile form, with a picture and a name.
    await page.click("text=Edit your profile")
    await page.wait_for_url(f"{a.base}/settings/profile")
    picture = tmp_path / "me.png"
    picture.write_bytes(_png())
    await page.fill("#display_name", "New Person")
    await page.set_input_files("#avatar", str(picture))
    async with page.expect_navigation():
        await page.click("form[enctype] button[type=submit].primary")
    await page.goto(f"{a.base}/welcome")
    assert await _steps(page) == ["Done", "Done", "Not done yet"]
    # Home shows the steps while the account is new and has not finished them.
    await page.goto(f"{a.base}/home")
    assert await page.locator(".onboarding").count() == 1
    assert await page.locator(".feed", has_text="a lighthouse at dusk").count() == 1
    await _no_serious(page)
    # The first image.
    async with a.app[appkeys.DATABASE].reader() as session:
        account_id = (await session.execute(select(Account.id).where(
            Account.username == "newbie", Account.domain.is_(None)))).scalar_one()
    await _post(a, "newbie", account_id, "my first dream")
    await page.goto(f"{a.base}/welcome")
    assert await _steps(page) == ["Done", "Done", "Done"]
    # Finished: home no longer shows the steps.
    await page.goto(f"{a.base}/home")
    assert await page.locator(".onboarding").count() == 0


@SQLITE
async def test_put_away_hides_the_steps_from_home(start, chromium) -> None:
    a = await start("a")
    await a.add_user("cleo")
    page = await (await chromium.new_context(viewport=DESKTOP, bypass_csp=True)).new_page()
    await sign_in_page(page, a.base, "cleo", "correct horse")
    await page.goto(f"{a.base}/home")
    assert await page.locator(".onboarding").count() == 1
    async with page.expect_navigation():
        await page.click("text=Put this away")
    assert page.url == f"{a.base}/home"
    assert await page.locator(".onboarding").count() == 0
    # Still there on /welcome, without the button.
    await page.goto(f"{a.base}/welcome")
    assert await page.locator(".onboarding-steps").count() == 1
    assert await page.locator("text=Put this away").count() == 0


@SQLITE
async def test_a_followed_hashtag_brings_a_stranger_s_post_home(start, chromium,
                                                               artifacts: Path) -> None:
    a = await start("a")
    await a.add_user("dora")
    bob = await a.add_user("bob")
    tagged = await _post(a, "bob", bob.account_id, "Red sky tonight #Sunset")
    untagged = await _post(a, "bob", bob.account_id, "Grey morning")
    page = await (await chromium.new_context(viewport=DESKTOP, bypass_csp=True)).new_page()
    await sign_in_page(page, a.base, "dora", "correct horse")
    await page.goto(f"{a.base}/home")
    assert await page.locator(f"#post-{tagged}").count() == 0

    await page.goto(f"{a.base}/tags/sunset")
    button = page.locator("form.tag-follow button")
    assert (await button.inner_text()).strip() == "Follow hashtag"
    await _no_serious(page)
    await button.click()
    await page.wait_for_function(
        "document.querySelector('form.tag-follow button').getAttribute('aria-pressed')"
        " === 'true'")
    assert (await button.inner_text()).strip() == "Following hashtag"
    await page.reload()
    assert await page.locator("form.tag-follow button[aria-pressed=true]").count() == 1

    await page.goto(f"{a.base}/home")
    assert await page.locator(f"#post-{tagged}").count() == 1
    assert await page.locator(f"#post-{untagged}").count() == 0

    # The Followed hashtags page (from the settings), with one followed by name.
    await page.goto(f"{a.base}/settings/profile")
    await page.click(".settings-nav >> text=Followed hashtags")
    await page.wait_for_url(f"{a.base}/followed_tags")
    await page.fill("#follow-tag", "#Rain")
    async with page.expect_navigation():
        await page.click("form[action='/web/tags/follow'] button")
    names = await page.locator(".followed-tags a").all_inner_texts()
    assert names == ["#rain", "#sunset"]
    await _no_serious(page)
    await screenshot(page, artifacts, "followed-tags")
    # Unfollowing from the list (in place), and the post leaves home.
    await page.locator(".followed-tags li", has_text="#sunset").locator("button").click()
    await page.wait_for_function("document.querySelectorAll('.followed-tags li').length === 1")
    await page.goto(f"{a.base}/home")
    assert await page.locator(f"#post-{tagged}").count() == 0
    # Not a hashtag: said in words.
    await page.goto(f"{a.base}/followed_tags")
    await page.fill("#follow-tag", "#1")
    async with page.expect_navigation():
        await page.click("form[action='/web/tags/follow'] button")
    assert "That is not a hashtag" in await page.content()
