"""Create as a studio: styles as radio chips with a sample picture each (static files drawn once
by tools/style_samples.py), sizes as radio inputs with a rectangle of their shape, the prompt
and a placeholder per image in view while generating, variations that differ, and a tray of
drafts (generated images in no post) to post or discard. Plain HTTP on SQLite and PostgreSQL
for the rules; tests/web/test_studio_chromium.py walks it in Chromium."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from generator.engines import ENGINES, make_engine
from server import appkeys
from server.handlers.static_files import load
from server.services.generation import generate
from server.services.reading import drafts as drafts_reading
from storage import media as media_queries
from tests.federation.conftest import StartInstance
from tests.federation.harness import Instance
from tests.server.web_helpers import Browser, browser

PASSWORD = "correct horse"
FAST = {"size": "256x256"}
STATIC = Path(__file__).resolve().parents[2] / "server" / "static"


def test_every_style_has_a_small_static_sample() -> None:
    """The chips' pictures cost nothing at page load: committed files, a few KB each."""
    files = load(STATIC)
    for kind in ENGINES.values():
        for style in kind.styles:
            sample = files.get(f"style-{style}.webp")
            assert sample is not None, f"run tools/style_samples.py: no sample for {style}"
            assert sample.content_type == "image/webp" and len(sample.body) < 8192
            with Image.open(io.BytesIO(sample.body)) as image:
                assert image.size == (96, 96)


async def _generate(b: Browser, pairs: list[tuple[str, str]]) -> str:
    data = [("csrf_token", await b.csrf("/compose")), *pairs]
    async with b.session.post(b.instance.base + "/compose/generate", data=data,
                              allow_redirects=False) as response:
        assert response.status == 303, await response.text()
        return response.headers["Location"]


async def _pixels(a: Instance, media_id: int) -> Image.Image:
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
    assert media is not None
    data = await a.services.media.read(media.original_key)
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel, 0 (the same) to 255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


