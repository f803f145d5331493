"""Profile pages: what a logged-out visitor sees (public posts only, OpenGraph, feeds), the
RSS and Atom feeds, deleted and unknown accounts, and, in Chromium across two instances, a
remote user finding, following, reporting and blocking an account from its profile."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from server import appkeys
from server.handlers.caching import DOCUMENTS
from server.render.syndication import ATOM_NS, MEDIA_NS
from server.services.moderation import reports
from server.services.reading import profiles as profile_service
from server.services.statuses import posts
from storage.models import Account
from storage.pagination import Page
from storage.types import utcnow
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot

PASSWORD = "correct horse"
AP = "application/activity+json"


def _meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def _tiles(html: str) -> list[str]:
    """The post links of the profile grid, in order."""
    return re.findall(r'class="tile-link" href="([^"]+)"', html)


async def _post(instance: Instance, username: str, account_id: int, prompt: str,
                **kwargs: Any) -> posts.StatusView:
    media = await instance.make_images(account_id, prompt)
    return await posts.create_status(instance.services, username, posts.NewStatus(
        media_ids=media, **kwargs))


@dataclass(frozen=True)
class _Posts:
    public: posts.StatusView
    warned: posts.StatusView
    unlisted: posts.StatusView
    private: posts.StatusView


async def _alice_writes_a_bio_and_posts_four_ways(a: Instance, alice_id: int) -> _Posts:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == alice_id).values(
            display_name="Alice <3", note="Painter of foxes. https://alice.example\n\n#foxes",
            fields=[{"name": "Site", "value": "https://alice.example"}]))
    public = await _post(a, "alice", alice_id, "a red fox", caption="Fox & moon #art",
                         alt_texts=["a fox under the moon"])
    warned = await _post(a, "alice", alice_id, "a spider", caption="Eight legs",
                         spoiler_text="spiders")
    unlisted = await _post(a, "alice", alice_id, "a quiet lake", caption="Lake",
                           visibility="unlisted")
    private = await _post(a, "alice", alice_id, "a secret garden",
                          caption="Secret garden", visibility="private")
    return _Posts(public, warned, unlisted, private)


async def _visitor_sees_the_grid_and_links(visitor: Browser, a: Instance, p: _Posts) -> str:
    """Returns the profile page's HTML."""
    page = await visitor.get("/@alice")
    assert page.status == 200
    html = page.text
    # Logged out: public and unlisted posts, never the followers-only one.
    assert _tiles(html) == [f"/@alice/{p.unlisted.id}", f"/@alice/{p.warned.id}",
                            f"/@alice/{p.public.id}"]
    assert f"/@alice/{p.private.id}" not in html and "Secret garden" not in html
    assert 'class="tile-cw"' in html and "spiders" in html  # the CW'd tile stays covered
    actor = a.actor("alice")
    assert f'<link rel="alternate" type="application/activity+json" href="{actor}">' in html
    # Names are isolated (FSI ... PDI) wherever they sit beside other text.
    assert f'type="application/rss+xml" title="\u2068Alice &lt;3\u2069 (RSS)" ' \
        f'href="{a.base}/@alice.rss"' in html
    assert f'href="{a.base}/@alice.atom"' in html
    return html


async def _visitor_sees_the_meta_and_counts(visitor: Browser, a: Instance, html: str,
                                            p: _Posts) -> None:
    assert _meta(html, "og:title") == \
        f"\u2068Alice &lt;3\u2069 (\u2068@alice@{a.domain}\u2069)"
    # The bio as its author wrote it (links whole: their scheme is only hidden on the page).
    assert _meta(html, "og:description") == "Painter of foxes. https://alice.example #foxes"
    assert _meta(html, "og:url") == f"{a.base}/@alice"
    assert _meta(html, "og:type") == "profile" and _meta(html, "twitter:card") == "summary"
    # Alice has no avatar: the preview shows the default one, never nothing.
    assert _meta(html, "og:image") == f"{a.base}/static/avatar.png"
    # rel="me" on the bio's and the fields' links (Mastodon's with_rel_me).
    assert html.count('href="https://alice.example" target="_blank" '
                      'rel="nofollow noopener noreferrer me"') == 2
    assert "<strong>3</strong> posts" in html  # public and unlisted ones
    # The words for one and more ride along for profiles.js, in the page's language.
    assert ('<strong>0</strong> <span data-word data-one="follower" data-other="followers">'
            'followers</span>') in html
    # The list with replies shows cards; the CW'd one keeps its warning.
    page = await visitor.get("/@alice?tab=replies")
    assert page.status == 200 and f'id="post-{p.public.id}"' in page.text
    assert "Secret garden" not in page.text


