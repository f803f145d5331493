"""A remote display name carrying a right-to-left override stays inside its own name: in
Chromium the handle printed after it still reads left to right, and in titles and meta tags
the name is wrapped in Unicode isolates. The payload comes from tests/data/hostile/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.interactions_helpers import alice_follows, create, note, post, send
from tests.server.web_helpers import browser
from tests.web.conftest import DESKTOP

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
PASSWORD = "correct horse"  # what Instance.add_user gives everyone
FSI, PDI = "\u2068", "\u2069"

# Where the first "@" and the last character of an element's first text are drawn.
EDGES = """sel => {
  const node = document.createTreeWalker(document.querySelector(sel),
                                         NodeFilter.SHOW_TEXT).nextNode();
  const text = node.textContent.trim(), start = node.textContent.indexOf(text);
  const range = document.createRange();
  const left = i => { range.setStart(node, start + i); range.setEnd(node, start + i + 1);
                      return range.getBoundingClientRect().left; };
  return [left(text.indexOf("@")), left(text.length - 1)];
}"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_right_to_left_override_in_a_name_stays_in_the_name(
        start: StartInstance, chromium: Any) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with FakeRemote("masto") as masto:
        eve = masto.add_actor("eve")
        eve.overrides = json.loads(
            (HOSTILE / "actor-display-name-rtl-override.json").read_text(encoding="utf-8"))
        name = eve.overrides["name"]
        await alice_follows(a, masto, eve)
        doc = note(eve, content="<p>look at this</p>")
        row = await send(masto, eve, a, create(eve, doc))
        assert row.state == "applied", row.error
        status = await post(a, doc["id"])
        assert status is not None
        path = f"/@{eve.handle}/{status.id}"

        async with browser(a) as b:
            html = (await b.get(path)).text
        title = re.search(r"<title>([^<]*)</title>", html)
        assert title and title.group(1).startswith(f"{FSI}{name}{PDI}: ")
        assert f'content="{FSI}{name}{PDI} ({FSI}@{eve.handle}{PDI})"' in html  # og:title
        assert f'<span class="handle"><bdi>@{eve.handle}</bdi></span>' in html

        # Replying shows "Replying to NAME @handle" on one line: the handle must not be
        # turned around by the name before it.
        page = await chromium.new_page(viewport=DESKTOP)
        await page.goto(a.base + "/auth/sign_in")
        await page.fill('input[name="login"]', "alice")
        await page.fill('input[name="password"]', PASSWORD)
        async with page.expect_navigation():
            await page.press('input[name="password"]', "Enter")
        await page.goto(a.base + f"/compose?in_reply_to={status.id}")
        at, last = await page.evaluate(EDGES, ".compose-parent .handle")
        assert at < last, "the handle is drawn right to left"
        await page.close()
