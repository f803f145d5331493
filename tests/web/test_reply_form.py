"""Text replies in the web app: the reply form on a post's page (text, an optional content
warning, who may see it; "Reply with an image" still leads to the compose page), the thread
and the cards showing a reply without images well (no empty image grid, no provenance, no
grid tile unless pinned), refusals that keep what was typed, and, in Chromium, replying with
text alone and reading the reply in the thread."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from server import appkeys
from server.services.statuses import pins, posts
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser
from tests.web.conftest import DESKTOP, screenshot, sign_in_page

PASSWORD = "correct horse"


def _meta(html: str, prop: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


def _card(html: str, status_id: int) -> str:
    """One post card's HTML."""
    return html.split(f'id="post-{status_id}"', 1)[1].split("</article>", 1)[0]


def _replies(html: str) -> str:
    return html.split('class="thread thread-down"', 1)[1]


def _textarea(html: str) -> str:
    found = re.search(r'<textarea id="reply-text"[^>]*>([^<]*)</textarea>', html)
    assert found, "no reply form"
    return html_lib.unescape(found.group(1))


def _key(html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', html)
    assert found, "no idempotency key in the reply form"
    return found.group(1)


async def _reply_ids(a: Instance, parent_id: int) -> list[int]:
    """The live replies stored for a post, oldest first."""
    async with a.app[appkeys.DATABASE].reader() as session:
        result = await session.execute(select(Status.id).where(
            Status.in_reply_to_id == parent_id, Status.deleted_at.is_(None))
            .order_by(Status.id))
        return list(result.scalars().all())


async def _json_post(session: aiohttp.ClientSession, url: str, csrf: str,
                     form: dict[str, str]) -> tuple[int, Any]:
    async with session.post(url, data=form, headers={
            "Accept": "application/json", "X-CSRF-Token": csrf}) as response:
        return response.status, await response.json(content_type=None)


async def _carol_replies_in_text(carol: Browser, a: Instance, parent: posts.StatusView) -> int:
    """A plain form: back to the thread at the new reply. Returns the reply's id."""
    page = await carol.get(f"/@alice/{parent.id}")
    assert page.status == 200
    # The form starts with whom it answers and the parent's audience; the image way stays.
    assert _textarea(page.text) == "@alice "
    assert re.search(r'<option value="public"[^>]*selected', page.text)
    assert f'href="/compose?in_reply_to={parent.id}">Reply with an image</a>' in page.text
    assert re.search(r'href="#reply"[^>]*>.*?<span class="sr-only">Reply </span>',
                     _card(page.text, parent.id), re.S)
    csrf = await carol.csrf(f"/@alice/{parent.id}")
    sent = await carol.post(f"/web/posts/{parent.id}/reply", {
        "caption": "@alice What a sky! #stars", "spoiler_text": "", "visibility": "public",
        "key": _key(page.text)}, csrf=csrf)
    [reply_id] = await _reply_ids(a, parent.id)
    assert sent.status == 303 and sent.location == f"/@alice/{parent.id}#post-{reply_id}"
    # The same form sent again (a double click, a reload) is the same reply.
    again = await carol.post(f"/web/posts/{parent.id}/reply", {
        "caption": "@alice What a sky! #stars", "visibility": "public",
        "key": _key(page.text)}, csrf=csrf)
    assert again.location == sent.location and len(await _reply_ids(a, parent.id)) == 1
    return reply_id


async def _the_thread_shows_it_well(visitor: Browser, a: Instance, parent: posts.StatusView,
                                    reply_id: int) -> None:
    page = await visitor.get(f"/@alice/{parent.id}")
    card = _card(_replies(page.text), reply_id)
    assert "What a sky!" in card and f'href="{a.base}/tags/stars"' in card
    assert 'class="media' not in card and "<img" not in card.split('class="card-body"')[1]
    assert "AI-generated" not in card  # no image, no AI label
    assert 'class="action remix disabled"' in card  # nothing to remix
    assert "No replies yet" not in page.text
    # Signed out: no form, a way to sign in.
    assert 'id="reply-text"' not in page.text
    assert f'href="/auth/sign_in?next=/%40alice/{parent.id}">Reply</a>' in page.text
    # The reply's own page: the thread above, no provenance, the author's face as preview.
    page = await visitor.get(f"/@carol/{reply_id}")
    assert page.status == 200
    assert "Night sky" in page.text.split('class="thread thread-up"')[1].split(
        'class="post-focus"')[0]
    assert "How this image was made" not in page.text
    assert _meta(page.text, "og:image") == f"{a.base}/static/avatar.png"
    assert "What a sky!" in (_meta(page.text, "og:description") or "")
    # Carol's grid has no image posts; her replies tab has the reply, as a card.
    grid = await visitor.get("/@carol")
    assert 'class="tile' not in grid.text and "No image posts yet." in grid.text
    listed = await visitor.get("/@carol?tab=replies")
    assert 'class="media' not in _card(listed.text, reply_id)
    # So does the local timeline.
    local = await visitor.get("/local")
    assert 'class="media' not in _card(local.text, reply_id)


async def _refusals_keep_the_text(carol: Browser, a: Instance, parent: posts.StatusView,
                                  secret: posts.StatusView) -> None:
    csrf = await carol.csrf(f"/@alice/{parent.id}")
    # Nothing written: the page again, with the warning and the visibility kept.
    empty = await carol.post(f"/web/posts/{parent.id}/reply", {
        "caption": "  ", "spoiler_text": "my warning", "visibility": "unlisted"}, csrf=csrf)
    # The service's words, as a sentence (server/handlers/web/common.page_message).
    needs_text = posts.NEEDS_TEXT[:1].upper() + posts.NEEDS_TEXT[1:] + "."
    assert empty.status == 422 and needs_text in empty.text
    assert 'value="my warning"' in empty.text and "<details class=\"reply-cw\" open>" \
        in empty.text
    assert re.search(r'<option value="unlisted"[^>]*selected', empty.text)
    long = await carol.post(f"/web/posts/{parent.id}/reply", {
        "caption": "y" * (posts.MAX_CAPTION + 1), "visibility": "public"}, csrf=csrf)
    assert long.status == 422 and "longer than" in long.text and "y" * 100 in long.text
    # A post she may not see: as if it were not there.
    hidden = await carol.post(f"/web/posts/{secret.id}/reply", {"caption": "hello"},
                              csrf=csrf)
    assert hidden.status == 404
    status, answer = await _json_post(carol.session, f"{a.base}/web/posts/{parent.id}/reply",
                                      csrf, {"caption": "", "visibility": "public"})
    assert status == 422 and answer == {"ok": False, "error": needs_text}
    assert len(await _reply_ids(a, parent.id)) == 1


async def _a_warned_followers_only_reply(carol: Browser, a: Instance,
                                         parent: posts.StatusView) -> int:
    csrf = await carol.csrf(f"/@alice/{parent.id}")
    status, answer = await _json_post(carol.session, f"{a.base}/web/posts/{parent.id}/reply",
                                      csrf, {"caption": "A secret about stars",
                                             "spoiler_text": "spoilers",
                                             "visibility": "private"})
    assert status == 200 and answer["ok"] is True
    reply_id = int(answer["id"])
    assert answer["redirect"] == f"/@alice/{parent.id}#post-{reply_id}"
    page = await carol.get(f"/@alice/{parent.id}")
    card = _card(_replies(page.text), reply_id)
    assert '<details class="cw">' in card and "spoilers" in card
    assert 'title="Followers only"' in card and 'class="media' not in card
    async with browser(a) as visitor:  # followers only: not for a visitor
        assert f'id="post-{reply_id}"' not in (await visitor.get(f"/@alice/{parent.id}")).text
    return reply_id


async def _alice_answers_edits_and_pins_a_text_reply(a: Instance, reply_id: int) -> None:
    """Alice answers carol in text, corrects it, and pins it: her grid shows its words."""
    async with browser(a) as alice:
        assert (await alice.sign_in("alice", PASSWORD)).status == 303
        # Carol's replies reached her notifications, as cards without images.
        notes = await alice.get("/notifications")
        assert notes.status == 200 and "What a sky!" in notes.text
        assert 'class="media' not in _card(notes.text, reply_id)
        page = await alice.get(f"/@carol/{reply_id}")
        assert _textarea(page.text) == "@carol "
        csrf = await alice.csrf(f"/@carol/{reply_id}")
        sent = await alice.post(f"/web/posts/{reply_id}/reply", {
            "caption": "@carol Thank you, truly", "visibility": "public"}, csrf=csrf)
        assert sent.status == 303
        [answer_id] = await _reply_ids(a, reply_id)
        form = await alice.get(f"/web/posts/{answer_id}/edit")
        assert form.status == 200 and "Mark the images as sensitive" not in form.text
        saved = await alice.post(f"/web/posts/{answer_id}/edit", {
            "caption": "@carol Thank you, truly!", "spoiler_text": "",
            "next": f"/@alice/{answer_id}"}, csrf=csrf)
        assert saved.status == 303
        await pins.pin(a.services, "alice", answer_id)
        grid = await alice.get("/@alice")
        tile = grid.text.split('<div class="tile pinned text">', 1)[1].split("</div>", 1)[0]
        assert f'href="/@alice/{answer_id}"' in tile and "Thank you, truly!" in tile
        assert "Pinned" in tile


async def test_text_replies_from_the_post_page(start: StartInstance) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    night, garden = await a.make_images(alice.account_id, "a night sky", n=2)
    parent = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[night], caption="Night sky"))
    secret = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[garden], caption="Secret garden", visibility="private"))
    async with browser(a) as carol:
        assert (await carol.sign_in("carol", PASSWORD)).status == 303
        reply_id = await _carol_replies_in_text(carol, a, parent)
        async with browser(a) as visitor:
            await _the_thread_shows_it_well(visitor, a, parent, reply_id)
        await _refusals_keep_the_text(carol, a, parent, secret)
        await _a_warned_followers_only_reply(carol, a, parent)
    await _alice_answers_edits_and_pins_a_text_reply(a, reply_id)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_text_reply_in_chromium(start: StartInstance, chromium: Any,
                                      artifacts: Path) -> None:
    a = await start("a")
    alice = await a.add_user("alice")
    await a.add_user("carol")
    [media] = await a.make_images(alice.account_id, "a comet over a lake")
    comet = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=[media], caption="Comet tonight"))
    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in_page(page, a.base, "carol")

    # From the local timeline, the card's reply button leads to the post's reply form.
    await page.goto(f"{a.base}/local")
    await page.locator(f"article#post-{comet.id}").get_by_role("link", name="Reply").click()
    await page.wait_for_url(f"{a.base}/@alice/{comet.id}#reply")
    box = page.get_by_role("textbox", name="Your reply")
    assert await box.input_value() == "@alice "
    await box.press("End")
    await box.type("Made a wish on it.")
    await page.locator("details.reply-cw summary").click()
    await page.get_by_label("Content warning").fill("wishes")
    await page.get_by_label("Who can see it").select_option("unlisted")
    async with page.expect_navigation():
        await page.locator("form.reply-form").get_by_role("button", name="Reply").click()

    # Back on the thread, at her reply: behind its warning, text alone.
    assert re.search(rf"/@alice/{comet.id}#post-\d+$", page.url)
    reply_id = page.url.rsplit("#post-", 1)[1]
    reply = page.locator(f"section.thread-down article#post-{reply_id}")
    assert "wishes" in await reply.locator("details.cw summary").inner_text()
    await reply.locator("details.cw summary").click()
    assert "Made a wish on it." in await reply.locator(".content").inner_text()
    assert await reply.locator(".media").count() == 0
    assert await reply.locator("[title=Unlisted]").count() == 1
    focus = page.locator("section.post-focus article.post-card")
    assert (await focus.locator("[data-count=replies_count]").inner_text()).strip() == "1"
    # The form is fresh again.
    assert await page.get_by_role("textbox", name="Your reply").input_value() == "@alice "
    await screenshot(page, artifacts, "text-reply")
    await context.close()
