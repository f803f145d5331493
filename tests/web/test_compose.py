"""The compose flow: prompt -> generation job -> progress -> pick -> caption, alt text, content
warning, visibility -> post; replies and remixes; refusals said on the page. Plain HTTP for
the rules, one Chromium walk-through for the whole flow with its script."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from server import appkeys
from server.services.generation import prompt_moderation
from server.services.statuses import posts as post_service
from storage import accounts as account_queries
from storage import statuses as status_queries
from storage.models import Status
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, Page, browser
from tests.web.conftest import DESKTOP, screenshot

PASSWORD = "correct horse"  # what Instance.add_user gives
FAST = {"size": "256x256"}  # small images: the procedural generator is quick at this size


async def _form(b: Browser, path: str, pairs: list[tuple[str, str]], *,
                form_page: str = "/compose", json_answer: bool = False) -> Page:
    """POST a form that may repeat a field (media_id), with the CSRF token of `form_page`."""
    data = [("csrf_token", await b.csrf(form_page)), *pairs]
    headers = {"Accept": "application/json"} if json_answer else {}
    async with b.session.post(b.instance.base + path, data=data, headers=headers,
                              allow_redirects=False) as response:
        return Page(response.status, await response.text(), dict(response.headers))


def _generation_id(location: str) -> str:
    found = re.search(r"generation=(\d+)", location)
    assert found, location
    return found.group(1)


async def _status(a: Instance, status_id: int) -> Status:
    async with a.app[appkeys.DATABASE].reader() as session:
        status = await status_queries.by_id(session, status_id)
    assert status is not None
    return status


async def _open_compose_signed_in(b: Browser) -> None:
    assert (await b.get("/compose")).status == 303  # signed out: to the sign-in page
    await b.sign_in("alice", PASSWORD)
    form = await b.get("/compose")
    assert form.status == 200 and 'name="prompt"' in form.text
    assert "50 of 50 images left today" in form.text


async def _generate_two_and_watch_it_wait(b: Browser) -> tuple[str, str]:
    """Returns the generation's page and id. While the job waits, the page says so and
    reloads itself without scripts."""
    started = await _form(b, "/compose/generate", [
        ("prompt", "a lighthouse at dusk"), ("n", "2"), ("size", "256x256"),
        ("quality", "low"), ("style", "")])
    assert started.status == 303, started.text
    generation_id = _generation_id(started.location)
    running = await b.get(started.location)
    assert running.status == 200
    assert 'http-equiv="refresh"' in running.text
    assert "Waiting for the image service" in running.text
    assert 'data-poll="/compose/generations/' + generation_id in running.text
    state = json.loads((await b.get(f"/compose/generations/{generation_id}")).text)
    assert state["state"] == "queued" and state["images"] == []
    return started.location, generation_id


async def _see_the_images_ready(b: Browser, a: Instance, location: str,
                                generation_id: str) -> list[dict[str, Any]]:
    """Returns the generation's images, as its JSON state lists them."""
    await a.run_jobs()
    state = json.loads((await b.get(f"/compose/generations/{generation_id}")).text)
    assert state["state"] == "done", state
    assert len(state["images"]) == 2
    first = state["images"][0]
    assert first["preview_url"].endswith("/thumb.jpg") and first["blurhash"]
    assert first["width"] == 256 and isinstance(first["id"], str)
    results = await b.get(location)
    assert 'http-equiv="refresh"' not in results.text
    assert 'id="post-form"' in results.text and "Regenerate" in results.text
    assert f'name="alt_{first["id"]}"' in results.text
    # Alt text is public: it is never filled in with the (private) prompt.
    assert re.search(r'name="alt_\d+"[^>]*>\s*</textarea>', results.text)
    assert not re.search(r'name="alt_\d+"[^>]*>a lighthouse', results.text)
    images: list[dict[str, Any]] = state["images"]
    return images


async def _pick_both_and_post(b: Browser, location: str, generation_id: str,
                              images: list[dict[str, Any]]) -> int:
    """Returns the new status's id."""
    first, second = images
    posted = await _form(b, "/compose/post", [
        ("generation", generation_id), ("media_id", first["id"]),
        ("media_id", second["id"]), ("alt_" + first["id"], "A white lighthouse"),
        ("alt_" + second["id"], "The same, at night"), ("caption", "Dusk #lighthouse"),
        ("spoiler_text", "bright light"), ("visibility", "unlisted"),
        ("publish_prompt", "1"), ("can_remix", "1")], form_page=location)
    assert posted.status == 303, posted.text
    match = re.fullmatch(r"/@alice/(\d+)", posted.location)
    assert match, posted.location
    return int(match.group(1))


