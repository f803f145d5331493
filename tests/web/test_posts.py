"""The post page and the post actions: OpenGraph tags as Mastodon writes them (no image for
sensitive posts), who may see, like, edit and delete what, and, in Chromium across two
instances, a remote follower's like, boost and reply reaching the author."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server import appkeys
from server.services.social import follows
from server.services.statuses import posts
from storage import statuses as status_queries
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"
AP = "application/activity+json"


def _meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


async def _post(instance: Instance, username: str, account_id: int, prompt: str,
                **kwargs: Any) -> posts.StatusView:
    media = await instance.make_images(account_id, prompt)
    return await posts.create_status(instance.services, username, posts.NewStatus(
        media_ids=media, **kwargs))


async def _json_post(session: aiohttp.ClientSession, url: str, csrf: str) -> tuple[int, Any]:
    return await _json_post_form(session, url, csrf, {})


async def _json_post_form(session: aiohttp.ClientSession, url: str, csrf: str,
                          form: dict[str, str]) -> tuple[int, Any]:
    """As static/app.js submits a form: Accept JSON, the CSRF token in a header."""
    async with session.post(url, data=form, headers={
            "Accept": "application/json", "X-CSRF-Token": csrf}) as response:
        return response.status, await response.json(content_type=None)


@dataclass(frozen=True)
class _Posts:
    public: posts.StatusView
    warned: posts.StatusView
    private: posts.StatusView
    remix: posts.StatusView
    reply: posts.StatusView


async def _alice_and_carol_post(a: Instance, alice_id: int, carol_id: int) -> _Posts:
    # One generation each (images are the slow part), one image per post.
    night, spider, garden = await a.make_images(alice_id, "a night sky", n=3)
    red, dawn = await a.make_images(carol_id, "a night sky in red", n=2)
    async def create(username: str, **fields: Any) -> posts.StatusView:
        return await posts.create_status(a.services, username, posts.NewStatus(**fields))

    public = await create("alice", media_ids=[night], caption="Night sky",
                          alt_texts=["stars over a hill"], publish_prompt=True)
    warned = await create("alice", media_ids=[spider], caption="Look closely",
                          spoiler_text="spiders")
    private = await create("alice", media_ids=[garden], caption="Secret garden",
                           visibility="private")
    remix = await create("carol", media_ids=[red], caption="Red version",
                         remix_of=str(public.id))
    reply = await create("carol", media_ids=[dawn], caption="Dawn answer",
                         in_reply_to=str(public.id))
    return _Posts(public, warned, private, remix, reply)


async def _visitor_reads_meta_thread_and_remixes(visitor: Browser, a: Instance,
                                                 p: _Posts) -> None:
    public = p.public
    page = await visitor.get(f"/@alice/{public.id}")
    assert page.status == 200
    assert f'<link rel="alternate" type="application/activity+json" href="{public.uri}">' \
        in page.text
    assert (_meta(page.text, "og:image") or "").startswith(a.base + "/media/")
    assert _meta(page.text, "og:image:width") and _meta(page.text, "og:image:height")
    assert _meta(page.text, "og:image:alt") == "stars over a hill"
    assert _meta(page.text, "twitter:card") == "summary_large_image"
    assert _meta(page.text, "og:url") == f"{a.base}/@alice/{public.id}"
    assert "Night sky" in (_meta(page.text, "og:description") or "")
    assert "a night sky" in page.text  # the published prompt
    assert "Dawn answer" in page.text.split('class="thread thread-down"')[1]
    answered = await visitor.get(f"/@carol/{p.reply.id}")
    assert "Night sky" in answered.text.split('class="thread thread-up"')[1].split(
        'class="post-focus"')[0]
    # The remix chain goes both ways.
    assert f'href="/@carol/{p.remix.id}"' in page.text.split('class="remixes"')[1]
    remixed = await visitor.get(f"/@carol/{p.remix.id}")
    # ... up: the remixed post as a card in the remix (its "Remix of URL" line gives way).
    parent_card = remixed.text.split('class="quote-card remix-card"')[1].split("</aside>")[0]
    assert f'href="/@alice/{public.id}"' in parent_card and "Remix of" in parent_card
    assert "Remix of <a" not in remixed.text


async def _visitor_meets_a_warning_and_hidden_posts(visitor: Browser, a: Instance,
                                                    p: _Posts) -> None:
    # Mastodon shows no preview of sensitive media and keeps the text behind the CW: the
    # author's avatar instead (alice has none: the default one).
    page = await visitor.get(f"/@alice/{p.warned.id}")
    assert page.status == 200 and _meta(page.text, "og:image") == f"{a.base}/static/avatar.png"
    assert _meta(page.text, "twitter:card") == "summary"
    description = _meta(page.text, "og:description") or ""
    assert "Content warning: spiders" in description and "Look closely" not in description
    # Followers-only: not for a logged-out visitor, nor at a wrong author's address.
    assert (await visitor.get(f"/@alice/{p.private.id}")).status == 404
    assert (await visitor.get(f"/@carol/{p.public.id}")).status == 404
    assert (await visitor.get("/@alice/12345")).status == 404
    async with visitor.session.get(f"{a.base}/@alice/{p.public.id}",
                                   headers={"Accept": AP}) as response:
        assert response.status == 200
        assert json.loads(await response.text())["id"] == p.public.uri


async def _carol_likes_and_boosts_then_takes_back(carol: Browser, a: Instance,
                                                  p: _Posts) -> str:
    """Returns carol's CSRF token."""
    assert (await carol.sign_in("carol", PASSWORD)).status == 303
    csrf = await carol.csrf(f"/@alice/{p.public.id}")
    base = f"{a.base}/web/posts/{p.public.id}"
    assert await _json_post(carol.session, base + "/like", csrf) == (
        200, {"ok": True, "liked": True, "favourites_count": 1})
    assert (await _json_post(carol.session, base + "/like", csrf))[1]["favourites_count"] == 1
    assert await _json_post(carol.session, base + "/boost", csrf) == (
        200, {"ok": True, "boosted": True, "reblogs_count": 1})
    page = await carol.get(f"/@alice/{p.public.id}")
    assert 'aria-pressed="true"' in page.text and "@carol@" in page.text  # liked by
    assert await _json_post(carol.session, base + "/unlike", csrf) == (
        200, {"ok": True, "liked": False, "favourites_count": 0})
    assert await _json_post(carol.session, base + "/unboost", csrf) == (
        200, {"ok": True, "boosted": False, "reblogs_count": 0})
    return csrf


