"""The studio in Chromium: a style chip and a size icon picked by mouse and by keyboard, the
prompt and placeholders while the images are made, two variations that differ, the drafts
tray after leaving and coming back (post one from it, discard another), axe clean."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from server import appkeys
from storage import statuses as status_queries
from tests.federation.conftest import StartInstance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PROMPT = "a lighthouse at dusk"


async def _image(page: Any, url: str) -> Image.Image:
    """The image as the page loads it (its fetch resolves the test's host names)."""
    data = await page.evaluate("""async url => {
        const answer = await fetch(url);
        return Array.from(new Uint8Array(await answer.arrayBuffer()));
    }""", url)
    with Image.open(io.BytesIO(bytes(data))) as image:
        return image.convert("RGB")


async def _checked(page: Any, name: str) -> str:
    value: str = await page.eval_on_selector(f"#generate-form input[name={name}]:checked",
                                             "input => input.value")
    return value


async def _pick_style_and_size(page: Any) -> None:
    """Mouse on a chip's face, then arrow keys within the group, as for any radio group."""
    await page.locator(".style-chips .chip", has_text="Mosaic").click()
    assert await _checked(page, "style") == "mosaic"
    await page.keyboard.press("ArrowRight")  # the focused radio moves to the next style
    assert await _checked(page, "style") == "marble"
    focused = await page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert focused == ["style", "marble"]

    await page.locator(".size-chips .chip", has_text="Square").click()
    assert await _checked(page, "size") == "1024x1024"
    await page.keyboard.press("ArrowLeft")  # back to the instance's small default
    assert await _checked(page, "size") == "256x256"
    # Each size has a name in words beside its drawn shape.
    names = await page.eval_on_selector_all(
        ".size-chips label", "labels => labels.map(l => l.innerText.replace(/\\s+/g, ' ').trim())")
    times = "\N{MULTIPLICATION SIGN}"
    assert f"Landscape 1536 {times} 1024" in names and f"Portrait 1024 {times} 1536" in names


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_studio_in_chromium(start: StartInstance, chromium: Any,
                                      artifacts: Path) -> None:
    # No workers: the test runs the job itself, so the placeholders are seen first.
    a = await start("a", generator={"size": "256x256"}, jobs={"workers": 0})
    await a.add_user("alice")
    # axe is injected as an inline script, which the pages' CSP would refuse.
    context = await chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/compose")
    assert await serious_violations(page) == []
    await _pick_style_and_size(page)
    await page.fill("#prompt", PROMPT)
    await page.select_option("select[name=n]", "2")
    # The quota's reset is a time to come: app.js's relative times ("now", "3h") leave it be.
    assert "at midnight UTC" in await page.inner_text("#compose-quota")
    await screenshot(page, artifacts, "studio-form")
    async with page.expect_navigation(url=re.compile(r"generation=\d+")):
        await page.click("#generate-form button[type=submit]")

    # While it is made: the prompt in view, a placeholder of each image's shape.
    assert await page.inner_text(".gen-prompt blockquote") == PROMPT
    placeholders = page.locator(".gen-placeholder")
    assert await placeholders.count() == 2
    box = await placeholders.nth(0).bounding_box()
    assert box and abs(box["width"] - box["height"]) < 2  # 256x256: square
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "studio-generating")

    await a.run_jobs()
    await page.locator("#post-form").wait_for(timeout=30_000)
    assert await page.locator(".gen-placeholder").count() == 0
    assert await page.inner_text(".gen-prompt blockquote") == PROMPT
    sources = await page.eval_on_selector_all(".pick-image img", "imgs => imgs.map(i => i.src)")
    assert len(sources) == 2
    first, second = [await _image(page, src) for src in sources]
    assert first.tobytes() != second.tobytes()
    assert sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3 > 10
    assert await serious_violations(page) == []

    # Leave without posting, come back: both images wait in the tray.
    await page.goto(a.base + "/")
    await page.goto(a.base + "/compose")
    tiles = page.locator(".drafts-tray .draft")
    assert await tiles.count() == 2
    assert await tiles.nth(0).locator("img").get_attribute("alt") == PROMPT
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "studio-drafts")

    # Post the first from the tray: the compose form opens with it ticked, alone.
    posted_id = (await tiles.nth(0).get_attribute("id") or "").removeprefix("draft-")
    async with page.expect_navigation():
        await tiles.nth(0).get_by_role("link", name=re.compile("^Post")).click()
    assert await page.is_checked(f"#pick-{posted_id}")
    assert await page.locator("#post-form input[name=media_id]:checked").count() == 1
    await page.fill("#caption", "From my drafts")
    await page.fill(f"textarea[name=alt_{posted_id}]", "Abstract colours")
    async with page.expect_navigation(url=re.compile(r"/@alice/\d+$")):
        await page.click("#post-form button[type=submit]")
    status_id = int(page.url.rsplit("/", 1)[1])
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await status_queries.attachments(session, status_id)
    assert [str(m.id) for m in media] == [posted_id]

    # Discard the other: gone from the tray at once (compose.js), and after a reload.
    await page.goto(a.base + "/compose")
    assert await tiles.count() == 1
    left = await tiles.nth(0).get_attribute("id")
    await tiles.nth(0).get_by_role("button", name=re.compile("^Discard")).click()
    await page.locator(f"#{left}").wait_for(state="detached")
    await page.reload()
    assert await page.locator(".drafts-tray").count() == 0
    await page.goto(a.base + "/compose/drafts")
    assert "No drafts" in await page.inner_text("main")
    assert await serious_violations(page) == []
    await context.close()
