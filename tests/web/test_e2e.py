"""The web app end to end, in Chromium, across two instances (the issue's "done when"):

sign up on a -> compose: generate -> post -> the post on the profile and in home; bob on b
follows alice by handle through /search and sees her post in b's home; bob likes, boosts
and replies; alice sees all three (counts on the post page, notifications); a post with a
content warning hides its image until clicked; a visitor who is not signed in sees the
public profile but not a followers-only post. Screenshots (desktop and phone) of the compose
flow, home, post page and profile go to test-artifacts/screenshots/e2e-*.png.

Bob follows before alice posts: like Mastodon, a new follower is not sent older posts.
Jobs (generation, deliveries) do not run by themselves here: the test runs the queues at
the points where a person would wait.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance, settle
from tests.web.conftest import DESKTOP, screenshot

PASSWORD = "a long enough password"
TIMEOUT_MS = 20_000


def _area(size: str) -> int:
    width, _, height = size.partition("x")
    return int(width) * int(height) if width.isdigit() and height.isdigit() else 1 << 30


async def _sign_in(page: Any, instance: Instance, login: str, password: str) -> None:
    await page.goto(instance.base + "/auth/sign_in")
    await page.fill('input[name="login"]', login)
    await page.fill('input[name="password"]', password)
    async with page.expect_navigation():
        await page.press('input[name="password"]', "Enter")


async def _compose(page: Any, instance: Instance, prompt: str, *, caption: str,
                   path: str = "/compose", spoiler: str = "", visibility: str = "public",
                   shots: Path | None = None) -> str:
    """Generate one image from `prompt` on the compose page and post it; returns the new
    post's path (/@user/ID)."""
    await page.goto(instance.base + path)
    await page.fill("#prompt", prompt)
    sizes = await page.eval_on_selector_all('#generate-form input[name="size"]',
                                            "inputs => inputs.map(i => i.value)")
    await page.check(f'#generate-form input[name="size"][value="{min(sizes, key=_area)}"]')
    async with page.expect_navigation(url=re.compile(r"generation=\d+")):
        await page.click('#generate-form button[type="submit"]')
    # The generation is queued: the page shows its progress and polls while it runs.
    await page.wait_for_selector("#gen-status")
    if shots is not None:
        await screenshot(page, shots, "e2e-compose-progress")
    await instance.run_jobs()
    await page.wait_for_selector("#post-form", timeout=TIMEOUT_MS)
    await page.fill("#caption", caption)
    await page.locator(".pick-alt textarea").first.fill("An abstract picture")
    if spoiler:
        await page.fill("#spoiler_text", spoiler)
    await page.check(f'#post-form input[name="visibility"][value="{visibility}"]')
    if shots is not None:
        await screenshot(page, shots, "e2e-compose")
    async with page.expect_navigation(url=re.compile(r"/@[^/]+/\d+$")):
        await page.click('#post-form button[type="submit"]')
    path_only: str = page.url.removeprefix(instance.base)
    return path_only


async def _count(page: Any, card: str, key: str) -> str:
    text: str = await page.inner_text(f'{card} [data-count="{key}"]')
    return text.strip()


def _watch_csp(contexts: tuple[Any, ...]) -> list[str]:
    """Every page runs under the Content-Security-Policy: anything it blocks (an inline
    script or style in a template) is a broken page. Returns the list it fills."""
    blocked: list[str] = []
    for context in contexts:
        context.on("console", lambda message: blocked.append(message.text)
                   if "Content Security Policy" in message.text else None)
    return blocked


async def _sign_up(page: Any, instance: Instance, username: str) -> None:
    await page.goto(instance.base + "/auth/sign_up")
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', PASSWORD)
    await page.fill('input[name="password_confirmation"]', PASSWORD)
    async with page.expect_navigation():
        await page.click('form[action="/auth/sign_up"] button[type="submit"]')
    await page.goto(instance.base + "/auth/sign_in")  # sends whoever is signed in on
    assert "/auth/" not in page.url, "not signed in after sign-up"


async def _follow_by_handle(page: Any, instance: Instance, handle: str,
                            instances: list[Instance]) -> None:
    """Find `handle` through /search and press Follow."""
    await page.goto(instance.base + "/search")
    await page.fill('input[name="q"]', "@" + handle)
    async with page.expect_navigation():
        await page.press('input[name="q"]', "Enter")
    async with page.expect_response(lambda r: r.url.endswith("/web/accounts/follow")) \
            as answer:
        await page.click('form[action="/web/accounts/follow"] button')
    followed = await (await answer.value).json()
    assert followed["ok"] and (followed["following"] or followed["requested"]), followed
    await settle(instances)
    await page.reload()
    assert await page.locator('form[action="/web/accounts/unfollow"]').count() == 1


async def _post_and_find_it_on_profile_and_home(page: Any, instance: Instance,
                                                artifacts: Path) -> tuple[str, str]:
    """Returns the post's path and id."""
    post_path = await _compose(page, instance, "a lighthouse at dusk, watercolour",
                               caption="Lighthouse at dusk #e2e", shots=artifacts)
    post_id = post_path.rsplit("/", 1)[1]
    assert post_path == f"/@alice/{post_id}"
    await page.goto(instance.base + "/@alice")
    assert await page.locator(f'a[href="{post_path}"]').count() > 0, "not on the profile"
    await screenshot(page, artifacts, "e2e-profile")
    await page.goto(instance.base + "/home")
    await page.wait_for_selector(f"#post-{post_id}")
    assert "Lighthouse at dusk" in await page.inner_text(f"#post-{post_id}")
    return post_path, post_id