async def _the_post_is_stored_as_picked(a: Instance, status_id: int, account_id: int) -> None:
    status = await _status(a, status_id)
    assert (status.account_id, status.visibility, status.spoiler_text, status.sensitive) == (
        account_id, "unlisted", "bright light", True)
    assert status.caption == "Dusk #lighthouse" and status.prompt == "a lighthouse at dusk"
    assert status.can_remix
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await status_queries.attachments(session, status.id)
    assert [m.description for m in media] == ["A white lighthouse", "The same, at night"]


async def _others_cannot_see_the_generation(b: Browser, generation_id: str) -> None:
    """Someone else's generation is nobody's business."""
    assert (await b.get(f"/compose/generations/{generation_id}")).status == 401
    await b.sign_in("mallory", PASSWORD)
    assert (await b.get(f"/compose/generations/{generation_id}")).status == 404
    page = await b.get(f"/compose?generation={generation_id}")
    assert page.status == 404 and "no such generation" in page.text


async def _a_failed_generation_gives_the_quota_back(b: Browser, a: Instance) -> None:
    """A failure of the image service is said on the page, and the quota comes back."""
    failing = await _form(b, "/compose/generate", [("prompt", "a very long banner"),
                                                   ("size", "4000x64")])
    assert failing.status == 303, failing.text
    await a.run_jobs()
    state = json.loads((await b.get(
        f"/compose/generations/{_generation_id(failing.location)}")).text)
    assert state["state"] == "failed" and state["error"]
    page = await b.get(failing.location)
    assert "The image could not be made" in page.text and 'id="post-form"' not in page.text
    assert "50 of 50 images left today" in page.text


