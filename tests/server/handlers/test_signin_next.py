"""Where sign-in sends the browser afterwards (`next`): only a path on this site, whatever a
hostile link puts there, and the answer is always a redirect, never a dropped connection.
Payloads come from tests/data/hostile/ and are sent over real HTTP."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from server.handlers.web.common import safe_next
from tests.federation.conftest import StartInstance
from tests.server.web_helpers import browser

HOSTILE = Path(__file__).resolve().parents[2] / "data" / "hostile"
NEXT_RE = re.compile(r'name="next" value="([^"]*)"')
PAYLOADS = ["signin-next-tab-redirect.txt", "signin-next-crlf-header-split.txt",
            "signin-next-double-encoded-tab-redirect.txt"]


def _payload(name: str) -> str:
    return (HOSTILE / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", PAYLOADS)
async def test_hostile_next_signs_in_and_stays_on_the_site(start: StartInstance,
                                                           name: str) -> None:
    a = await start("a")
    await a.add_user("bob")  # password "correct horse"
    payload = _payload(name)
    async with browser(a) as b:
        # The link a phisher hands out: the form must not carry the target on.
        form = await b.get(f"/auth/sign_in?next={payload}")
        assert form.status == 200
        found = NEXT_RE.search(form.text)
        assert found and html.unescape(found.group(1)) == "/"
        # A hand-made form posting the decoded value straight away.
        page = await b.post("/auth/sign_in", {
            "login": "bob", "password": "correct horse", "next": unquote(payload)})
        assert page.status == 303, page.text
        assert page.location == "/"
        assert "@bob" in (await b.get("/")).text


async def test_a_local_next_is_kept(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("bob")
    async with browser(a) as b:
        page = await b.post("/auth/sign_in", {
            "login": "bob", "password": "correct horse", "next": "/search?q=red%20fox"})
        assert page.status == 303
        assert page.location == "/search?q=red%20fox"


@pytest.mark.parametrize("target", [
    "/\t/evil.example/", "/%09/evil.example/", "/%2F/evil.example/", "/\\evil.example",
    "/%5Cevil.example", "/a\r\nSet-Cookie: x=1", "/a%0d%0aX: 1", "https://evil.example/",
    "//evil.example/", "/caf\u00e9", "/\u2028evil", "/a b", "/%E3%80%80/x", "", "evil"])
def test_safe_next_refuses_what_would_leave_the_site(target: str) -> None:
    assert safe_next(target, "/home") == "/home"
