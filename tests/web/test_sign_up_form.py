"""The sign-up form (issue 21), in Chromium: it shows the instance's rules with a box to
agree to them (required, and checked again by the server), and asks for an invite code only
where one is needed (invite-only or closed), or where an invite link filled it in; axe finds
nothing serious on it."""

from __future__ import annotations

from typing import Any

import pytest

from server import appkeys
from server.services.accounts import registrations
from tests.federation.harness import Instance
from tests.server.web_helpers import browser
from tests.web.axe import serious_violations
from tests.web.conftest import DESKTOP

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
PASSWORD = "correct horse battery"
RULES = ["Be kind to each other.", "Say which model made an image."]


async def _page(chromium: Any) -> Any:
    # bypass_csp: axe is injected as an inline script, which the pages' CSP refuses.
    return await (await chromium.new_context(viewport=DESKTOP, bypass_csp=True)).new_page()


async def _fill(page: Any, username: str) -> None:
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.fill("input[name=password_confirmation]", PASSWORD)


async def _invite(a: Instance) -> str:
    return (await registrations.create_invite(a.app[appkeys.DATABASE],
                                              actor_account_id=None)).code


@SQLITE
async def test_the_rules_are_shown_and_must_be_agreed_to(start, chromium) -> None:
    a = await start("a", instance={"rules": RULES})
    page = await _page(chromium)
    await page.goto(f"{a.base}/auth/sign_up")
    assert await page.locator(".sign-up-rules li").all_inner_texts() == RULES
    # Open sign-ups: no invite code asked.
    assert await page.locator("input[name=invite_code]").count() == 0
    assert await serious_violations(page) == []
    agree = page.get_by_label("I have read the rules above and agree to them")
    assert await agree.get_attribute("required") is not None
    # Without the box the server refuses too (a form sent without the browser's check).
    async with browser(a) as b:
        refused = await b.sign_up("skipper")
        assert refused.status == 422
        assert "Agree to this server&#39;s rules to sign up." in refused.text
    await _fill(page, "reader")
    await agree.check()
    async with page.expect_navigation():
        await page.click("form[action='/auth/sign_up'] button[type=submit]")
    assert page.url == f"{a.base}/welcome"


@SQLITE
async def test_no_rules_no_box(start, chromium) -> None:
    a = await start("a")
    page = await _page(chromium)
    await page.goto(f"{a.base}/auth/sign_up")
    assert await page.locator(".sign-up-rules").count() == 0
    assert await page.locator("input[name=agreement]").count() == 0
    assert await page.locator("input[name=invite_code]").count() == 0
    # An invite link still fills the code in (it skips approval where there is one).
    code = await _invite(a)
    await page.goto(f"{a.base}/invite/{code}")
    assert await page.locator("input[name=invite_code]").input_value() == code


@SQLITE
async def test_invite_only_asks_for_the_code(start, chromium) -> None:
    a = await start("a", instance={"registrations": "invite", "rules": RULES})
    page = await _page(chromium)
    await page.goto(f"{a.base}/auth/sign_up")
    field = page.get_by_label("Invite code")
    assert await field.input_value() == ""
    assert await field.get_attribute("required") is not None
    assert await serious_violations(page) == []
    code = await _invite(a)
    await page.goto(f"{a.base}/invite/{code}")
    assert page.url == f"{a.base}/auth/sign_up?invite={code}"
    assert await field.input_value() == code
    await _fill(page, "invited")
    await page.get_by_label("I have read the rules above and agree to them").check()
    async with page.expect_navigation():
        await page.click("form[action='/auth/sign_up'] button[type=submit]")
    assert page.url == f"{a.base}/welcome"