async def _carol_cannot_touch_what_is_not_hers(carol: Browser, a: Instance, p: _Posts,
                                               csrf: str) -> None:
    """Not hers to edit or delete; not visible to her; not there at all."""
    public = p.public
    assert (await carol.get(f"/web/posts/{public.id}/edit")).status == 403
    assert (await carol.post(f"/web/posts/{public.id}/edit", {"caption": "mine"},
                             csrf=csrf)).status == 403
    base = f"{a.base}/web/posts/{public.id}"
    assert (await _json_post(carol.session, base + "/delete", csrf))[0] == 403
    status, answer = await _json_post(
        carol.session, f"{a.base}/web/posts/{p.private.id}/like", csrf)
    assert status == 404 and answer["ok"] is False
    assert (await _json_post(carol.session, f"{a.base}/web/posts/999/boost", csrf))[0] \
        == 404
    # A plain form (no JavaScript) goes back to `next`.
    liked = await carol.post(f"/web/posts/{public.id}/like",
                             {"next": f"/@alice/{public.id}"}, csrf=csrf)
    assert liked.status == 303 and liked.location == f"/@alice/{public.id}"


async def _caption_and_alt(a: Instance, status_id: int) -> tuple[str, str]:
    async with a.app[appkeys.DATABASE].reader() as session:
        row = await status_queries.by_id(session, status_id)
        media = await status_queries.attachments(session, status_id)
    assert row is not None
    return row.caption, media[0].description


async def _alice_edits_caption_and_alt(author: Browser, a: Instance, p: _Posts) -> str:
    """Returns alice's CSRF token."""
    public = p.public
    await author.sign_in("alice", PASSWORD)
    form = await author.get(f"/web/posts/{public.id}/edit")
    assert form.status == 200 and "stars over a hill" in form.text
    csrf = await author.csrf(f"/web/posts/{public.id}/edit")
    too_long = await author.post(f"/web/posts/{public.id}/edit", {
        "caption": "x" * 3000, "spoiler_text": "", "alt": "a"}, csrf=csrf)
    assert too_long.status == 422 and "longer than" in too_long.text
    saved = await author.post(f"/web/posts/{public.id}/edit", {
        "caption": "Night sky over the hill", "spoiler_text": "",
        "alt": "stars above a dark hill", "next": f"/@alice/{public.id}"}, csrf=csrf)
    assert saved.status == 303 and saved.location == f"/@alice/{public.id}"
    assert await _caption_and_alt(a, public.id) == (
        "Night sky over the hill", "stars above a dark hill")
    assert "stars above a dark hill" in (await author.get(f"/@alice/{public.id}")).text
    # A script may send one field alone: the rest stays.
    status, answer = await _json_post_form(author.session, f"{a.base}/web/posts/"
                                           f"{public.id}/edit", csrf, {"alt": "hill, stars"})
    assert status == 200 and answer["ok"] is True
    assert await _caption_and_alt(a, public.id) == ("Night sky over the hill", "hill, stars")
    return csrf


async def _alice_deletes_the_warned_post(author: Browser, p: _Posts, csrf: str) -> None:
    gone = await author.post(f"/web/posts/{p.warned.id}/delete",
                             {"next": f"/@alice/{p.warned.id}"}, csrf=csrf)
    assert gone.status == 303 and gone.location == "/@alice"
    assert (await author.get(f"/@alice/{p.warned.id}")).status == 410


