"""Describe this image on the compose page, against a local OpenAI-compatible vision server
(tests/server/images/fake_vision.py): without JavaScript the form comes back with the draft
in the alt text box and the caption only offered; in Chromium the draft lands in place, is
edited, and posted, and the alt text federates as the attachment's `name`. The reminder
before posting images without alt text, and its setting. Off without a model, and said."""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from server import appkeys
from storage import statuses as status_queries
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.images.fake_vision import CAPTION, DESCRIPTION, KEY, FakeVision
from tests.server.web_helpers import Browser, browser
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP
from tests.web.test_alt_text_privacy import PASSWORD, _form, _generated, _generation

ServerFactory = Callable[..., Awaitable[TestServer]]
FAST = {"size": "256x256"}
AP = "application/activity+json"


@pytest.fixture
async def vision(aiohttp_server: ServerFactory) -> tuple[FakeVision, str]:
    fake = FakeVision()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/v1"))


async def _instance(start: StartInstance, url: str) -> Instance:
    a = await start("a", generator=FAST, describe={"base_url": url, "api_key": KEY,
                                                   "model": "llava:13b"})
    await a.add_user("alice")
    return a


def _alt(page_text: str, media_id: str) -> str:
    found = re.search(rf'<textarea name="alt_{media_id}"[^>]*>([^<]*)</textarea>', page_text)
    assert found, page_text[:500]
    return html.unescape(found.group(1))


async def test_a_draft_without_javascript_then_the_reminder(
        start: StartInstance, vision: tuple[FakeVision, str]) -> None:
    fake, url = vision
    a = await _instance(start, url)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        location, ids, results = await _generated(a, b)
        assert "Describe image 1" in results.text and "Describe image 2" in results.text
        form = [("generation", _generation(location)), ("media_id", ids[0]),
                ("media_id", ids[1]), ("alt_" + ids[1], "Typed by hand"),
                ("caption", "My own words")]
        drafted = await _form(b, "/compose/describe", [*form, ("describe", ids[0])], location)
        assert drafted.status == 200, drafted.text[:300]
        assert _alt(drafted.text, ids[0]) == DESCRIPTION
        assert _alt(drafted.text, ids[1]) == "Typed by hand"  # everything typed is kept
        assert ">My own words</textarea>" in drafted.text  # the caption is only offered
        assert html.escape(CAPTION) in drafted.text and "Drafted by llava:13b" in drafted.text
        assert fake.last_text() == "Describe this image."
        # "Use this caption": the author's click puts it in the box.
        used = await _form(b, "/compose/describe", [*form, ("use_caption", CAPTION)],
                           location)
        assert f">{html.escape(CAPTION)}</textarea>" in used.text
        assert len(fake.received) == 1

        # Posting image 1 without alt text: reminded once, then posted as asked.
        post = [("generation", _generation(location)), ("media_id", ids[0]),
                ("media_id", ids[1]), ("alt_" + ids[0], ""),
                ("alt_" + ids[1], "Typed by hand"), ("caption", CAPTION)]
        reminded = await _form(b, "/compose/post", post, location)
        assert reminded.status == 200 and "Image 1 has no alt text yet." in reminded.text
        assert "Post without alt text" in reminded.text
        posted = await _form(b, "/compose/post", [*post, ("alt_reminded", "1")], location)
        assert posted.status == 303, posted.text[:300]

        # Turned off in Settings > Alt text: no reminder.
        settings = await b.get("/settings/alt-text")
        assert settings.status == 200 and 'name="reminders" value="1" checked' in settings.text
        saved = await _form(b, "/settings/alt-text", [], "/settings/alt-text")
        assert saved.status == 303
        location, ids, _ = await _generated(a, b)
        quiet = await _form(b, "/compose/post", [("generation", _generation(location)),
                                                 ("media_id", ids[0])], location)
        assert quiet.status == 303, quiet.text[:300]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_describe_edit_and_post_in_chromium(
        start: StartInstance, vision: tuple[FakeVision, str], chromium: Any) -> None:
    fake, url = vision
    a = await _instance(start, url)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        location, ids, _ = await _generated(a, b)
    # bypass_csp: axe is injected as an inline script.
    context = await chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = await context.new_page()
    await page.goto(a.base + "/auth/sign_in")
    await page.fill("input[name=login]", "alice")
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.press("input[name=password]", "Enter")
    await page.goto(a.base + location)
    await page.get_by_role("button", name="Describe image 1").click()
    alt = page.locator(f"#alt-{ids[0]}")
    await page.wait_for_function(f"document.getElementById('alt-{ids[0]}').value.length > 0")
    assert await alt.input_value() == DESCRIPTION
    assert await alt.evaluate("node => node === document.activeElement")
    assert page.url.endswith(location)  # in place, no reload
    assert await page.locator("#caption").input_value() == ""  # offered, not inserted
    assert await page.locator(".describe-caption-text").first.inner_text() == CAPTION
    assert await serious_violations(page) == []
    await page.get_by_role("button", name="Use this caption").first.click()
    assert await page.locator("#caption").input_value() == CAPTION
    edited = DESCRIPTION.replace("violet", "deep violet")
    await alt.fill(edited)
    await page.click("#post-form button[type=submit]")
    await page.wait_for_url(re.compile(r"/@alice/\d+$"))
    status_id = int(page.url.rsplit("/", 1)[1])
    await context.close()
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await status_queries.attachments(session, status_id)
    assert [m.description for m in media] == [edited]
    assert len(fake.received) == 1
    # The alt text federates: the Note's attachment `name`.
    note = (await a.services.http.get(f"{a.actor('alice')}/statuses/{status_id}",
                                      headers={"Accept": AP})).json()
    assert [item["name"] for item in note["attachment"]] == [edited]


async def test_without_a_model_the_page_says_so(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    async with browser(a) as b:
        b_: Browser = b
        await b_.sign_in("alice", PASSWORD)
        _location, _ids, results = await _generated(a, b_)
    assert "Describe image" not in results.text
    assert "not set up on this server" in results.text
