"""Fixtures for browser tests: Playwright for Python driving Debian's Chromium, headless,
against Dreamfeed instances on loopback (`start`, as in tests/federation).

Chromium resolves the instances' `NAME.test` host names to 127.0.0.1 through a resolver rule,
so pages, links and federation use the same addresses the servers use. Outside CI the tests
skip when /usr/bin/chromium is missing (`apt install chromium`); in CI it must be there
(.ci/run installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.federation.conftest import start

__all__ = ["artifacts", "chromium", "screenshot", "start"]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DREAMFEED_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "test-artifacts"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium (playwright.async_api.Browser); open pages with
    `await chromium.new_page(viewport=DESKTOP)` or a context of your own."""
    if not CHROMIUM.exists():
        reason = f"Debian's chromium is not installed at {CHROMIUM} (apt install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--host-resolver-rules=MAP *.test 127.0.0.1", "--no-sandbox"])
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (test-artifacts/ at the repository root, or
    $DREAMFEED_ARTIFACTS); CI keeps the folder as the run's artifacts."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def screenshot(page: Any, folder: Path, name: str) -> None:
    """Save the whole page at desktop and phone widths: NAME-desktop.png and NAME-phone.png."""
    viewport = page.viewport_size
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        if label == "phone":
            # A screen as tall as the page: Chromium's full-page capture keeps the layout
            # viewport, so the sticky tab bar would be drawn mid-page. (The desktop's
            # sidebar is a screen tall, so there the real height is kept.)
            height = await page.evaluate("document.documentElement.scrollHeight")
            await page.set_viewport_size({**size, "height": max(size["height"], int(height))})
        await page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    if viewport:
        await page.set_viewport_size(viewport)


# What Instance.add_user gives everyone (tests.federation.harness).
PASSWORD = "correct horse"


async def sign_in_page(page: Any, base: str, login: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in form in the browser, waiting for the page it leads to."""
    await page.goto(f"{base}/auth/sign_in")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/auth/sign_in'] button[type=submit]")
