"""Media through the client API: an upload is accepted at once (202, url null), processed by
a job through the same pipeline as a generated image, and polled (206 until done); its alt
text and focus can be set meanwhile; it is labelled as not AI-generated and keeps none of its
metadata. Uploads can be switched off, and bad files are refused with a clear 422."""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

from aiohttp import ClientSession, FormData
from PIL import Image

from tests.api.harness import Api, open_api


def photo(size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A small image with EXIF a camera would write (maker, GPS position)."""
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)  # GPSLatitudeRef, GPSLatitude
    buffer = io.BytesIO()
    image.save(buffer, fmt, exif=exif.tobytes())
    return buffer.getvalue()


def upload_form(data: bytes, *, filename: str = "kite.jpg", content_type: str = "image/jpeg",
                **fields: str) -> FormData:
    form = FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    for name, value in fields.items():
        form.add_field(name, value)
    return form


async def fetch(url: str) -> bytes:
    async with ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200, url
        return await resp.read()


async def test_an_upload_is_processed_by_a_job_and_polled(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    made = await api.post("/api/v2/media", token=token,
                          data=upload_form(photo(), description="a kite", focus="0.5,-0.25"))
    assert made.status == 202, made.body
    media_id = made.body["id"]
    assert made.body["url"] is None and made.body["preview_url"] is None
    assert made.body["type"] == "image" and made.body["description"] == "a kite"
    assert made.body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert made.body["dreamfeed"]["ai_generated"] is False

    processing = await api.get(f"/api/v1/media/{media_id}", token=token)
    assert processing.status == 206 and processing.body["url"] is None
    # The alt text set while it is processed is the attachment's.
    edited = await api.put(f"/api/v1/media/{media_id}", token=token,
                           data={"description": "a red kite"})
    assert edited.status == 200 and edited.body["description"] == "a red kite"
    assert edited.body["url"] is None

    assert await api.run_jobs() >= 1
    done = await api.get(f"/api/v1/media/{media_id}", token=token)
    assert done.status == 200, done.body
    body = done.body
    assert body["id"] == media_id and body["url"] and body["preview_url"]
    assert body["description"] == "a red kite"
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert body["meta"]["original"]["width"] == 64 and body["meta"]["original"]["height"] == 48
    assert body["blurhash"]
    # Not AI-generated, and nothing claimed about how it was made.
    assert body["dreamfeed"]["ai_generated"] is False
    assert body["dreamfeed"]["digital_source_type"] in ("", None)
    served = await fetch(body["url"])
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert b"Camera Maker" not in served and b"DigitalSourceType" not in served
    assert b"DigitalSourceType" not in await fetch(body["preview_url"])

    # Someone else's media does not exist for them.
    other = await api.user("bob", scopes="read write")
    assert (await api.get(f"/api/v1/media/{media_id}", token=other)).status == 404
    assert (await api.put(f"/api/v1/media/{media_id}", token=other,
                          data={"description": "mine"})).status == 404
    assert (await api.delete(f"/api/v1/media/{media_id}", token=other)).status == 404

    # Editing after processing, then deleting it (Mastodon 4.4: unposted media only).
    again = await api.put(f"/api/v1/media/{media_id}", token=token,
                          json={"description": "a kite, high up", "focus": "0,0"})
    assert again.status == 200 and again.body["description"] == "a kite, high up"
    assert again.body["meta"]["focus"] == {"x": 0.0, "y": 0.0}
    gone = await api.delete(f"/api/v1/media/{media_id}", token=token)
    assert gone.status == 200 and gone.body == {}
    assert (await api.get(f"/api/v1/media/{media_id}", token=token)).status == 404
    async with ClientSession() as http, http.get(body["url"]) as resp:
        assert resp.status == 404


async def test_the_v1_upload_answers_when_processed(api: Api) -> None:
    token = await api.user("alice", scopes="write:media")
    made = await api.post("/api/v1/media", token=token,
                          data=upload_form(photo(fmt="PNG"), filename="kite.png",
                                           content_type="image/png"))
    assert made.status == 200, made.body
    assert made.body["url"] and made.body["dreamfeed"]["ai_generated"] is False
    assert (await api.get(f"/api/v1/media/{made.body['id']}", token=token)).status == 200
    # The backstop job finds the work done.
    await api.run_jobs()
    assert (await api.get(f"/api/v1/media/{made.body['id']}", token=token)).status == 200


async def test_bad_files_are_refused_with_a_clear_422(database_url: str,
                                                      tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path,
                        media={"max_pixels": 100 * 100, "max_size": 200_000}) as api:
        token = await api.user("alice", scopes="read write")
        text = await api.post("/api/v2/media", token=token,
                              data=upload_form(b"hello, not an image", filename="a.txt",
                                               content_type="text/plain"))
        assert text.status == 422 and "not an image" in text.body["error"]
        large = await api.post("/api/v2/media", token=token, data=upload_form(photo((101, 100))))
        assert large.status == 422 and "pixels" in large.body["error"]
        heavy = await api.post("/api/v2/media", token=token,
                               data=upload_form(b"\xff" * 200_001))
        assert heavy.status == 422 and "larger than the limit" in heavy.body["error"]
        missing = await api.post("/api/v2/media", token=token, data={"description": "x"})
        assert missing.status == 422 and "file" in missing.body["error"]
        focus = await api.post("/api/v2/media", token=token,
                               data=upload_form(photo(), focus="2,0"))
        assert focus.status == 422 and "focus" in focus.body["error"]
        # Without the scope.
        reader = await api.user("alice", scopes="read")
        assert (await api.post("/api/v2/media", token=reader,
                               data=upload_form(photo()))).status == 403
        assert await api.run_jobs() == 0  # nothing was queued

        # A file whose header reads but whose pixels do not: the job fails it.
        noise = io.BytesIO()
        Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(noise, "PNG")
        damaged = noise.getvalue()[: len(noise.getvalue()) // 2]
        made = await api.post("/api/v2/media", token=token,
                              data=upload_form(damaged, filename="d.png",
                                               content_type="image/png"))
        assert made.status == 202, made.body
        await api.run_jobs()
        failed = await api.get(f"/api/v1/media/{made.body['id']}", token=token)
        assert failed.status == 422 and "cannot be used" in failed.body["error"]
        assert (await api.delete(f"/api/v1/media/{made.body['id']}", token=token)).status == 200


async def test_uploads_can_be_switched_off(database_url: str, tmp_path: Path) -> None:
    async with open_api(database_url, tmp_path, media={"allow_uploads": False}) as api:
        token = await api.user("alice", scopes="read write")
        for path in ("/api/v2/media", "/api/v1/media"):
            refused = await api.post(path, token=token, data=upload_form(photo()))
            assert refused.status == 422
            assert refused.body["error"] == ("uploads are disabled on this instance; "
                                             "generate an image instead")


async def test_mastodon_py_uploads_and_waits_for_the_image(api: Api) -> None:
    token = await api.user("alice", scopes="read write")
    client = api.mastodon(token)
    posting = asyncio.create_task(asyncio.to_thread(
        client.media_post, photo(), mime_type="image/jpeg", description="a kite",
        focus=(0.25, 0.5), synchronous=True))
    # The worker is the test's: run it while Mastodon.py polls GET /api/v1/media/:id.
    while not posting.done():
        await api.run_jobs()
        await asyncio.sleep(0.1)
    media = await posting
    assert media.url and media.description == "a kite"
    assert media.meta.focus.x == 0.25 and media.meta.focus.y == 0.5
    updated = await asyncio.to_thread(client.media_update, media, description="a red kite")
    assert updated.description == "a red kite"
    posted = await asyncio.to_thread(client.status_post, "My kite", media_ids=[media])
    [attached] = posted.media_attachments
    assert attached.id == media.id and attached.description == "a red kite"
    assert attached.dreamfeed.ai_generated is False
    # Nothing generated it: no AI label, no #AIGenerated, no generator named.
    assert "AI-generated" not in posted.content
    assert "aigenerated" not in [tag.name for tag in posted.tags]
    assert posted.dreamfeed.generation is None
