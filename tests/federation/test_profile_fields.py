"""Profile fields (issue 18): up to 4 name/value pairs, edited in the web settings and the
client API, published as PropertyValue attachments; links in them verified as Mastodon
does (a job fetches the page and looks for a rel="me" link back to the profile), shown with
verified_at in the API and a check mark on the web profile; a remote account's fields (as
Mastodon publishes them, tests/data/actors/) shown and verified the same way. Real HTTP:
the fake Mastodon server serves the linked pages and follows alice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from server.services.federation.remote import resolve_account
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.interactions_helpers import send
from tests.server.web_helpers import Browser, browser

RECORDED = Path(__file__).parent.parent / "data" / "actors" / "mastodon_property_values.json"
PASSWORD = "correct horse"  # what Instance.add_user gives


def _page(masto: FakeRemote, path: str, links_to: str | None) -> str:
    """A personal site on the fake server; with a rel="me" link to `links_to` if given."""
    back = f'<a rel="me noopener" href="{links_to}">me elsewhere</a>' if links_to else ""
    html = f"<!doctype html><html><head><title>site</title></head><body>{back}</body></html>"
    return masto.serve_bytes(path, html.encode(), "text/html; charset=utf-8")


async def _api_account(web: Browser, account_id: int) -> dict[str, Any]:
    async with web.session.get(f"{web.instance.base}/api/v1/accounts/{account_id}") as answer:
        assert answer.status == 200
        entity: dict[str, Any] = await answer.json()
    return entity


async def _save_fields(web: Browser, rows: list[tuple[str, str]]) -> None:
    form = {"display_name": "", "note": ""}
    for i in range(4):
        name, value = rows[i] if i < len(rows) else ("", "")
        form[f"field_name_{i}"], form[f"field_value_{i}"] = name, value
    saved = await web.post("/settings/profile", form)
    assert saved.status == 303, saved.text


async def test_local_fields_are_published_and_their_links_verified(
        start: StartInstance, masto: FakeRemote) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    bob = masto.add_actor("bob")
    await send(masto, bob, a, bob.activity("Follow", a.actor("alice")))
    mine = _page(masto, "/alice-site", links_to=f"{a.base}/@alice")
    other = _page(masto, "/not-alice", links_to=None)
    masto.forget()

    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        page = await web.get("/settings/profile")
        assert page.text.count('name="field_name_') == 4
        await _save_fields(web, [("Site", mine), ("Elsewhere", other), ("Motto", "#dreams")])
        await a.run_jobs()  # the Update, and the check of both links

        # Fetched as a browser asks for a page (Mastodon's VerifyLinkService).
        [fetch] = masto.received("GET", "/alice-site")
        assert "text/html" in fetch.headers["Accept"]
        entity = await _api_account(web, alice.account_id)
        site, elsewhere, motto = entity["fields"]
        assert (site["name"], elsewhere["name"], motto["name"]) == ("Site", "Elsewhere", "Motto")
        assert site["verified_at"] is not None and elsewhere["verified_at"] is None
        assert motto["verified_at"] is None
        assert f'href="{mine}"' in site["value"] and 'rel="nofollow noopener noreferrer me"' \
            in site["value"]
        assert 'class="mention hashtag"' in motto["value"]

        profile = await web.get("/@alice")
        assert profile.text.count('class="verified"') == 1
        assert 'aria-label="Verified link"' in profile.text
        settings = await web.get("/settings/profile")
        assert settings.text.count("✓ verified") == 1

        # The same link saved again keeps its check; a new one has none until checked.
        await _save_fields(web, [("Website", mine), ("Elsewhere", other)])
        again = (await _api_account(web, alice.account_id))["fields"]
        assert again[0]["verified_at"] == site["verified_at"]
        await _save_fields(web, [("Website", other)])
        assert (await _api_account(web, alice.account_id))["fields"][0]["verified_at"] is None

    # Followers' servers got the fields as Mastodon's PropertyValue attachments.
    await a.run_jobs()
    first_update = masto.deliveries("Update")[0].json()["object"]
    attachment = first_update["attachment"]
    assert [(p["type"], p["name"]) for p in attachment] == [
        ("PropertyValue", "Site"), ("PropertyValue", "Elsewhere"), ("PropertyValue", "Motto")]
    # The whole URL is the link's text (scheme hidden), so Mastodon can read it back.
    assert f'<span class="invisible">http://</span><span class="">{mine[7:]}' \
        in attachment[0]["value"]


async def test_at_most_four_fields(start: StartInstance) -> None:
    a = await start("a")
    await a.add_user("alice")
    async with browser(a) as web:
        await web.sign_in("alice", PASSWORD)
        form = {"display_name": "", "note": ""}
        for i in range(4):
            form[f"field_name_{i}"], form[f"field_value_{i}"] = f"n{i}", f"v{i}"
        saved = await web.post("/settings/profile", form)
        assert saved.status == 303
        # A field with a value and no name is refused; nothing changes.
        form["field_name_0"] = ""
        refused = await web.post("/settings/profile", form)
        assert refused.status == 422 and "needs a name" in refused.text


async def test_remote_fields_are_shown_and_verified(start: StartInstance,
                                                    masto: FakeRemote) -> None:
    a = await start("a")
    await a.add_user("alice")
    bob = masto.add_actor("bob")
    site = _page(masto, "/bob-site", links_to=bob.document()["url"])
    recorded = json.loads(RECORDED.read_text())["attachment"]
    # The recorded link, pointed at bob's page on the fake server (plain http there).
    home = recorded[0]["value"].replace('href="https://joinmastodon.org"', f'href="{site}"') \
        .replace(">https://<", ">http://<") \
        .replace(">joinmastodon.org<", f">{site.removeprefix('http://')}<")
    bob.overrides["attachment"] = [{**recorded[0], "value": home}, recorded[1]]

    account = await resolve_account(a.services, bob.handle)
    await a.run_jobs()

    assert len(masto.received("GET", "/bob-site")) == 1
    async with browser(a) as web:
        entity = await _api_account(web, account.id)
        homepage, patreon = entity["fields"]
        assert homepage["name"] == "Homepage" and homepage["verified_at"] is not None
        assert f'href="{site}"' in homepage["value"]
        assert patreon["name"] == "Patreon" and patreon["verified_at"] is None
        page = await web.get(f"/@{bob.handle}")
        assert page.status == 200
        assert "Homepage" in page.text and "patreon.com/mastodon" in page.text
        assert page.text.count('class="verified"') == 1