async def test_chips_sizes_placeholder_and_variations(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    await a.add_user("alice")
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        page = (await b.get("/compose")).text
        # Styles: radio chips, "let the prompt choose" first and checked, a sample each.
        assert re.search(r'<input type="radio" name="style" value="" checked>', page)
        for style in make_engine("procedural").styles:
            chip = re.search(rf'<input type="radio" name="style" value="{style}">\s*'
                             rf'<span class="chip-face"><img src="/static/style-{style}\.webp'
                             r'\?v=\w+" alt="" width="40" height="40">(\w+)</span>', page)
            assert chip and chip.group(1) == style.capitalize(), style
        # Sizes: radios, each with a rectangle of its shape and its name in words.
        assert '<select name="size">' not in page and '<select name="style">' not in page
        sizes = dict(re.findall(r'name="size" value="(\w+)"[^>]*>\s*<span class="chip-face">'
                                r'<svg class="ratio"[^>]*><rect ([^/]*)/>', page))
        assert set(sizes) >= {"256x256", "1024x1024", "1536x1024", "1024x1536"}
        assert re.search(r'name="size" value="256x256" checked', page)
        wide = dict(re.findall(r'(\w+)="([\d.]+)"', sizes["1536x1024"]))
        tall = dict(re.findall(r'(\w+)="([\d.]+)"', sizes["1024x1536"]))
        assert float(wide["width"]) / float(wide["height"]) == pytest.approx(1.5, rel=.01)
        assert float(tall["height"]) / float(tall["width"]) == pytest.approx(1.5, rel=.01)
        assert "Landscape" in page and "Portrait" in page and "Square" in page

        location = await _generate(b, [("prompt", "a lighthouse at dusk"), ("n", "2"),
                                       ("size", "256x256"), ("style", "marble")])
        running = (await b.get(location)).text
        # The prompt stays in view, and each image to come has its placeholder.
        assert re.search(r'<figure class="gen-prompt">.*<p>a lighthouse at dusk</p>', running,
                         re.S)
        assert running.count('class="gen-placeholder" viewBox="0 0 256 256"') == 2
        assert 'aria-label="Image 2 of 2, being generated"' in running
        # The chosen style is kept in the form.
        assert re.search(r'name="style" value="marble" checked', running)

        await a.run_jobs()
        done = (await b.get(location)).text
        assert "gen-placeholder" not in done and "<p>a lighthouse at dusk</p>" in done
        generation_id = int(location.rsplit("=", 1)[1])
        view = await generate.get_generation(a.services, generation_id)
        assert view.state == "done" and view.style == "marble" and len(view.media) == 2
        # Regenerating keeps the style.
        assert '<input type="hidden" name="style" value="marble">' in done
    # Variations differ: not the same bytes, and not near-identical pictures.
    first, second = [await _pixels(a, m.id) for m in view.media]
    assert first.tobytes() != second.tobytes()
    assert _mean_difference(first, second) > 10


async def _draft_ids(b: Browser, path: str = "/compose") -> list[int]:
    page = (await b.get(path)).text
    return [int(found) for found in re.findall(r'<li class="draft" id="draft-(\d+)">', page)]


async def test_drafts_tray_post_and_discard(start: StartInstance) -> None:
    a = await start("a", generator=FAST)
    alice = await a.add_user("alice")
    await a.add_user("mallory")
    older = await a.make_images(alice.account_id, "a quiet pond", n=1)
    newer = await a.make_images(alice.account_id, "a stormy sea", n=2)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        # Newest first; the prompt is the thumbnail's alt text (only its author sees it).
        assert await _draft_ids(b) == [*sorted(newer, reverse=True), *older]
        page = (await b.get("/compose")).text
        assert 'alt="a stormy sea"' in page and 'href="/compose/drafts"' in page
        # A generation's own page leaves its images out of the tray: they are its results.
        post_link = re.search(rf'id="draft-{older[0]}">.*?href="([^"]+)"', page, re.S)
        assert post_link, page
        opens = post_link.group(1).replace("&amp;", "&")
        assert opens == f"/compose?generation={await _generation_of(a, older[0])}" \
            f"&pick={older[0]}"
        assert await _draft_ids(b, opens) == sorted(newer, reverse=True)

        # Post: the compose page with that draft ticked; posted, it leaves the tray.
        pick = newer[1]
        view = await _generation_of(a, pick)
        opened = (await b.get(f"/compose?generation={view}&pick={pick}")).text
        assert re.search(rf'name="media_id" value="{pick}" id="pick-{pick}"\s*checked', opened)
        assert not re.search(rf'name="media_id" value="{newer[0]}" id="pick-{newer[0]}"\s*'
                             r'checked', opened)
        data = [("csrf_token", await b.csrf("/compose")), ("generation", str(view)),
                ("media_id", str(pick)), ("alt_" + str(pick), "Abstract colours"),
                ("caption", "From the tray"),
                ("visibility", "public")]
        async with b.session.post(a.base + "/compose/post", data=data,
                                  allow_redirects=False) as response:
            assert response.status == 303, await response.text()
        assert await _draft_ids(b) == [newer[0], *older]
        # Its generation's page no longer offers the posted image.
        again = (await b.get(f"/compose?generation={view}")).text
        assert f'id="pick-{pick}"' not in again and f'id="pick-{newer[0]}"' in again

        # Discard: the row and its files go.
        async with a.app[appkeys.DATABASE].reader() as session:
            media = await media_queries.attachment_by_id(session, older[0])
        assert media is not None
        gone = await b.post(f"/compose/drafts/{older[0]}/discard", {"next": "/compose"},
                            form_page="/compose")
        assert gone.status == 303 and gone.location == "/compose"
        assert await _draft_ids(b) == [newer[0]]
        async with a.app[appkeys.DATABASE].reader() as session:
            assert await media_queries.attachment_by_id(session, older[0]) is None
        for key in (media.jpeg_key, media.webp_key, media.thumb_key, media.original_key):
            assert not await a.services.media.exists(key), key
        # A posted image is not a draft: discarding it is refused, and it stays.
        refused = await b.post(f"/compose/drafts/{pick}/discard", {}, form_page="/compose")
        assert refused.status == 409
        assert "That image is in a post now: delete the post to remove it." in refused.text

    async with browser(a) as b:
        await b.sign_in("mallory", PASSWORD)
        # Nobody sees or discards another user's drafts.
        assert await _draft_ids(b) == [] and await _draft_ids(b, "/compose/drafts") == []
        assert 'class="drafts-tray"' not in (await b.get("/compose")).text
        theirs = await b.post(f"/compose/drafts/{newer[0]}/discard", {}, form_page="/compose")
        assert theirs.status == 404
    async with a.app[appkeys.DATABASE].reader() as session:
        assert await media_queries.attachment_by_id(session, newer[0]) is not None


async def _generation_of(a: Instance, media_id: int) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        media = await media_queries.attachment_by_id(session, media_id)
    assert media is not None and media.generation_id is not None
    return media.generation_id


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_long_tray_leads_to_the_drafts_page(start: StartInstance,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a = await start("a", generator=FAST)
    alice = await a.add_user("alice")
    made: list[int] = []
    for _ in range(2):
        made += await a.make_images(alice.account_id, "a field of poppies", n=4)
    newest_first = sorted(made, reverse=True)
    monkeypatch.setattr(drafts_reading, "PAGE_SIZE", 5)
    async with browser(a) as b:
        await b.sign_in("alice", PASSWORD)
        tray = (await b.get("/compose")).text
        assert await _draft_ids(b) == newest_first[:drafts_reading.TRAY_SIZE]
        assert '<a href="/compose/drafts">All drafts</a>' in tray
        first = await b.get("/compose/drafts")
        assert first.status == 200 and "<h1 id=\"drafts-title\">Drafts</h1>" in first.text
        assert await _draft_ids(b, "/compose/drafts") == newest_first[:5]
        older = f"/compose/drafts?before={newest_first[4]}"
        assert f'href="{older}">Older drafts</a>' in first.text
        assert await _draft_ids(b, older) == newest_first[5:]
        # Discarding from the Drafts page comes back to the same page.
        back = await b.post(f"/compose/drafts/{newest_first[6]}/discard", {"next": older},
                            form_page=older)
        assert back.status == 303 and back.location == older
        assert await _draft_ids(b, older) == [newest_first[5], newest_first[7]]
