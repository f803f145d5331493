"""Acting on accounts over plain HTTP: follow (and follow requests to a locked account),
mute, block, search, the followers lists and the report form, each answering the new
relationship as JSON for scripts and redirecting for plain forms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from server import appkeys
from server.services.moderation import reports
from server.services.statuses import posts
from storage.models import Account
from storage.pagination import Page
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser

PASSWORD = "correct horse"


async def _act(who: Browser, path: str, form: dict[str, str]) -> tuple[int, Any]:
    """POST as static/profiles.js does: the form with its token, asking for JSON."""
    data = {**form, "csrf_token": await who.csrf("/search")}
    async with who.session.post(who.instance.base + path, data=data,
                                headers={"Accept": "application/json"}) as response:
        return response.status, await response.json(content_type=None)


async def _lock(instance: Instance, username: str) -> None:
    async with instance.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.username == username)
                              .values(manually_approves_followers=True, display_name="Carol C"))


async def test_follow_requests_mutes_blocks_and_lists(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("carol")
    await a.add_user("dave")
    await _lock(a, "carol")
    carol = a.handle("carol")
    async with browser(a) as dave, browser(a) as visitor:
        # Signed out: actions send to sign in, and no state changes.
        assert (await visitor.get("/follow_requests")).status == 303
        page = await visitor.post("/web/accounts/follow", {"handle": carol},
                                  form_page="/auth/sign_in")
        assert page.status == 401

        assert (await dave.sign_in("dave", PASSWORD)).status == 303
        status, state = await _act(dave, "/web/accounts/follow", {"handle": carol})
        assert status == 200 and state["ok"] is True
        assert state["requested"] is True and state["following"] is False
        page = await dave.get("/@carol")
        assert ">Requested<" in page.text and "locked" in page.text

        async with browser(a) as carol_web:
            await carol_web.sign_in("carol", PASSWORD)
            page = await carol_web.get("/follow_requests")
            assert page.status == 200 and f"@{a.handle('dave')}" in page.text
            # A plain form: approve, then back to the list.
            page = await carol_web.post("/follow_requests/approve",
                                        {"handle": a.handle("dave"), "next": "/follow_requests"},
                                        form_page="/follow_requests")
            assert page.status == 303 and page.location == "/follow_requests"
            assert f"@{a.handle('dave')}" not in (await carol_web.get("/follow_requests")).text
            page = await carol_web.post("/follow_requests/reject",
                                        {"handle": a.handle("dave")},
                                        form_page="/follow_requests")
            assert page.status == 404  # nothing pending any more
            page = await carol_web.get("/@carol/followers")
            assert page.status == 200 and "/@dave" in page.text
            assert "/@carol" in (await carol_web.get("/@dave/following")).text
            page = await carol_web.get("/@dave")
            assert "Follows you" in page.text

        status, state = await _act(dave, "/web/accounts/mute",
                                   {"handle": carol, "notifications": "1", "duration": "3600"})
        assert state["following"] is True and state["muting"] is True
        assert state["muting_notifications"] is True
        assert "You mute this account" in (await dave.get("/@carol")).text
        status, state = await _act(dave, "/web/accounts/unmute", {"handle": carol})
        assert state["muting"] is False
        status, state = await _act(dave, "/web/accounts/mute",
                                   {"handle": carol, "duration": "forever"})
        assert status == 422 and state["ok"] is False and "seconds" in state["error"]

        # Blocking ends the follow; the profile then hides the posts.
        status, state = await _act(dave, "/web/accounts/block", {"handle": carol})
        assert state["blocking"] is True and state["following"] is False
        page = await dave.get("/@carol")
        assert "You blocked <bdi>@" in page.text and "profile-grid" not in page.text
        # A plain form redirects to the account's profile.
        page = await dave.post("/web/accounts/unblock", {"handle": carol}, form_page="/search")
        assert page.status == 303 and page.location == "/@carol"
        # Refusals come back as messages.
        status, state = await _act(dave, "/web/accounts/follow", {"handle": a.handle("dave")})
        assert status == 403 and "your own account" in state["error"]
        status, state = await _act(dave, "/web/accounts/unfollow", {"handle": carol})
        assert status == 404
        status, state = await _act(dave, "/web/accounts/block", {"handle": ""})
        assert status == 400


async def test_search_and_report(start: StartInstance) -> None:
    a = await start("a")
    b = await start("b")
    await b.add_user("erin")
    await a.add_user("carol")
    mallory = await a.add_user("mallory")
    await _lock(a, "carol")
    media = await a.make_images(mallory.account_id, "a spam can")
    spam = await posts.create_status(a.services, "mallory", posts.NewStatus(
        media_ids=media, caption="Buy now #deals"))
    async with browser(a) as visitor:
        # Names, handles, our own profile URLs and hashtags; logged out, no remote lookups.
        page = await visitor.get("/search?q=car")
        assert page.status == 200 and "Carol C" in page.text and 'href="/@carol"' in page.text
        assert "mallory" not in page.text
        page = await visitor.get("/search?q=ol C")  # display names match too
        assert "Carol C" in page.text
        page = await visitor.get(f"/search?q=@mallory@{a.domain}")
        assert 'href="/@mallory"' in page.text
        page = await visitor.get(f"/search?q={a.base}/@mallory")
        assert 'href="/@mallory"' in page.text
        page = await visitor.get("/search?q=%23deals")
        assert 'href="/tags/deals"' in page.text
        page = await visitor.get("/search?q=deals")  # a word that is a tag in use
        assert 'href="/tags/deals"' in page.text
        page = await visitor.get("/search?q=@someone@elsewhere.test")
        assert "Sign in to look up" in page.text
        assert "<script>" not in (await visitor.get("/search?q=<script>x")).text

        await visitor.sign_in("carol", PASSWORD)
        page = await visitor.get("/search?q=@nobody@elsewhere.test")  # resolving, and failing
        assert page.status == 200 and 'class="notice"' in page.text
        # Signed in, a profile URL on another server is fetched and shown, with a follow button.
        page = await visitor.get(f"/search?q={b.base}/@erin")
        assert f'href="/@erin@{b.domain}"' in page.text
        assert f'name="handle" value="erin@{b.domain}"' in page.text
        page = await visitor.get(f"/web/report?account={a.handle('mallory')}&post={spam.id}")
        assert page.status == 200 and f'value="{spam.id}"\n              checked' in page.text
        assert 'name="forward"' not in page.text  # a local account: nobody to forward to
        page = await visitor.post("/web/report", {
            "account": a.handle("mallory"), "category": "nonsense", "comment": "x"},
            form_page=f"/web/report?account={a.handle('mallory')}")
        assert page.status == 422 and "Category must be one of" in page.text
        page = await visitor.post("/web/report", {
            "account": a.handle("mallory"), "category": "spam", "post": str(spam.id),
            "comment": "Selling cans <b>everywhere</b>"},
            form_page=f"/web/report?account={a.handle('mallory')}")
        assert page.status == 200 and "Thank you" in page.text
    made = await reports.list_reports(a.services, None, Page())
    assert len(made) == 1
    assert made[0].target == a.handle("mallory") and made[0].status_ids == (spam.id,)
    assert made[0].comment == "Selling cans <b>everywhere</b>" and made[0].category == "spam"