async def _like_boost_and_reply_from_home(page: Any, instance: Instance,
                                          instances: list[Instance]) -> None:
    await page.goto(instance.base + "/home")
    card = page.locator("article.post-card", has_text="Lighthouse at dusk").first
    await card.wait_for(timeout=TIMEOUT_MS)
    remote_id = await card.get_attribute("data-post")
    assert remote_id, "no post card for alice's post in bob's home"
    mine = f"#post-{remote_id}"
    for verb, key in (("like", "favourites_count"), ("boost", "reblogs_count")):
        async with page.expect_response(lambda r, v=verb: r.url.endswith(f"/{v}")
                                        and r.request.method == "POST") as answer:
            await page.click(f'{mine} form[action$="/{verb}"] button')
        assert (await answer.value).ok, f"{verb} refused"
        await page.wait_for_function(
            "([sel, key]) => document.querySelector(sel + ` [data-count=\"${key}\"]`)"
            ".textContent.trim() === '1'", arg=[mine, key], timeout=TIMEOUT_MS)
    await _compose(page, instance, "a small boat answering the lighthouse",
                   caption="Lovely light!", path=f"/compose?in_reply_to={remote_id}")
    await settle(instances)


async def _see_the_like_boost_and_reply(page: Any, instance: Instance, post_path: str,
                                        post_id: str, artifacts: Path) -> None:
    await page.goto(instance.base + post_path)
    own = f"#post-{post_id}"
    assert await _count(page, own, "favourites_count") == "1"
    assert await _count(page, own, "reblogs_count") == "1"
    assert await _count(page, own, "replies_count") == "1"
    assert "Lovely light!" in await page.inner_text("main"), "reply not in the thread"
    await screenshot(page, artifacts, "e2e-post")
    await page.goto(instance.base + "/notifications")
    for kind in ("favourite", "reblog", "reply"):
        item = page.locator(f"article.notification.type-{kind}")
        assert await item.count() >= 1, f"no {kind} notification"
        assert "bob" in (await item.first.inner_text()).lower()


async def _open_a_content_warning(page: Any, instance: Instance) -> None:
    """A content warning hides the image until clicked."""
    cw_path = await _compose(page, instance, "a very bright sun", caption="Careful, bright",
                             spoiler="bright light")
    await page.goto(instance.base + cw_path)
    warned = page.locator("details.cw").first
    image = warned.locator("img").first
    assert await warned.get_attribute("open") is None
    assert not await image.is_visible(), "the image shows before the warning is clicked"
    await warned.locator("summary").first.click()
    await image.wait_for(state="visible", timeout=TIMEOUT_MS)


async def _post_for_followers_only(page: Any, instance: Instance, artifacts: Path) -> str:
    private_path = await _compose(page, instance, "a secret garden",
                                  caption="Only for friends", visibility="private")
    await page.goto(instance.base + "/home")
    await screenshot(page, artifacts, "e2e-home")
    return private_path


async def _visitor_sees_only_public_posts(visitor: Any, instance: Instance, post_path: str,
                                          private_path: str) -> None:
    response = await visitor.goto(instance.base + "/@alice")
    assert response is not None and response.status == 200
    assert await visitor.locator(f'a[href="{post_path}"]').count() > 0
    assert await visitor.locator(f'a[href="{private_path}"]').count() == 0
    assert "Only for friends" not in await visitor.inner_text("body")
    response = await visitor.goto(instance.base + private_path)
    assert response is not None and response.status in (403, 404)
    assert "Only for friends" not in await visitor.inner_text("body")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sign_up_post_follow_interact_across_two_instances(
        start: StartInstance, chromium: Any, artifacts: Path) -> None:
    a = await start("a", instance={"registrations": "open"})
    b = await start("b")
    await b.add_user("bob")
    contexts = tuple([await chromium.new_context(viewport=DESKTOP) for _ in range(3)])
    alice_ctx, bob_ctx, visitor_ctx = contexts
    blocked = _watch_csp(contexts)
    try:
        alice = await alice_ctx.new_page()
        await _sign_up(alice, a, "alice")
        bob = await bob_ctx.new_page()
        await _sign_in(bob, b, "bob", "correct horse")
        await _follow_by_handle(bob, b, a.handle("alice"), [a, b])
        post_path, post_id = await _post_and_find_it_on_profile_and_home(alice, a, artifacts)
        await settle([a, b])
        await _like_boost_and_reply_from_home(bob, b, [a, b])
        await _see_the_like_boost_and_reply(alice, a, post_path, post_id, artifacts)
        await _open_a_content_warning(alice, a)
        private_path = await _post_for_followers_only(alice, a, artifacts)
        visitor = await visitor_ctx.new_page()
        await _visitor_sees_only_public_posts(visitor, a, post_path, private_path)
        assert blocked == [], blocked
    finally:
        for context in contexts:
            await context.close()