async def test_generate_follow_progress_pick_and_post(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    alice = await a.add_user("alice")
    await a.add_user("mallory")
    async with browser(a) as b:
        await _open_compose_signed_in(b)
        location, generation_id = await _generate_two_and_watch_it_wait(b)
        images = await _see_the_images_ready(b, a, location, generation_id)
        status_id = await _pick_both_and_post(b, location, generation_id, images)
    await _the_post_is_stored_as_picked(a, status_id, alice.account_id)
    async with browser(a) as b:
        await _others_cannot_see_the_generation(b, generation_id)
        await _a_failed_generation_gives_the_quota_back(b, a)


async def test_scripts_get_json_and_refusals_are_clear(start: StartInstance) -> None:
    a = await start("a", generator={**FAST, "daily_limit": 3},
                    moderation={"blocked_terms": ["forbidden"], "openai": False},
                    ratelimits={"generation": "5 per minute"})
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        refused = await _form(b, "/compose/generate", [("prompt", "a forbidden door")])
        assert refused.status == 422
        assert "Your prompt was refused: it contains a blocked term: forbidden" in refused.text
        assert "a forbidden door</textarea>" in refused.text  # what was typed is kept

        as_json = await _form(b, "/compose/generate", [("prompt", "forbidden again")],
                              json_answer=True)
        assert as_json.status == 422
        assert json.loads(as_json.text)["kind"] == "refused"

        ok = await _form(b, "/compose/generate", [("prompt", "a quiet pond"), ("n", "1")],
                         json_answer=True)
        body = json.loads(ok.text)
        assert ok.status == 200 and body["ok"] and body["state"] == "queued"
        assert body["url"] == f"/compose?generation={body['id']}"

        # Two refusals and one image used 3 of 3: the day's images are gone.
        quota = await _form(b, "/compose/generate", [("prompt", "a second pond")])
        assert quota.status == 429
        assert "Daily image limit reached: 3 of 3 used today" in quota.text

        await prompt_moderation.set_generation(a.app[appkeys.DATABASE], "alice",
                                               enabled=False)
        disabled = await _form(b, "/compose/generate", [("prompt", "a fourth pond")])
        assert disabled.status == 403
        assert "Image generation is disabled for your account" in disabled.text
        await prompt_moderation.set_generation(a.app[appkeys.DATABASE], "alice",
                                               enabled=True)

        # Five requests in a minute were allowed; the sixth waits.
        limited = await _form(b, "/compose/generate", [("prompt", "a third pond")],
                              json_answer=True)
        assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
        assert "too many image generations" in json.loads(limited.text)["error"]

        no_pick = await _form(b, "/compose/post", [("generation", body["id"])],
                              json_answer=True)
        assert no_pick.status == 422
        assert "pick at least one image" in json.loads(no_pick.text)["error"]


async def _bobs_post(a: Instance, *, visibility: str = "public",
                     can_remix: bool | None = None) -> int:
    bob = await a.add_user("bob")
    media = await a.make_images(bob.account_id, "a red kite over hills")
    view = await post_service.create_status(a.services, "bob", post_service.NewStatus(
        media_ids=media, caption="Kite season", visibility=visibility, publish_prompt=True,
        can_remix=can_remix))
    return view.id


async def test_reply_and_remix_start_from_the_parent(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    parent_id = await _bobs_post(a)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        reply = await b.get(f"/compose?in_reply_to={parent_id}")
        assert reply.status == 200
        assert "Replying to" in reply.text and "Kite season" in reply.text
        assert f'name="in_reply_to" value="{parent_id}"' in reply.text

        remix = await b.get(f"/compose?remix_of={parent_id}")
        assert remix.status == 200 and "Remixing" in remix.text
        assert "a red kite over hills</textarea>" in remix.text  # the published prompt
        assert 'name="remix_image"' in remix.text  # its image can be the starting point

        started = await _form(b, "/compose/generate", [
            ("prompt", "a blue kite over hills"), ("remix_of", str(parent_id)),
            ("remix_image", "1")], form_page=f"/compose?remix_of={parent_id}")
        assert started.status == 303, started.text
        assert f"remix_of={parent_id}" in started.location
        assert "remix_image=1" in started.location
        await a.run_jobs()
        state = json.loads((await b.get(
            f"/compose/generations/{_generation_id(started.location)}")).text)
        assert state["state"] == "done", state
        posted = await _form(b, "/compose/post", [
            ("generation", state["id"]), ("media_id", state["images"][0]["id"]),
            ("remix_of", str(parent_id)), ("in_reply_to", str(parent_id)),
            ("visibility", "public")], form_page=started.location, json_answer=True)
        body = json.loads(posted.text)
        assert posted.status == 200 and body["ok"], body
        assert re.fullmatch(r"/@alice/\d+", body["path"])
    status = await _status(a, int(body["id"]))
    assert status.remix_of_id == parent_id and status.in_reply_to_id == parent_id


async def test_remix_refused_and_hidden_posts_not_shown(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    closed = await _bobs_post(a, can_remix=False)
    media = await a.make_images(await _account_id(a, "bob"), "a secret garden")
    secret = (await post_service.create_status(a.services, "bob", post_service.NewStatus(
        media_ids=media, visibility="private"))).id
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        refused = await b.get(f"/compose?remix_of={closed}")
        assert refused.status == 409
        assert "does not allow remixes" in refused.text
        assert 'name="remix_of"' not in refused.text
        hidden = await b.get(f"/compose?in_reply_to={secret}")
        assert hidden.status == 404
        assert "secret garden" not in hidden.text and 'name="in_reply_to"' not in hidden.text


async def _account_id(a: Instance, username: str) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, username)
    assert account is not None
    return account.id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_compose_in_chromium(start: StartInstance, chromium: Any,
                                   artifacts: Path) -> None:
    a = await start("a", generator=FAST, jobs={"workers": 1, "poll_interval": 0.2},
                    moderation={"blocked_terms": ["forbidden"], "openai": False})
    await a.add_user("alice")
    page = await chromium.new_page(viewport=DESKTOP)
    await page.goto(a.base + "/auth/sign_in?next=/compose")
    await page.fill("input[name=login]", "alice")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(a.base + "/compose")
    await screenshot(page, artifacts, "compose-form")

    # A refused prompt: the message shows in place, the prompt stays.
    await page.fill("#prompt", "a forbidden tower")
    await page.click("#generate-form button[type=submit]")
    alert = page.locator("#compose-errors .error")
    await alert.wait_for()
    assert "contains a blocked term: forbidden" in await alert.inner_text()
    assert await page.input_value("#prompt") == "a forbidden tower"

    await page.fill("#prompt", "a lighthouse at dusk, watercolour")
    await page.select_option("select[name=n]", "2")
    await page.click("#generate-form button[type=submit]")
    # The progress indicator, driven by the job's state, until the results replace it.
    await page.locator("#gen-status").wait_for()
    assert await page.locator("#gen-status").get_attribute("data-state") in (
        "queued", "running", "done")
    await page.locator("#post-form").wait_for(timeout=30_000)
    assert await page.locator("#gen-status").get_attribute("data-state") == "done"
    picks = page.locator(".pick-image")
    assert await picks.count() == 2
    await screenshot(page, artifacts, "compose")

    await picks.nth(1).click()  # the first is picked already: take both
    alts = page.locator(".pick-alt textarea")
    await alts.nth(0).fill("A white lighthouse glowing at dusk")
    await page.fill("#caption", "First light #lighthouse")
    await page.fill("#spoiler_text", "flashing light")
    await page.click("#post-form button[type=submit]")
    # The second image has no alt text: a reminder, once, before it is posted without.
    await page.get_by_role("button", name="Post without alt text").click()
    await page.wait_for_url(re.compile(r"/@alice/\d+$"))
    status_id = int(page.url.rsplit("/", 1)[1])
    status = await _status(a, status_id)
    assert status.caption == "First light #lighthouse"
    assert status.spoiler_text == "flashing light" and status.visibility == "public"
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await status_queries.attachments(session, status_id)
    assert len(media) == 2
    assert media[0].description == "A white lighthouse glowing at dusk"
    assert media[1].description == ""  # nothing written, nothing taken from the prompt
    await page.close()
