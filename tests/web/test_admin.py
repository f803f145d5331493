"""The admin area: a browser walk through the moderation an admin does (sign-up approval,
invites, a domain block the inbox then enforces, a report resolved, an account suspended,
the audit log), and over plain HTTP: admins only, CSRF on every form, dead letters."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server import appkeys
from server.services.accounts import registrations
from server.services.moderation import account_moderation, reports
from server.services.statuses import posts
from storage import audit
from storage import jobs as job_store
from storage.pagination import Page
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, TestResolver, settle
from tests.server.web_helpers import browser
from tests.web.conftest import DESKTOP, screenshot

PASSWORD = "correct horse"  # Instance.add_user's
ADMIN_PAGES = ("/admin", "/admin/reports", "/admin/reports?state=resolved", "/admin/domains",
               "/admin/accounts", "/admin/accounts?q=bob&origin=local",
               "/admin/registrations", "/admin/invites", "/admin/invites?all=1",
               "/admin/generation", "/admin/deliveries", "/admin/audit")


async def _audit_actions(instance: Instance) -> list[str]:
    async with instance.app[appkeys.DATABASE].reader() as session:
        return [e.action for e in await audit.entries(session, Page(limit=40))]


async def _inbox_status(instance: Instance, actor: str) -> int:
    """POST an (unsigned) activity from `actor` to the shared inbox: a blocked server is
    refused (403) before its signature is even looked at; others fail the signature (401)."""
    activity = {"@context": "https://www.w3.org/ns/activitystreams", "type": "Like",
                "id": f"{actor}#likes/1", "actor": actor, "object": instance.actor("root")}
    connector = aiohttp.TCPConnector(resolver=TestResolver())
    async with aiohttp.ClientSession(connector=connector) as http, http.post(
            instance.base + "/inbox", json=activity,
            headers={"Content-Type": "application/activity+json"}) as response:
        return response.status


async def _sign_in(page: Any, base: str, login: str, next_path: str = "/") -> None:
    await page.goto(f"{base}/auth/sign_in?next={next_path}")
    await page.get_by_label("Username or e-mail").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def _notice(page: Any) -> str:
    return str(await page.locator(".admin-notice[role=status]").inner_text())


async def _carol_reports_a_post_by_mallory(
        a: Instance) -> tuple[posts.StatusView, reports.ReportView]:
    mallory = await a.add_user("mallory")
    await a.add_user("carol")
    media = await a.make_images(mallory.account_id, "a field of tin cans")
    post = await posts.create_status(a.services, "mallory", posts.NewStatus(
        media_ids=media, caption="buy cheap cans"))
    report = await reports.create_report(a.services, "carol", a.handle("mallory"),
                                         status_ids=[post.id],
                                         comment="<b>spam</b> everywhere", category="spam")
    return post, report


async def _sign_up_and_wait_for_approval(dora: Any, a: Instance) -> None:
    await dora.goto(a.base + "/auth/sign_up")
    await dora.get_by_label("Username").fill("dora")
    await dora.get_by_label("E-mail (optional)").fill("dora@example.com")
    await dora.get_by_label("Password", exact=True).fill(PASSWORD)
    await dora.get_by_label("Password again").fill(PASSWORD)
    await dora.get_by_label("Why do you want to join?").fill("I paint with prompts")
    await dora.get_by_role("button", name="Sign up").click()
    await dora.wait_for_load_state()
    assert "waiting for approval" in await dora.content()


async def _open_the_dashboard(page: Any, a: Instance) -> None:
    await _sign_in(page, a.base, "root", "/admin")
    assert page.url == a.base + "/admin"
    cards = await page.locator(".admin-cards").inner_text()
    assert "1 open reports" in " ".join(cards.split())
    assert "1 sign-ups waiting" in " ".join(cards.split())


async def _approve_the_sign_up(page: Any, a: Instance, dora: Any, visitor: Any) -> None:
    """The approval queue: dora's reason, then approve; she can sign in."""
    await page.get_by_role("navigation", name="Admin sections") \
        .get_by_role("link", name="Sign-ups").click()
    item = page.locator(".queue-item", has_text="@dora")
    assert "I paint with prompts" in await item.inner_text()
    assert "dora@example.com" in await item.inner_text()
    await item.get_by_role("button", name="Approve @dora").click()
    assert "approved @dora" in await _notice(page)
    assert await registrations.pending(a.app[appkeys.DATABASE]) == []
    await _sign_in(dora, a.base, "dora")
    assert any(c["name"] == "dreamfeed_session" for c in await visitor.cookies())


