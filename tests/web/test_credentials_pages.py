"""Content credentials in Chromium: a visitor reads the verdict on the post page, follows
its link to the image's credentials page, and both pages are axe clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from server.services.statuses import posts
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP, screenshot

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE
async def test_a_visitor_reads_the_credentials(start: Any, chromium: Any,
                                               artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    media = await a.make_images(alice.account_id, "a lighthouse in the fog")
    post = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=media, caption="Fog", alt_texts=["a lighthouse"], publish_prompt=True))
    # bypass_csp: axe is injected as an inline script.
    context = await chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{a.base}/@alice/{post.id}")
    provenance = page.locator("section.provenance")
    text = " ".join((await provenance.inner_text()).split())
    assert "Content credentials verified" in text, text
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "post-credentials")

    await provenance.get_by_role("link", name="See the credentials").click()
    await page.wait_for_url("**/credentials/**")
    assert await page.locator("h1").inner_text() == "Content credentials"
    details = " ".join((await page.locator("section.credentials").inner_text()).split())
    for words in ("has not been changed since it was signed", "Signed by",
                  "a lighthouse in the fog", "not on the C2PA trust list"):
        assert words in details, words
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "image-credentials")
