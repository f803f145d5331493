"""Quotes and interaction controls as a person sees them, in Chromium: the Quote action leads
to a quote page, the posted quote shows the quoted post as a card (author, caption, image)
that links to it, a followers-only post's Quote action is disabled with its reason, and the
interaction settings offer who may reply, boost and quote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.services.social import follows
from server.services.statuses import posts
from tests.federation.conftest import StartInstance
from tests.web.conftest import DESKTOP, screenshot, sign_in_page


async def test_a_quote_and_its_card(start: StartInstance, chromium: Any,
                                    artifacts: Path) -> None:
    a = await start("a", host="127.0.0.1")
    alice = await a.add_user("alice")
    bob = await a.add_user("bob")
    original = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=await a.make_images(bob.account_id, "a lighthouse at dusk"),
        caption="The first light"))
    hidden = await posts.create_status(a.services, "bob", posts.NewStatus(
        media_ids=await a.make_images(bob.account_id, "a lamp"), caption="for friends",
        visibility="private"))
    quote = await posts.create_status(a.services, "alice", posts.NewStatus(
        media_ids=await a.make_images(alice.account_id, "a lighthouse, remade in blue"),
        caption="Answering Bob's light", quote_of=str(original.id)))

    context = await chromium.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in_page(page, a.base, "alice")

    # the quote's page: the quoted post as a card, linking to it
    await page.goto(f"{a.base}/@alice/{quote.id}")
    card = page.locator(f"#post-{quote.id} .quote-card").first
    await card.wait_for()
    assert "The first light" in await card.inner_text()
    assert "@bob" in await card.inner_text()
    assert await card.locator("img.quote-card-image").count() == 1
    await screenshot(page, artifacts, "quote-card")
    async with page.expect_navigation():
        await card.locator("a.quote-card-link").click()
    assert page.url.endswith(f"/@bob/{original.id}")

    # bob's public post offers Quote; his followers-only one says why it cannot be quoted
    quote_action = page.locator(f"#post-{original.id} a.action.quote").first
    assert await quote_action.get_attribute("aria-label") == "Quote"
    await follows.follow(a.services, "alice", a.handle("bob"))  # so she sees the other
    await page.goto(f"{a.base}/@bob/{hidden.id}")
    denied = page.locator(f"#post-{hidden.id} .action.quote.disabled").first
    assert await denied.get_attribute("title") == "Only public and unlisted posts can be quoted"

    # the interaction settings: reply, boost and quote, saved
    await page.goto(f"{a.base}/settings/interactions")
    await page.select_option("select#canQuote", "followers")
    async with page.expect_navigation():
        await page.click("#interactions-form button[type=submit]")
    assert "Saved" in await page.inner_text("main")
    assert await page.locator("select#canQuote").input_value() == "followers"
    await screenshot(page, artifacts, "settings-interactions")
    await context.close()