async def _create_an_invite(page: Any, a: Instance) -> None:
    """An invite code with five uses, listed with its link."""
    await page.goto(a.base + "/admin/invites")
    await page.get_by_label("Max uses").select_option("5")
    await page.get_by_role("button", name="Create invite").click()
    assert "created" in await _notice(page)
    [invite] = await registrations.list_invites(a.app[appkeys.DATABASE])
    assert invite.max_uses == 5 and invite.expires_at is not None
    row = page.locator("tr.invite", has_text=invite.code)
    assert await row.get_by_role("link").get_attribute("href") == f"/invite/{invite.code}"
    assert "0 / 5" in await row.inner_text() and "usable" in await row.inner_text()


async def _suspend_a_domain(page: Any, a: Instance) -> None:
    """A suspension needs the confirmation box, then the inbox refuses the domain."""
    evil = "https://evil.test/users/spammer"
    assert await _inbox_status(a, evil) == 401
    await page.goto(a.base + "/admin/domains")
    await page.get_by_label("Domain", exact=True).first.fill("evil.test")
    await page.get_by_label("Suspend:").check()
    await page.get_by_role("button", name="Block", exact=True).click()
    assert "I understand" in await page.locator(".admin-error").inner_text()
    assert await _inbox_status(a, evil) == 401
    await page.get_by_label("Domain", exact=True).first.fill("evil.test")
    await page.get_by_label("Suspend:").check()
    await page.get_by_label("For a suspension").check()
    await page.get_by_label("Public comment").fill("spam farm")
    await page.get_by_role("button", name="Block", exact=True).click()
    assert "evil.test blocked: suspend" in await _notice(page)
    assert "spam farm" in await page.locator("table.admin-table").inner_text()
    assert await _inbox_status(a, evil) == 403


async def _resolve_the_report(page: Any, a: Instance, post: posts.StatusView,
                              report: reports.ReportView, artifacts: Path) -> None:
    """Reporter, target, comment (escaped), then resolved with a note."""
    await page.get_by_role("navigation", name="Admin sections") \
        .get_by_role("link", name="Reports").click()
    await page.get_by_role("link", name=f"#{report.id}").click()
    facts = await page.locator("dl.facts").inner_text()
    assert "@" + a.handle("carol") in facts and "@" + a.handle("mallory") in facts
    assert "<b>spam</b> everywhere" in facts and "spam" in facts
    link = page.get_by_role("link", name=f"Post {post.id}")
    assert await link.get_attribute("href") == f"/@mallory/{post.id}"
    assert "buy cheap cans" in await page.locator(".reported-posts").inner_text()
    await screenshot(page, artifacts, "admin-report")
    await page.get_by_label("What was done about it").fill("warned them")
    await page.get_by_role("button", name="Resolve").click()
    assert f"report {report.id} resolved" in await _notice(page)
    assert (await reports.get_report(a.services, report.id)).state == "resolved"


async def _suspend_the_account(page: Any, a: Instance) -> None:
    """From the account's page, confirmed."""
    await page.goto(a.base + "/admin/accounts")
    await page.get_by_label("Find").fill("mallory")
    await page.get_by_role("button", name="Search").click()
    await page.get_by_role("link", name="@" + a.handle("mallory")).click()
    await page.get_by_label("Reason (kept in the audit log)").nth(1).fill("spam")
    await page.get_by_label("I understand").check()
    await page.get_by_role("button", name="Suspend", exact=True).click()
    assert "suspended" in await _notice(page)
    state = await account_moderation.show(a.services, "mallory")
    assert state.suspended_at is not None
    assert "account.suspend" in await page.locator("table.admin-table").inner_text()