async def _visitor_reads_the_rss_feed(visitor: Browser, a: Instance, p: _Posts) -> None:
    """Public posts only (no unlisted, no followers-only), newest first."""
    async with visitor.session.get(a.base + "/@alice.rss") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
        channel = ET.fromstring(await response.read()).find("channel")
    assert channel is not None and channel.findtext("title") == "Alice <3"
    items = channel.findall("item")
    assert [item.findtext("link") for item in items] == [p.warned.url, p.public.url]
    fox = items[1]
    assert fox.findtext("title") == "Fox & moon #art"
    assert "Fox &amp; moon" in (fox.findtext("description") or "")
    assert "art" in [c.text for c in fox.findall("category")]
    media = fox.find(f"{{{MEDIA_NS}}}content")
    assert media is not None and media.get("url", "").startswith(a.base + "/media/")
    assert media.findtext(f"{{{MEDIA_NS}}}description") == "a fox under the moon"
    assert fox.find("enclosure") is not None
    async with visitor.session.get(a.base + media.get("url", "")[len(a.base):]) as image:
        assert image.status == 200 and image.content_type == "image/jpeg"
    assert items[0].findtext("title") == "Content warning: spiders"


async def _visitor_reads_the_atom_feed(visitor: Browser, a: Instance, p: _Posts) -> None:
    """The same posts as the RSS feed."""
    async with visitor.session.get(a.base + "/@alice.atom") as response:
        assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
        feed = ET.fromstring(await response.read())
    entries = feed.findall(f"{{{ATOM_NS}}}entry")
    assert [e.findtext(f"{{{ATOM_NS}}}id") for e in entries] == [p.warned.uri, p.public.uri]


async def _visitor_asks_for_json_and_odd_addresses(visitor: Browser, a: Instance) -> None:
    # Servers asking for JSON get the actor at the profile's address.
    async with visitor.session.get(a.base + "/@alice", headers={"Accept": AP}) as response:
        assert json.loads(await response.text())["id"] == a.actor("alice")
    # Unknown accounts, remote ones we never met, and feeds of nobody.
    assert (await visitor.get("/@nobody")).status == 404
    assert (await visitor.get("/@someone@elsewhere.test")).status == 404
    assert (await visitor.get("/@nobody.rss")).status == 404
    # Our own domain spelled out is the local profile.
    page = await visitor.get(f"/@alice@{a.domain}")
    assert page.status == 302 and page.location == "/@alice"
    assert (await visitor.get("/@alice?max_id=x")).status == 400


