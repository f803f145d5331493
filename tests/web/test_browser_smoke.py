"""The browser fixture reaches an instance by its host name."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.conftest import DESKTOP, screenshot


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_about_page_in_chromium(start, chromium, artifacts: Path) -> None:
    instance = await start("a")
    page = await chromium.new_page(viewport=DESKTOP)
    await page.goto(instance.base + "/about")
    assert "Instance a" in await page.title()
    await screenshot(page, artifacts, "about")
