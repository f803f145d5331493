"""Looking at images, in Chromium (issue 21): the viewer by mouse, keyboard and touch; images
at their own shape (not cropped to squares) on the post page and in the viewer, a pleasant
grid in feeds; a remix's parent as a small card; srcset with the right candidate chosen;
the first image not lazy. Screenshots at desktop and phone width, light and dark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import update

from server import appkeys
from server.handlers.caching import DOCUMENTS
from server.services.generation import generate
from server.services.statuses import posts
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, PHONE, screenshot, sign_in_page

# Multiples of 16 (the generator's rule): 2:1, 3:5 and 1:1.
LANDSCAPE, PORTRAIT, SQUARE = "1216x608", "576x960", "704x704"


async def _images(a: Instance, account_id: int, prompt: str, *sizes: str) -> list[int]:
    """Images of the given sizes, through the real pipeline (one generation each)."""
    ids: list[int] = []
    services = a.app[appkeys.SERVICES]
    for size in sizes:
        view = await generate.request_generation(services, account_id, prompt, size=size, n=1)
        await a.run_jobs()
        done = await generate.get_generation(services, view.id)
        assert done.state == "done", done.error
        ids += [m.id for m in done.media]
    return ids


async def _posts(a: Instance) -> dict[str, posts.StatusView]:
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    made = {
        "wide": await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=await _images(a, alice.account_id, "a long beach at noon", LANDSCAPE),
            caption="A long beach", alt_texts=["A wide sandy beach under a pale sky"],
            publish_prompt=True)),
        "tall": await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=await _images(a, alice.account_id, "a tall tower", PORTRAIT),
            caption="A tall tower", alt_texts=["A narrow tower against the night"])),
        "three": await posts.create_status(a.services, "alice", posts.NewStatus(
            media_ids=await _images(a, alice.account_id, "three views of a lake",
                                    LANDSCAPE, PORTRAIT, SQUARE),
            caption="Three views", publish_prompt=True,
            alt_texts=["The lake, wide", "The lake, from the pier", "The lake, square"])),
    }
    made["remix"] = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=await _images(a, bob.account_id, "the beach at night", SQUARE),
        caption="The beach, after dark", remix_of=str(made["wide"].id)))
    return made


async def _box(page: Any, selector: str) -> dict[str, float]:
    box = await page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


async def _ratio(page: Any, selector: str) -> float:
    """The shown image's own width:height (its natural size drawn uncropped: the rendered
    box at the natural ratio, object-fit contain)."""
    return float(await page.locator(selector).first.evaluate(
        "img => img.naturalWidth / img.naturalHeight"))


async def _screen(page: Any, folder: Path, name: str) -> None:
    """The screen as it is (the viewer is fixed over the page: a full-page capture would
    stretch it), at desktop and phone widths, light and dark: NAME-WIDTH-SCHEME.png."""
    viewport = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        for scheme in ("light", "dark"):
            await page.emulate_media(color_scheme=scheme)
            await page.wait_for_timeout(100)
            await page.screenshot(path=str(folder / f"{name}-{label}-{scheme}.png"))
    await page.emulate_media(color_scheme=None)
    if viewport:
        await page.set_viewport_size(viewport)


async def test_viewer_by_mouse_and_keyboard_and_layout(start: StartInstance, chromium: Any,
                                                       artifacts: Path) -> None:
    a = await start("a")
    made = await _posts(a)
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in_page(page, a.base, "bob")

    # --- the post page: each image whole, at its own shape, one under the other ---------
    three = made["three"]
    await page.goto(f"{a.base}/@alice/{three.id}")
    figures = page.locator(f"#post-{three.id} .media .image img")
    assert await figures.count() == 3
    for i, expected in enumerate((2.0, 0.6, 1.0)):
        img = figures.nth(i)
        await img.scroll_into_view_if_needed()
        await img.evaluate("i => i.decode()")
        box = await img.bounding_box()
        assert box is not None
        fit = await img.evaluate("i => getComputedStyle(i).objectFit")
        drawn = box["width"] / box["height"]
        # not cropped: either the box has the image's ratio, or it is letterboxed (contain)
        assert fit == "contain" or abs(drawn - expected) < 0.03, (i, drawn, fit)
        assert abs(await _ratio(page, f"#post-{three.id} .media .image:nth-child({i + 1}) img")
                   - expected) < 0.02
    # the first image is the page's largest paint: fetched at once; the others lazily
    first = figures.nth(0)
    assert await first.get_attribute("loading") == "eager"
    assert await first.get_attribute("fetchpriority") == "high"
    assert await figures.nth(1).get_attribute("loading") == "lazy"
    # every image says its size, so nothing moves as it loads
    for i in range(3):
        assert await figures.nth(i).get_attribute("width")
        assert await figures.nth(i).get_attribute("height")

    # --- the viewer, by mouse ---------------------------------------------------------------
    await page.locator(f"#post-{three.id} .image-link").nth(1).click()
    dialog = page.get_by_role("dialog")
    await dialog.wait_for()
    assert await dialog.get_attribute("aria-modal") == "true"
    assert await dialog.get_attribute("aria-labelledby") == "viewer-title"
    assert (await page.locator("#viewer-title").text_content() or "").startswith(
        "Image 2 of 3 by")
    assert await page.locator(".viewer-counter").inner_text() == "2 / 3"
    assert await page.locator(".viewer-alt").inner_text() == "The lake, from the pier"
    assert "three views of a lake" in await page.locator(".viewer-prompt").inner_text()
    assert await page.locator(".viewer-made").text_content() == \
        "Made with dreamfeed-procedural 1"
    shown = page.locator(".viewer-image")
    await page.wait_for_function(
        "() => document.querySelector('.viewer-image').complete"
        " && document.querySelector('.viewer-image').naturalWidth > 0")
    assert abs(await _ratio(page, ".viewer-image") - 0.6) < 0.02
    box = await shown.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - 0.6) < 0.03  # whole
    # the page behind is inert and focus is in the dialog
    assert await page.evaluate("document.querySelector('.shell').inert") is True
    assert await page.evaluate("document.activeElement.closest('.viewer') !== null")
    await _screen(page, artifacts, "viewer-portrait")
    box = await shown.bounding_box()  # still whole after the screen changed size
    assert box is not None and abs(box["width"] / box["height"] - 0.6) < 0.03
    stage = await _box(page, ".viewer-stage")
    assert box["height"] > stage["height"] - 2 or box["width"] > stage["width"] - 2  # fills
    # next and previous buttons
    await page.get_by_role("button", name="Next image").click()
    assert await page.locator(".viewer-counter").inner_text() == "3 / 3"
    assert await page.get_by_role("button", name="Next image").is_disabled()
    await page.get_by_role("button", name="Previous image").click()
    await page.get_by_role("button", name="Previous image").click()
    assert await page.locator(".viewer-counter").inner_text() == "1 / 3"
    # click zooms at the pointer, a second click zooms back out; the wheel zooms too
    await page.wait_for_function("() => document.querySelector('.viewer-image').complete")
    box = await shown.bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert "scale(2.5)" in await shown.evaluate("i => i.style.transform")
    assert await page.get_by_role("button", name="Zoom out").count() == 1
    await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert await shown.evaluate("i => i.style.transform") == ""
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.wheel(0, -300)
    await page.wait_for_function(
        "() => /scale\\(/.test(document.querySelector('.viewer-image').style.transform)")
    # the close button gives focus back to the image's link
    await page.get_by_role("button", name="Close").click()
    await dialog.wait_for(state="hidden")
    assert await page.evaluate("document.activeElement.dataset.viewerIndex") == "1"
    assert await page.evaluate("document.querySelector('.shell').inert") is False
    assert page.url.endswith(f"/@alice/{three.id}")

    # --- by keyboard: Enter opens, arrows move, Tab stays inside, Esc closes ---------------
    opener = page.locator(f"#post-{three.id} .image-link").nth(0)
    await opener.focus()
    await page.keyboard.press("Enter")
    await dialog.wait_for()
    assert await page.locator(".viewer-counter").inner_text() == "1 / 3"
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    assert await page.locator(".viewer-counter").inner_text() == "3 / 3"
    assert await page.locator(".viewer-alt").inner_text() == "The lake, square"
    await page.keyboard.press("ArrowLeft")
    assert await page.locator(".viewer-counter").inner_text() == "2 / 3"
    await page.keyboard.press("+")
    assert "scale(" in await shown.evaluate("i => i.style.transform")
    await page.keyboard.press("0")
    for _ in range(8):
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.closest('.viewer') !== null")
    await page.keyboard.press("Shift+Tab")
    assert await page.evaluate("document.activeElement.closest('.viewer') !== null")
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert await page.evaluate("document.activeElement.dataset.viewerIndex") == "0"

    # --- the browser's back button closes it and stays on the page -------------------------
    await page.locator(f"#post-{three.id} .image-link").nth(2).click()
    await dialog.wait_for()
    await page.go_back()
    await dialog.wait_for(state="hidden")
    assert page.url.endswith(f"/@alice/{three.id}")

    # --- the feed: one image at its shape, several in a grid; opened from there ----------
    await page.goto(f"{a.base}/local")
    wide = page.locator(f"#post-{made['wide'].id} .media-1 .image img")
    tall = page.locator(f"#post-{made['tall'].id} .media-1 .image img")
    for img, expected in ((wide, 2.0), (tall, 0.6)):
        await img.scroll_into_view_if_needed()
        box = await img.bounding_box()
        assert box is not None
        fit = await img.evaluate("i => getComputedStyle(i).objectFit")
        assert fit == "contain" or abs(box["width"] / box["height"] - expected) < 0.03
    grid = page.locator(f"#post-{three.id} .media-3")
    box = await grid.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - 1.5) < 0.05
    # the first card's first image is not lazy; the rest are
    feed_images = page.locator(".feed .post-card .media img, main .post-card .media img")
    assert await feed_images.first.get_attribute("fetchpriority") == "high"
    assert await feed_images.nth(1).get_attribute("loading") == "lazy"
    # the remix: its parent as a small card (image, author, caption) linking to it, no
    # "Remix of URL" line, and no tall sliver
    remix = page.locator(f"#post-{made['remix'].id}")
    card = remix.locator(".remix-card")
    await card.scroll_into_view_if_needed()
    assert "Remix of" in (await card.text_content() or "")
    assert "A long beach" in await card.inner_text() and "@alice" in await card.inner_text()
    assert "Remix of http" not in await remix.inner_text()
    thumb = await card.locator("img").bounding_box()
    assert thumb is not None and thumb["width"] == 88 and thumb["height"] == 88
    assert await card.locator("img").evaluate("i => getComputedStyle(i).objectFit") == "cover"
    # (the name isolated: a right-to-left name cannot turn the sentence around)
    assert await card.get_attribute("aria-label") == "Remix of a post by \u2068alice\u2069"
    await screenshot(page, artifacts, "feed-images")
    # a click on a feed image opens the viewer, not the post
    await page.locator(f"#post-{made['wide'].id} .image-link").click()
    await dialog.wait_for()
    assert await page.locator(".viewer-counter").inner_text() == ""  # one image
    assert await page.get_by_role("button", name="Next image").is_hidden()
    assert await page.get_by_role("link", name="Open post").get_attribute("href") \
        == f"/@alice/{made['wide'].id}"
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="hidden")
    assert page.url.endswith("/local")
    async with page.expect_navigation():
        await card.locator("a.quote-card-link").click()
    assert page.url.endswith(f"/@alice/{made['wide'].id}")

    # --- the profile grid: a tile opens its post's images -------------------------------
    await page.goto(f"{a.base}/@alice")
    await page.locator(f".tile-link[href='/@alice/{three.id}']").click()
    await dialog.wait_for()
    assert await page.locator(".viewer-counter").inner_text() == "1 / 3"
    await page.keyboard.press("Escape")
    await context.close()


async def test_srcset_chooses_the_thumbnail_for_small_slots(start: StartInstance,
                                                             chromium: Any) -> None:
    a = await start("a")
    made = await _posts(a)
    for viewport, dpr, post, wants_thumb in (
            (DESKTOP, 1, "three", True),   # a 272 px grid cell: the 400 px thumbnail
            (DESKTOP, 1, "wide", False),   # a 544 px slot: the full image
            (PHONE, 1, "three", True),     # half a phone: the thumbnail
            (PHONE, 3, "three", False)):   # the same at 3x: the full image
        context = await chromium.new_context(viewport=viewport, device_scale_factor=dpr)
        page = await context.new_page()
        await page.goto(f"{a.base}/@alice/{made[post].id}" if post == "wide"
                        else f"{a.base}/local")
        img = page.locator(f"#post-{made[post].id} .media img").first
        await img.scroll_into_view_if_needed()
        await page.wait_for_function(
            "id => { const i = document.querySelector(`#post-${id} .media img`);"
            " return i && i.complete && i.currentSrc; }", arg=str(made[post].id))
        srcset = await img.get_attribute("srcset")
        sizes = await img.get_attribute("sizes")
        assert srcset and " 400w" in srcset and sizes
        source = await page.locator(f"#post-{made[post].id} .media source").first \
            .get_attribute("srcset")
        assert source and "thumb.jpg 400w" in source and "image.webp 1216w" in source
        current = await img.evaluate("i => i.currentSrc")
        assert current.endswith("thumb.jpg") == wants_thumb, (viewport, dpr, post, current)
        await context.close()


async def _swipe(cdp: Any, x0: float, x1: float, y: float) -> None:
    """One finger across the screen, as a phone sends it."""
    await cdp.send("Input.dispatchTouchEvent", {
        "type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
    for step in range(1, 6):
        await cdp.send("Input.dispatchTouchEvent", {
            "type": "touchMove", "touchPoints": [{"x": x0 + (x1 - x0) * step / 5, "y": y}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def test_viewer_by_touch_on_a_phone(start: StartInstance, chromium: Any,
                                          artifacts: Path) -> None:
    a = await start("a")
    made = await _posts(a)
    three = made["three"]
    for scheme in ("light", "dark"):
        context = await chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True,
                                             device_scale_factor=2, color_scheme=scheme)
        page = await context.new_page()
        await page.goto(f"{a.base}/@alice/{three.id}")
        await page.locator(f"#post-{three.id} .image-link").first.tap()
        dialog = page.get_by_role("dialog")
        await dialog.wait_for()
        assert await page.locator(".viewer-counter").inner_text() == "1 / 3"
        await page.wait_for_function("() => document.querySelector('.viewer-image').complete")
        stage = await _box(page, ".viewer-stage")
        cdp = await context.new_cdp_session(page)
        y = stage["y"] + stage["height"] / 2

        await _swipe(cdp, 320, 60, y)  # to the left: the next image
        await page.wait_for_function(
            "() => document.querySelector('.viewer-counter').textContent === '2 / 3'")
        await _swipe(cdp, 60, 320, y)  # back
        await page.wait_for_function(
            "() => document.querySelector('.viewer-counter').textContent === '1 / 3'")
        # double-tap zooms in at the finger, again zooms out
        img = await _box(page, ".viewer-image")
        cx, cy = img["x"] + img["width"] / 2, img["y"] + img["height"] / 2
        await page.touchscreen.tap(cx, cy)
        await page.touchscreen.tap(cx, cy)
        await page.wait_for_function(
            "() => /scale\\(2.5\\)/.test(document.querySelector('.viewer-image').style.transform)")
        # pinch: two fingers apart zoom further
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
            {"x": cx - 20, "y": cy, "id": 1}, {"x": cx + 20, "y": cy, "id": 2}]})
        for step in range(1, 6):
            await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": cx - 20 - 10 * step, "y": cy, "id": 1},
                {"x": cx + 20 + 10 * step, "y": cy, "id": 2}]})
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        scale = await page.evaluate(
            "parseFloat(/scale\\(([0-9.]+)\\)/.exec("
            "document.querySelector('.viewer-image').style.transform)[1])")
        assert scale > 3
        await page.locator(".viewer-button.viewer-zoom").tap()  # zoom out
        await page.screenshot(path=str(artifacts / f"viewer-phone-{scheme}.png"))
        await page.go_back()  # a phone's back gesture closes the viewer
        await dialog.wait_for(state="hidden")
        assert page.url.endswith(f"/@alice/{three.id}")
        await page.emulate_media(color_scheme=scheme)
        await screenshot(page, artifacts, f"post-images-{scheme}")
        await page.goto(f"{a.base}/local")
        await screenshot(page, artifacts, f"feed-images-{scheme}")
        await context.close()


async def test_image_links_work_without_javascript(start: StartInstance,
                                                   chromium: Any) -> None:
    a = await start("a")
    made = await _posts(a)
    wide = made["wide"].id
    context = await chromium.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = await context.new_page()
    # a feed's image opens its post
    await page.goto(f"{a.base}/local")
    async with page.expect_navigation():
        await page.locator(f"#post-{wide} .image-link").click()
    assert page.url.endswith(f"/@alice/{wide}")
    # the post page's image opens the full image
    href = await page.locator(f"#post-{wide} .image-link").get_attribute("href")
    assert href and href.endswith("/image.jpg")
    shown = await page.goto(href)
    assert shown is not None and shown.status == 200
    assert shown.headers["content-type"] == "image/jpeg"
    # a profile tile opens its post
    await page.goto(f"{a.base}/@alice")
    async with page.expect_navigation():
        await page.locator(f".tile-link[href='/@alice/{made['three'].id}']").click()
    assert page.url.endswith(f"/@alice/{made['three'].id}")
    await context.close()


async def test_a_remix_whose_parent_does_not_show(start: StartInstance) -> None:
    """The remix card says why its parent does not show: not on this server (with a link
    to it), hidden from the viewer, or deleted; the raw "Remix of URL" line never shows."""
    a = await start("a", host="127.0.0.1")
    alice = await a.add_user("alice")
    await a.add_user("bob")
    hidden = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await _images(a, alice.account_id, "a secret garden", SQUARE),
        caption="for friends", visibility="private"))
    remix = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await _images(a, alice.account_id, "a garden, remade", SQUARE),
        caption="Remade"))
    elsewhere = "https://elsewhere.example/notes/1"
    cases = (
        ({"remix_of_id": None, "remix_of_uri": elsewhere},
         "Remix of a post that is not on this server"),
        ({"remix_of_id": hidden.id, "remix_of_uri": hidden.uri},
         "Remix of a post you cannot see"))
    async with aiohttp.ClientSession() as session:
        for values, label in cases:
            async with a.services.db.writer.begin() as db:
                await db.execute(update(Status).where(Status.id == remix.id).values(**values))
            a.app[DOCUMENTS].clear()  # a change by hand: no event drops the cached page
            async with session.get(f"{a.base}/@alice/{remix.id}") as response:
                html = await response.text()
            card = html.split('class="quote-card quote-card-')[1].split("</aside>")[0]
            assert "remix-card" in card and label in card, card
            if values["remix_of_id"] is None:
                assert f'href="{elsewhere}"' in card
            assert "Remix of <a" not in html


async def test_viewer_and_remix_card_pass_axe(start: StartInstance, chromium: Any) -> None:
    a = await start("a")
    made = await _posts(a)
    found: list[str] = []
    for scheme in ("light", "dark"):
        # axe is injected as a script tag: the pages' CSP (script-src 'self') is set aside.
        context = await chromium.new_context(viewport=DESKTOP, color_scheme=scheme,
                                             bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{a.base}/local")
        found += [f"{scheme} feed: {line}" for line in await serious_violations(page)]
        await page.goto(f"{a.base}/@alice/{made['three'].id}")
        await page.locator(f"#post-{made['three'].id} .image-link").nth(1).click()
        await page.get_by_role("dialog").wait_for()
        found += [f"{scheme} viewer: {line}" for line in await serious_violations(page)]
        await context.close()
    assert not found, "\n".join(found)