async def _visitor_loads_more(visitor: Browser, a: Instance, p: _Posts,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The grid pages on from the last entry it looked at."""
    monkeypatch.setattr(profile_service, "GRID_PAGE", 2)
    # The anonymous page kept before the page size changed (no event says code changed).
    a.app[DOCUMENTS].clear()
    page = await visitor.get("/@alice")
    assert _tiles(page.text) == [f"/@alice/{p.unlisted.id}", f"/@alice/{p.warned.id}"]
    more = re.search(r'href="(/@alice\?tab=posts&amp;max_id=\d+)" data-load-more', page.text)
    assert more is not None
    page = await visitor.get(more.group(1).replace("&amp;", "&"))
    assert _tiles(page.text) == [f"/@alice/{p.public.id}"] and "data-load-more" not in page.text
    # What static/app.js fetches: only the tiles and the next link, no page around them.
    page = await visitor.get(more.group(1).replace("&amp;", "&") + "&partial=1")
    assert _tiles(page.text) == [f"/@alice/{p.public.id}"] and "<html" not in page.text
    assert (await visitor.get("/@alice/followers")).status == 200


async def _deleted_and_suspended_profiles(a: Instance) -> None:
    """Deleted: 410 for the page and no feed; suspended: 403."""
    await a.add_user("gone")
    await a.add_user("banned")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.username == "gone")
                              .values(deleted_at=utcnow()))
        await session.execute(update(Account).where(Account.username == "banned")
                              .values(suspended_at=utcnow()))
    async with browser(a) as visitor:
        page = await visitor.get("/@gone")
        assert page.status == 410 and "was deleted" in page.text
        assert (await visitor.get("/@gone.rss")).status == 404
        assert (await visitor.get("/@banned")).status == 403


async def test_public_profile_and_feeds(start: StartInstance,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    p = await _alice_writes_a_bio_and_posts_four_ways(a, alice.account_id)
    async with browser(a) as visitor:
        html = await _visitor_sees_the_grid_and_links(visitor, a, p)
        await _visitor_sees_the_meta_and_counts(visitor, a, html, p)
        await _visitor_reads_the_rss_feed(visitor, a, p)
        await _visitor_reads_the_atom_feed(visitor, a, p)
        await _visitor_asks_for_json_and_odd_addresses(visitor, a)
        await _visitor_loads_more(visitor, a, p, monkeypatch)
    await _deleted_and_suspended_profiles(a)


async def _sign_in(page: Any, base: str, login: str, next_path: str = "/") -> None:
    await page.goto(f"{base}/auth/sign_in?next={next_path}")
    await page.get_by_label("Username or e-mail").fill(login)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state()


async def _bob_follows_alice_from_search(page: Any, a: Instance, b: Instance) -> None:
    """Bob, on b, finds alice by her handle and follows her from the search results."""
    await _sign_in(page, b.base, "bob", "/search")
    await page.get_by_label("Search posts, people and hashtags").fill(f"@alice@{a.domain}")
    await page.get_by_role("button", name="Search").click()
    row = page.locator(".account-row", has_text=f"@alice@{a.domain}")
    await row.get_by_role("button", name="Follow").click()
    # Relabelled from the JSON answer: pending until a's Accept comes back.
    await row.get_by_role("button", name="Requested").wait_for()
    await settle([a, b])
    await page.reload()
    assert await row.get_by_role("button", name="Following").is_visible()


async def _alice_posts_public_private_and_warned(
        a: Instance, alice_id: int) -> tuple[posts.StatusView, ...]:
    public = await _post(a, "alice", alice_id, "a red fox", caption="Fox")
    private = await _post(a, "alice", alice_id, "a secret garden",
                          caption="Secret garden", visibility="private")
    warned = await _post(a, "alice", alice_id, "a spider", caption="Legs",
                         spoiler_text="spiders")
    return public, private, warned


async def _bob_sees_her_grid(page: Any, a: Instance, b: Instance, artifacts: Path) -> None:
    """All three posts on alice's profile on b, as a grid; the CW'd one stays covered."""
    await page.goto(f"{b.base}/@alice@{a.domain}")
    assert await page.get_by_role("heading", name="Alice").is_visible()
    tiles = page.locator(".profile-grid .tile")
    assert await tiles.count() == 3
    # Her server's counts were read before bob followed and she posted; what reached b
    # since is a floor under them (her public posts, bob's follow).
    counts = " ".join((await page.locator(".counts").inner_text()).split())
    assert counts == "2 posts 1 follower 0 following"
    cover = page.locator(".tile-cw summary")
    assert await cover.count() == 1 and "spiders" in await cover.inner_text()
    covered_image = page.locator(".tile-cw .tile-link img")
    assert not await covered_image.is_visible()
    await page.wait_for_load_state("networkidle")  # the other thumbnails
    await screenshot(page, artifacts, "profile")
    await cover.click()
    assert await covered_image.is_visible()


async def _visitor_loads_more_in_place(chromium: Any, a: Instance,
                                       shown: list[posts.StatusView],
                                       private: posts.StatusView,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A logged-out visitor on a sees the public posts (`shown`, newest first), never the
    followers-only one; one tile a page here, so "Load more" appends the next in place."""
    monkeypatch.setattr(profile_service, "GRID_PAGE", 1)
    visitor = await chromium.new_page(viewport=DESKTOP)
    await visitor.goto(f"{a.base}/@alice")
    # (static/app.js loads it as soon as the link scrolls near the view)
    await visitor.locator(".profile-grid .tile").nth(1).wait_for()
    await visitor.get_by_role("link", name="Load more").wait_for(state="detached")
    hrefs = await visitor.locator(".profile-grid a.tile-link").evaluate_all(
        "links => links.map(l => l.getAttribute('href'))")
    assert hrefs == [f"/@alice/{post.id}" for post in shown]
    assert visitor.url == f"{a.base}/@alice"  # appended, not navigated
    assert f"/@alice/{private.id}" not in await visitor.content()
    await visitor.close()
    monkeypatch.undo()


async def _bob_reports_alice(page: Any, a: Instance, b: Instance) -> None:
    """From the profile's "…" menu, naming a post."""
    await page.locator(".profile-menu summary").click()
    await page.get_by_role("link", name="Report @alice").click()
    await page.get_by_label("Spam: ads, scams, repetitive or misleading links").check()
    await page.locator(".report-posts input[type=checkbox]").first.check()
    await page.get_by_label("Anything the moderators should know?").fill("Copies my art.")
    await page.get_by_role("button", name="Send report").click()
    await page.get_by_role("heading", name="Thank you").wait_for()
    made = await reports.list_reports(b.services, None, Page())
    assert len(made) == 1 and made[0].target == f"alice@{a.domain}"
    assert made[0].category == "spam" and made[0].comment == "Copies my art."
    assert len(made[0].status_ids) == 1


async def _bob_blocks_alice(page: Any, a: Instance, b: Instance) -> None:
    """From the same menu: the profile hides her posts."""
    await page.goto(f"{b.base}/@alice@{a.domain}")
    page.on("dialog", lambda dialog: dialog.accept())
    await page.locator(".profile-menu summary").click()
    await page.get_by_role("button", name="Block @alice").click()
    await page.get_by_text(f"You blocked @alice@{a.domain}").wait_for()
    assert await page.locator(".profile-grid .tile").count() == 0
    assert await page.get_by_role("button", name="Unblock").first.is_visible()
    await settle([a, b])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_remote_user_finds_follows_reports_and_blocks(
        start: StartInstance, chromium: Any, artifacts: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    await b.add_user("bob")
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(Account).where(Account.id == alice.account_id).values(
            display_name="Alice", note="I paint with prompts."))
    page = await chromium.new_page(viewport=DESKTOP)
    await _bob_follows_alice_from_search(page, a, b)
    public, private, warned = await _alice_posts_public_private_and_warned(a, alice.account_id)
    await settle([a, b])
    await _bob_sees_her_grid(page, a, b, artifacts)
    await _visitor_loads_more_in_place(chromium, a, [warned, public], private, monkeypatch)
    await _bob_reports_alice(page, a, b)
    await _bob_blocks_alice(page, a, b)