async def _read_the_audit_log(page: Any, a: Instance, artifacts: Path) -> None:
    """The audit log names who did what."""
    await page.get_by_role("navigation", name="Admin sections") \
        .get_by_role("link", name="Audit log").click()
    log = await page.locator("table.admin-table").inner_text()
    for action in ("registration.approve", "invite.create", "domain.block", "report.resolve",
                   "account.suspend"):
        assert action in log
    assert "@root" in log
    await page.goto(a.base + "/admin")
    await screenshot(page, artifacts, "admin")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_admin_walks_through_moderation(start: StartInstance, chromium: Any,
                                              artifacts: Path) -> None:
    a = await start("a", instance={"registrations": "approval"})
    await a.add_user("root", admin=True)
    post, report = await _carol_reports_a_post_by_mallory(a)
    visitor = await chromium.new_context(viewport=DESKTOP)
    dora = await visitor.new_page()
    await _sign_up_and_wait_for_approval(dora, a)
    admin_context = await chromium.new_context(viewport=DESKTOP)
    page = await admin_context.new_page()
    await _open_the_dashboard(page, a)
    await _approve_the_sign_up(page, a, dora, visitor)
    await _create_an_invite(page, a)
    await _suspend_a_domain(page, a)
    await _resolve_the_report(page, a, post, report, artifacts)
    await _suspend_the_account(page, a)
    await _read_the_audit_log(page, a, artifacts)
    await visitor.close()
    await admin_context.close()


