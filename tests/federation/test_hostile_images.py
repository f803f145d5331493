"""Hostile images over real HTTP (SQLite and PostgreSQL): a 144 KB PNG that decodes to 5760x5760
RGBA (~130 MB a copy, under `[media] max_pixels`) sent by a remote server and uploaded as an
avatar, and visitors asking at once for a remote image not cached yet. Nothing is decoded on a
visitor's request, and the bomb never reaches a decoder: refused by its header against the
lower limits for remote images and profile images."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from server import appkeys
from server.services.federation.remote_media import CACHE_REMOTE, remote_media_url
from storage import jobs as job_store
from storage.models import RemoteMedia
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, settle
from tests.federation.interactions_helpers import alice_follows, create, media, note, post, send
from tests.server.web_helpers import browser

HOSTILE = Path(__file__).parent.parent / "data" / "hostile"
BOMB = (HOSTILE / "png-5760x5760-rgba-decode-bomb.png").read_bytes()
REFUSAL = "5760x5760 = 33,177,600 pixels; the limit is 16,777,216"
VISITORS = 12


@pytest.fixture
async def carol(a: Instance, masto: FakeRemote) -> FakeActor:
    actor = masto.add_actor("carol")
    await alice_follows(a, masto, actor)
    return actor


def png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


async def post_image(a: Instance, masto: FakeRemote, carol: FakeActor, url: str) -> RemoteMedia:
    doc = note(carol, attachment=[{"type": "Document", "mediaType": "image/png", "url": url}])
    assert (await send(masto, carol, a, create(carol, doc))).state == "applied"
    status = await post(a, doc["id"])
    assert status is not None
    [row] = await media(a, status.id)
    return row


async def visitors(masto: FakeRemote, url: str) -> list[tuple[int, str, str, bytes]]:
    """VISITORS anonymous GETs at once: (status, Content-Type, Cache-Control, body)."""
    async def one() -> tuple[int, str, str, bytes]:
        async with masto.session.get(url, allow_redirects=False) as response:
            return (response.status, response.headers.get("Content-Type", ""),
                    response.headers.get("Cache-Control", ""), await response.read())
    return list(await asyncio.gather(*(one() for _ in range(VISITORS))))


async def uncache(a: Instance, row: RemoteMedia) -> None:
    """As the row is between a post's arrival and its caching job."""
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        found = await session.get(RemoteMedia, row.id)
        assert found is not None
        found.cache_state, found.cached_key, found.thumb_key = "pending", None, None


async def cache_jobs(a: Instance) -> list[job_store.JobRecord]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await job_store.list_jobs(session, kind=CACHE_REMOTE)


async def test_remote_decode_bomb_is_refused_by_its_header(
        a: Instance, masto: FakeRemote, carol: FakeActor) -> None:
    url = masto.serve_bytes("/system/media/bomb.png", BOMB, "image/png")
    row = await post_image(a, masto, carol, url)
    assert row.cache_state == "failed" and REFUSAL in (row.cache_error or "")

    answers = await visitors(masto, remote_media_url(a.config, row, "image.jpg"))
    assert {(code, cache) for code, _, cache, _ in answers} == {(404, "no-store")}
    assert all(REFUSAL.encode() in body for *_, body in answers)
    # One fetch on view for all of them (then a cooldown), none of it decoded.
    assert len(masto.fetches_of(url)) == 2
    assert await cache_jobs(a) == []


async def test_visitors_never_make_us_decode_an_uncached_image(
        a: Instance, masto: FakeRemote, carol: FakeActor) -> None:
    source = png(900)
    url = masto.serve_bytes("/system/media/1.png", source, "image/png")
    row = await post_image(a, masto, carol, url)
    await uncache(a, row)
    answers = await visitors(masto, remote_media_url(a.config, row, "image.jpg"))
    # The remote's own bytes, checked by their header only: not our re-encoded JPEG.
    assert {(code, kind, cache) for code, kind, cache, _ in answers} == \
        {(200, "image/png", "no-store")}
    assert all(body == source for *_, body in answers)
    assert len(masto.fetches_of(url)) == 2  # the post's arrival, then one for all visitors
    [job] = await cache_jobs(a)
    assert job.state == "queued"  # the job decodes, under the decode slots

    await settle([a])
    [cached] = await media(a, row.status_id)
    assert cached.cache_state == "cached"
    answers = await visitors(masto, remote_media_url(a.config, cached, "image.jpg"))
    assert {(code, kind) for code, kind, _, _ in answers} == {(200, "image/jpeg")}


async def test_avatar_decode_bomb_is_refused_by_its_header(a: Instance) -> None:
    async with browser(a) as web:
        assert (await web.sign_in("alice", "correct horse")).status == 303
        token = await web.csrf("/settings/profile")

        async def upload(image: bytes) -> tuple[int, str]:
            form = aiohttp.FormData()
            form.add_field("csrf_token", token)
            form.add_field("avatar", image, filename="avatar.png", content_type="image/png")
            async with web.session.post(a.base + "/settings/profile", data=form,
                                        allow_redirects=False) as response:
                return response.status, await response.text()

        results = await asyncio.gather(*(upload(BOMB) for _ in range(8)))
        assert all(code == 422 and REFUSAL in text for code, text in results)
        code, _ = await upload(png(2000))  # a large but reasonable photo still works
        assert code == 303
