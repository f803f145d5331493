"""The prompt stays private unless its author publishes it: the compose page never fills the
alt text with it, so a post made without "publish the prompt" shows it nowhere (ALT badge,
og:image:alt, RSS, the federated attachment's `name`). Using it as alt text is an explicit
choice that says it makes the prompt public. Real HTTP, and Chromium for the script."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from server import appkeys
from storage import statuses as status_queries
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, Page, browser
from tests.web.conftest import DESKTOP

PASSWORD = "correct horse"  # what Instance.add_user gives
FAST = {"size": "256x256"}
AP = "application/activity+json"
PROMPT = (Path(__file__).resolve().parents[1] / "data" / "hostile"
          / "compose-private-prompt.txt").read_text(encoding="utf-8")


async def _form(b: Browser, path: str, pairs: list[tuple[str, str]],
                form_page: str) -> Page:
    data = [("csrf_token", await b.csrf(form_page)), *pairs]
    async with b.session.post(b.instance.base + path, data=data,
                              allow_redirects=False) as response:
        return Page(response.status, await response.text(), dict(response.headers))


async def _generated(a: Instance, b: Browser) -> tuple[str, list[str], Page]:
    """Generate two images from PROMPT: (results page path, media ids, results page)."""
    started = await _form(b, "/compose/generate", [("prompt", PROMPT), ("n", "2"),
                                                   ("size", "256x256")], "/compose")
    assert started.status == 303, started.text
    await a.run_jobs()
    results = await b.get(started.location)
    ids = re.findall(r'name="alt_(\d+)"', results.text)
    assert len(ids) == 2, results.text
    return started.location, ids, results


def _generation(location: str) -> str:
    found = re.search(r"generation=(\d+)", location)
    assert found
    return found.group(1)


async def test_a_post_without_the_prompt_shows_it_nowhere(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    escaped = html.escape(PROMPT)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        location, ids, results = await _generated(a, b)
        boxes = re.findall(r"<textarea name=\"alt_\d+\"[^>]*>([^<]*)</textarea>",
                           results.text)
        assert boxes == ["", ""]  # empty, with a nudge to describe the image
        assert "Describe what the image shows" in results.text
        assert "Use my prompt as the alt text" in results.text
        assert "makes your prompt public" in results.text
        posted = await _form(b, "/compose/post", [
            ("generation", _generation(location)), ("media_id", ids[0]),
            ("media_id", ids[1]), ("alt_" + ids[0], ""), ("alt_" + ids[1], ""),
            ("caption", "Dusk"), ("visibility", "public"),
            # Past the reminder (tests/web/test_describe.py): posted without alt text.
            ("alt_reminded", "1")], location)
        assert posted.status == 303, posted.text
        status_id = int(posted.location.rsplit("/", 1)[1])

    async with browser(a) as visitor:
        page = await visitor.get(posted.location)
        assert page.status == 200
        assert escaped not in page.text and PROMPT not in page.text
        rss = await visitor.get("/@alice.rss")
        assert rss.status == 200 and "lighthouse" not in rss.text
    note = (await a.services.http.get(f"{a.actor('alice')}/statuses/{status_id}",
                                      headers={"Accept": AP})).json()
    assert "prompt" not in note
    assert [item.get("name") or "" for item in note["attachment"]] == ["", ""]
    assert PROMPT not in str(note)


async def test_using_the_prompt_as_alt_text_is_an_explicit_choice(
        start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        location, ids, _ = await _generated(a, b)
        posted = await _form(b, "/compose/post", [
            ("generation", _generation(location)), ("media_id", ids[0]),
            ("media_id", ids[1]), ("alt_" + ids[0], ""), ("alt_prompt_" + ids[0], "1"),
            ("alt_" + ids[1], "Typed by hand"), ("alt_prompt_" + ids[1], "1")], location)
        assert posted.status == 303, posted.text
    status_id = int(posted.location.rsplit("/", 1)[1])
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await status_queries.attachments(session, status_id)
    assert [m.description for m in media] == [PROMPT, "Typed by hand"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_use_my_prompt_box_fills_and_empties_the_alt_text(
        start: StartInstance, chromium: Any) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        location, ids, _ = await _generated(a, b)
    page = await chromium.new_page(viewport=DESKTOP)
    await page.goto(a.base + "/auth/sign_in")
    await page.fill("input[name=login]", "alice")
    await page.fill("input[name=password]", PASSWORD)
    async with page.expect_navigation():
        await page.press("input[name=password]", "Enter")
    await page.goto(a.base + location)
    alt = page.locator(f"#alt-{ids[0]}")
    assert await alt.input_value() == ""
    box = page.locator(f"input[name=alt_prompt_{ids[0]}]")
    await box.check()
    assert await alt.input_value() == PROMPT
    await box.uncheck()
    assert await alt.input_value() == ""
    await page.close()
