"""The compose page says what generating costs before anything is typed: the images left today
(the generation service's own count) and when the count resets; refused prompts say that they
count; with none left, Generate is disabled with the reason and the server still refuses. It
also says when the built-in procedural engine draws the images, with what admins can do.
Plain HTTP on SQLite and PostgreSQL, then Chromium for the script's part."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from server import appkeys
from server.services.generation import generate
from storage import generations as gen_queries
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import Browser, Page, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"
ENGINE = "Drawn by the built-in engine: connect an image model for AI images"
RESETS = re.compile(r"the count resets in (\d+ h )?\d+ min, at <time datetime=\"[0-9T:+-]+\">"
                    r"midnight UTC</time>")


async def _generate(b: Browser, prompt: str, *, n: int = 1, json_answer: bool = False) -> Page:
    data = [("csrf_token", await b.csrf("/compose")), ("prompt", prompt), ("n", str(n)),
            ("size", "256x256")]
    headers = {"Accept": "application/json"} if json_answer else {}
    async with b.session.post(b.instance.base + "/compose/generate", data=data,
                              headers=headers, allow_redirects=False) as response:
        return Page(response.status, await response.text(), dict(response.headers))


def _quota_line(html: str) -> str:
    return html.split('id="compose-quota"', 1)[1].split("</p>", 1)[0]


def _generate_button(html: str) -> str:
    form = html.split('id="generate-form"', 1)[1].split("</form>", 1)[0]
    found = re.search(r"<button type=\"submit\" class=\"primary\"[^>]*>", form)
    assert found, form
    return found.group(0)


async def test_quota_shown_counted_and_enforced(start: StartInstance) -> None:
    a = await start("a", generator={"size": "256x256", "daily_limit": 3},
                    moderation={"blocked_terms": ["forbidden"], "openai": False})
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = await b.get("/compose")
        line = _quota_line(page.text)
        assert "3 of 3 images left today" in line and RESETS.search(line), line
        assert "Prompts refused by moderation count too" in line
        assert "disabled" not in _generate_button(page.text)

        # A refused prompt says it counted, and how many are left.
        refused = await _generate(b, "a forbidden door")
        assert refused.status == 422
        assert ("contains a blocked term: forbidden. Refused prompts count against your daily "
                "images: 2 of 3 left today.") in refused.text
        assert "2 of 3 images left today" in _quota_line(refused.text)
        # More images than are left cannot be picked.
        assert '<option value="2">2</option><option value="3" disabled>' in refused.text
        as_json = json.loads((await _generate(b, "forbidden again", json_answer=True)).text)
        assert as_json["kind"] == "refused" and "1 of 3 left today" in as_json["error"]
        assert as_json["quota"]["left"] == 1 and as_json["quota"]["limit"] == 3
        assert as_json["quota"]["resets_at"].endswith("T00:00:00+00:00")

        started = await _generate(b, "a quiet pond")
        assert started.status == 303
        await a.run_jobs()
        after = await b.get(started.location)
        # The results page: its regenerate button knows nothing is left either.
        assert "not enough images left today: 0 of 3" in after.text

        spent = await b.get("/compose")
        line = _quota_line(spent.text)
        assert "You have used all 3 of today's images. More in" in line, line
        button = _generate_button(spent.text)
        assert "disabled" in button and 'aria-describedby="compose-quota"' in button
        # The button is only a courtesy: the server refuses on its own.
        again = await _generate(b, "one more pond", json_answer=True)
        assert again.status == 429
        body = json.loads(again.text)
        assert body["kind"] == "quota" and body["quota"]["left"] == 0
        assert "daily image limit reached: 3 of 3 used today" in body["error"]


async def test_engine_notice_with_the_builtin_engine(start: StartInstance) -> None:
    a = await start("a", generator={"size": "256x256"})
    await a.add_user("alice")
    await a.add_user("root", admin=True)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = await b.get("/compose")
        assert ENGINE in page.text
        assert "[generator] api_key" not in page.text  # what to configure is for admins
    async with browser(a) as b:
        await b.sign_in("root", PASSWORD)
        page = await b.get("/compose")
        assert ENGINE in page.text
        assert "<code>[generator] api_key</code>" in page.text
        assert '<a href="/admin/generation">' in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_engine_notice_with_an_image_model(start: StartInstance) -> None:
    # An OpenAI-compatible service elsewhere: rendering the page asks it nothing.
    a = await start("a", generator={"base_url": "http://127.0.0.1:9/v1", "api_key": "sk-test"})
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = await b.get("/compose")
        assert page.status == 200 and 'name="prompt"' in page.text
        assert "built-in engine" not in page.text
        assert "50 of 50 images left today" in page.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_quota_in_chromium(start: StartInstance, chromium: Any, artifacts: Path) -> None:
    a = await start("a", generator={"size": "256x256", "daily_limit": 2},
                    moderation={"blocked_terms": ["forbidden"], "openai": False})
    await a.add_user("alice")
    page = await chromium.new_page(viewport=DESKTOP)
    await sign_in_page(page, a.base, "alice")
    await page.goto(a.base + "/compose")
    quota = page.locator("#compose-quota")
    assert "2 of 2 images left today" in await quota.inner_text()
    assert ENGINE in await page.locator("#compose-engine").inner_text()
    generate = page.locator("#generate-form button[type=submit]")

    await page.fill("#prompt", "a forbidden tower")
    await generate.click()
    alert = page.locator("#compose-errors .error")
    await alert.wait_for()
    said = await alert.inner_text()
    assert said.startswith("Your prompt was refused: it contains a blocked term")
    assert "Refused prompts count against your daily images: 1 of 2" in said
    await page.locator('#compose-quota[data-left="1"]').wait_for()
    assert "1 of 2 images left today" in await quota.inner_text()
    assert await generate.is_enabled()
    assert await page.locator("select[name=n] option[value='2']").is_disabled()

    await page.fill("#prompt", "another forbidden tower")
    await generate.click()
    await page.locator('#compose-quota[data-left="0"]').wait_for()
    assert "You have used all 2 of today's images" in await quota.inner_text()
    assert await generate.is_disabled()
    assert await generate.get_attribute("aria-describedby") == "compose-quota"
    await screenshot(page, artifacts, "compose-quota-spent")

    # A reload renders the same from the server, and the server refuses a forced submit.
    await page.reload()
    assert await generate.is_disabled()
    status = await page.evaluate("""async () => {
        const form = document.getElementById('generate-form');
        const body = new URLSearchParams(new FormData(form));
        body.set('prompt', 'a pond anyway');
        const r = await fetch(form.action, {method: 'POST', body,
                                            headers: {Accept: 'application/json'}});
        return [r.status, (await r.json()).kind];
    }""")
    assert status == [429, "quota"]
    await page.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_model_refusal_says_it_counted(start: StartInstance) -> None:
    a = await start("a", generator={"size": "256x256", "daily_limit": 5})
    alice = await a.add_user("alice")
    view = await generate.request_generation(a.services, alice.account_id, "a stormy sea",
                                             n=2)
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await gen_queries.finish_generation(session, view.id, state="failed",
                                            error="The model refused the prompt.",
                                            error_code="refused")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = await b.get(f"/compose?generation={view.id}")
        assert ("The image could not be made: The model refused the prompt. Refused prompts "
                "count against your daily images.") in page.text
        assert "3 of 5 images left today" in _quota_line(page.text)
