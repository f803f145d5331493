"""Public pages answer their trailing-slash form with a redirect to the canonical URL:
Takahē links every hashtag as `/tags/NAME/`, and hand-typed `/@user/` and `/users/x/` are
common (issue 18: they answered 404). Over real HTTP, redirects not followed."""

from __future__ import annotations

import aiohttp

from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance


async def _request(instance: Instance, method: str, path: str,
                   accept: str = "text/html") -> aiohttp.ClientResponse:
    port = instance.domain.rpartition(":")[2]
    async with aiohttp.ClientSession() as session, session.request(
            method, f"http://127.0.0.1:{port}{path}", allow_redirects=False,
            headers={"Accept": accept, "Host": instance.domain}) as resp:
        await resp.read()
        return resp


async def test_trailing_slash_forms_redirect_to_the_canonical_url(
        start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    for path, canonical in [("/tags/comet/", "/tags/comet"),
                            ("/tags/comet/?max_id=5", "/tags/comet?max_id=5"),
                            ("/tags/caf%C3%A9/", "/tags/caf%C3%A9"),
                            ("/@alice/", "/@alice"),
                            ("/users/alice/", "/users/alice"),
                            ("/about/", "/about")]:
        resp = await _request(a, "GET", path)
        assert resp.status == 301, (path, resp.status)
        assert resp.headers["Location"] == canonical
        assert (await _request(a, "HEAD", path)).status == 301
    # The canonical forms answer as before, to browsers and to servers.
    assert (await _request(a, "GET", "/tags/comet")).status == 200
    actor = await _request(a, "GET", "/users/alice", accept="application/activity+json")
    assert actor.status == 200


async def test_what_has_no_canonical_form_stays_404(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    for path in ("/nothing/here/", "/tags/", "//evil.test/", "/users/nobody/x/"):
        resp = await _request(a, "GET", path)
        assert resp.status == 404, (path, resp.status)
        assert "Location" not in resp.headers
    # Only reads are redirected: a POST keeps its answer (no method-changing redirect).
    assert (await _request(a, "POST", "/users/alice/inbox/")).status != 301