async def test_post_page_meta_visibility_and_actions(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    carol = await a.add_user("carol")
    p = await _alice_and_carol_post(a, alice.account_id, carol.account_id)
    async with browser(a) as visitor:
        await _visitor_reads_meta_thread_and_remixes(visitor, a, p)
        await _visitor_meets_a_warning_and_hidden_posts(visitor, a, p)
    async with browser(a) as carol_browser:
        csrf = await _carol_likes_and_boosts_then_takes_back(carol_browser, a, p)
        await _carol_cannot_touch_what_is_not_hers(carol_browser, a, p, csrf)
    async with browser(a) as author:
        csrf = await _alice_edits_caption_and_alt(author, a, p)
        await _alice_deletes_the_warned_post(author, p, csrf)


async def _local_id(instance: Instance, uri: str) -> int:
    async with instance.app[appkeys.DATABASE].reader() as session:
        row = await status_queries.by_uri(session, uri)
    assert row is not None, f"{uri} is not stored on {instance.name}"
    return row.id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_remote_follower_likes_boosts_and_replies(start: StartInstance, chromium: Any,
                                                         artifacts: Path) -> None:
    a = await start("a")
    b = await start("b")
    alice = await a.add_user("alice")
    bob = await b.add_user("bob")
    await follows.follow(b.services, "bob", a.handle("alice"))
    await settle([a, b])
    view = await _post(a, "alice", alice.account_id, "a moon over the sea",
                       caption="Moonrise #night", alt_texts=["a moon"], publish_prompt=True)
    secret = await _post(a, "alice", alice.account_id, "a locked door", caption="For friends",
                         visibility="private")
    await settle([a, b])
    remote_id = await _local_id(b, view.uri)

    # Bob, on his own server, opens Alice's post there and likes and boosts it.
    context_b = await chromium.new_context(viewport=DESKTOP)
    page = await context_b.new_page()
    await sign_in_page(page, b.base, "bob")
    await page.goto(f"{b.base}/@alice@{a.domain}/{remote_id}")
    assert await page.get_by_role("link", name="Open on the original server") \
        .get_attribute("href") == view.url
    card = page.locator("section.post-focus article.post-card")
    for action in ("like", "boost"):
        async with page.expect_response(lambda r, action=action: r.url.endswith(
                f"/web/posts/{remote_id}/{action}")) as answer:
            await card.locator(f"button.action.{action}").click()
        assert (await (await answer.value).json())["ok"] is True
        await card.locator(f"button.action.{action}[aria-pressed=true]").wait_for()
    # Reply: the button leads to the reply form; an image reply starts on the compose page.
    # Named "Reply 0": the label, then the count it shows.
    await page.get_by_role("link", name=re.compile(r"^Reply \d+$")).first.click()
    await page.wait_for_url(re.compile(rf"/{remote_id}#reply$"))
    await page.get_by_role("link", name="Reply with an image").click()
    await page.wait_for_url(re.compile(rf"/compose\?in_reply_to={remote_id}$"))
    media = await b.make_images(bob.account_id, "a lighthouse answering the moon")
    await posts.create_status(b.services, "bob", posts.NewStatus(
        media_ids=media, caption="Lovely light", in_reply_to=str(remote_id)))
    await settle([a, b])

    # Alice sees the like, the boost and the reply on her post's page and in notifications.
    context_a = await chromium.new_context(viewport=DESKTOP)
    page = await context_a.new_page()
    await sign_in_page(page, a.base, "alice")
    await page.goto(f"{a.base}/@alice/{view.id}")
    focus = page.locator("section.post-focus article.post-card")
    assert (await focus.locator("[data-count=favourites_count]").inner_text()).strip() == "1"
    assert (await focus.locator("[data-count=reblogs_count]").inner_text()).strip() == "1"
    assert "Lovely light" in await page.locator("section.thread-down").inner_text()
    assert f"bob@{b.domain}" in await page.locator(".liked-by").inner_text()
    assert f"bob@{b.domain}" in await page.locator(".boosted-by").inner_text()
    await screenshot(page, artifacts, "post")
    await page.goto(f"{a.base}/notifications")
    notes = await page.locator("main").inner_text()
    assert notes.count(f"bob@{b.domain}") >= 1 and "Lovely light" in notes

    # She corrects the caption and the alt text, then deletes the post.
    await page.goto(f"{a.base}/web/posts/{view.id}/edit")
    await page.get_by_label("Caption").fill("Moonrise over the sea #night")
    await page.get_by_label("Alt text for image 1").fill("a full moon rising over the sea")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Save").click()
    assert page.url.endswith(f"/@alice/{view.id}")
    assert "Moonrise over the sea" in await page.locator("section.post-focus").inner_text()
    assert await page.locator("section.post-focus img[alt='a full moon rising over the sea']") \
        .count() == 1
    page.on("dialog", lambda dialog: dialog.accept())
    await page.locator("section.post-focus details.menu summary").click()
    async with page.expect_navigation():
        await page.locator("section.post-focus form[action$='/delete'] button").click()
    assert page.url.endswith("/@alice")
    response = await page.goto(f"{a.base}/@alice/{view.id}")
    assert response is not None and response.status == 410

    # A logged-out visitor gets 404 for the followers-only post.
    visitor = await chromium.new_page(viewport=DESKTOP)
    response = await visitor.goto(f"{a.base}/@alice/{secret.id}")
    assert response is not None and response.status == 404
    for context in (context_a, context_b):
        await context.close()