async def test_admin_area_is_for_admins_and_needs_csrf(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("root", admin=True)
    bob = await a.add_user("bob")
    posts = ("/admin/reports/1/resolve", "/admin/domains/block", "/admin/domains/unblock",
             "/admin/domains/allow", f"/admin/accounts/{bob.account_id}/suspend",
             f"/admin/accounts/{bob.account_id}/generation/disable",
             "/admin/registrations/approve", "/admin/invites/create",
             "/admin/invites/revoke", "/admin/generation/disable",
             "/admin/deliveries/retry", "/admin/deliveries/purge")
    async with browser(a) as visitor:
        page = await visitor.get("/admin/reports")
        assert page.status == 303 and page.location.startswith("/auth/sign_in?next=")
    async with browser(a) as b:
        assert (await b.sign_in("bob", PASSWORD)).status == 303
        for path in (*ADMIN_PAGES, "/admin/reports/1", f"/admin/accounts/{bob.account_id}"):
            assert (await b.get(path)).status == 403, path
        token = await b.csrf("/about")
        for path in posts:
            page = await b.post(path, {"domain": "evil.test", "confirm": "yes"}, csrf=token)
            assert page.status == 403, path
    assert (await account_moderation.show(a.services, "bob")).suspended_at is None
    async with browser(a) as b:
        assert (await b.sign_in("root", PASSWORD)).status == 303
        for path in ADMIN_PAGES:
            page = await b.get(path)
            assert page.status == 200, (path, page.text[:2000])
            assert 'aria-label="Admin sections"' in page.text
        page = await b.get(f"/admin/accounts/{bob.account_id}")
        assert page.status == 200 and "@" + a.handle("bob") in page.text
        assert (await b.get("/admin/reports/12345")).status == 404
        # No token, or another session's: refused, nothing made.
        assert (await b.post("/admin/invites/create", {}, csrf=None)).status == 403
        assert (await b.post("/admin/invites/create", {}, csrf="x" * 43)).status == 403
        assert await registrations.list_invites(a.app[appkeys.DATABASE]) == []
        page = await b.post("/admin/invites/create", {"max_uses": "2", "next": "/admin/invites"},
                            form_page="/admin/invites")
        assert page.status == 303 and page.location.startswith("/admin/invites?notice=")
        [invite] = await registrations.list_invites(a.app[appkeys.DATABASE])
        assert invite.max_uses == 2
        # An open redirect through `next` is not possible.
        page = await b.post("/admin/invites/revoke", {"code": invite.code,
                                                       "next": "//evil.test/"},
                            form_page="/admin/invites")
        assert page.status == 303 and page.location.startswith("/admin/invites?")
        # Errors come back as a message, escaped on the page.
        page = await b.post("/admin/domains/block", {"domain": "<script>x</script>",
                                                     "next": "/admin/domains"},
                            form_page="/admin/domains")
        assert page.status == 303 and "error=" in page.location
        shown = await b.get(page.location)
        assert "<script>x</script>" not in shown.text and "&lt;script&gt;" in shown.text
        # The allow-list is listed (with the mode) even while the mode is off.
        page = await b.post("/admin/domains/allow", {"domain": "Friendly.TEST"},
                            form_page="/admin/domains")
        assert "friendly.test+allowed" in page.location
        page = await b.get("/admin/domains")
        assert "friendly.test" in page.text and "Allow-list mode is <strong>off</strong>" \
            in page.text
        # Generation switched off from the account page shows on the generation page.
        account_page = f"/admin/accounts/{bob.account_id}"
        page = await b.post(account_page + "/generation/disable",
                            {"reason": "tests", "next": account_page}, form_page=account_page)
        assert page.location.startswith(account_page + "?notice=generation+disabled")
        assert re.search(r'href="/admin/accounts/\d+">@bob<', (await b.get(
            "/admin/generation")).text)
    assert await _audit_actions(a) == ["generation.disable", "domain.allow", "invite.revoke",
                                       "invite.create"]


async def _dead_job(instance: Instance, inbox: str) -> int:
    async with instance.app[appkeys.DATABASE].writer.begin() as session:
        job_id = await job_store.insert_job(session, kind="deliver",
                                            payload={"outgoing_id": 1, "inbox": inbox},
                                            run_at=utcnow() - timedelta(days=1))
        assert job_id is not None
        [claimed] = await job_store.claim_jobs(session, worker="test", limit=1,
                                               lease=timedelta(minutes=1))
        assert await job_store.dead_letter_job(session, claimed.id, worker="test",
                                               error="HTTP 500 from gone.test")
    return job_id


async def test_dead_deliveries_retry_and_purge(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("root", admin=True)
    first = await _dead_job(a, "https://gone.test/inbox")
    async with browser(a) as b:
        await b.sign_in("root", PASSWORD)
        page = await b.get("/admin/deliveries")
        assert "https://gone.test/inbox" in page.text and "HTTP 500 from gone.test" in page.text
        assert re.search(r'class="badge"[^>]*>1<', page.text)
        page = await b.post("/admin/deliveries/retry", {"id": str(first)},
                            form_page="/admin/deliveries")
        assert page.status == 303 and "requeued+1+dead+job" in page.location
        async with a.app[appkeys.DATABASE].reader() as session:
            job = await job_store.get_job(session, first)
        assert job is not None and job.state == job_store.QUEUED

        second = await _dead_job(a, "https://gone.test/users/x/inbox")
        # Purging without the confirmation box changes nothing.
        page = await b.post("/admin/deliveries/purge", {}, form_page="/admin/deliveries")
        assert page.status == 303 and "error=" in page.location
        page = await b.post("/admin/deliveries/purge", {"confirm": "yes"},
                            form_page="/admin/deliveries")
        assert "purged+1+dead+job" in page.location
        async with a.app[appkeys.DATABASE].reader() as session:
            assert await job_store.get_job(session, second) is None
            assert (await job_store.get_job(session, first)) is not None
        assert "No dead jobs" in (await b.get("/admin/deliveries")).text
    assert await _audit_actions(a) == ["jobs.purge", "jobs.retry"]


async def test_report_about_a_remote_account_is_forwarded_and_acted_on(
        start: StartInstance) -> None:
    a, b = await start("a"), await start("b")
    await a.add_user("root", admin=True)
    await a.add_user("carol")
    await b.add_user("bob")
    report = await reports.create_report(a.services, "carol", b.handle("bob"),
                                         comment="remote spam", category="spam")
    async with browser(a) as client:
        await client.sign_in("root", PASSWORD)
        page = await client.get(f"/admin/reports/{report.id}")
        host = b.domain
        assert f"Forward to {host}" in page.text
        page = await client.post(f"/admin/reports/{report.id}/forward", {},
                                 form_page=f"/admin/reports/{report.id}")
        assert page.status == 303 and "forwarded" in page.location
        await settle([a, b])
        [received] = await reports.list_reports(b.services, "open", Page())
        assert received.comment == "remote spam" and received.target == b.handle("bob")
        page = await client.get(f"/admin/reports/{report.id}")
        assert f"Forward to {host}" not in page.text and "yes," in page.text
        # The remote account can be found, silenced and suspended from here too.
        page = await client.get(f"/admin/accounts?q=bob@{host}&origin=remote")
        found = re.search(r'href="/admin/accounts/(\d+)"><bdi>@' + re.escape(b.handle("bob")),
                          page.text)
        assert found, page.text
        account_page = f"/admin/accounts/{found.group(1)}"
        page = await client.post(account_page + "/silence", {"next": account_page},
                                 form_page=account_page)
        assert "silenced" in page.location
        page = await client.post(account_page + "/suspend",
                                 {"next": account_page, "confirm": "yes"},
                                 form_page=account_page)
        assert "suspended" in page.location
        page = await client.get(account_page)
        assert "account.silence" in page.text and "account.suspend" in page.text
        assert "image generation" not in page.text.lower()
    state = await account_moderation.show(a.services, b.handle("bob"))
    assert state.suspended_at is not None and state.silenced_at is not None
    assert await _audit_actions(a) == ["account.suspend", "account.silence", "report.forward"]
