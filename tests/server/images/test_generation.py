"""Generation end to end on both databases: prompt -> job -> stored media served at
/media/{id}/{file}; idempotency keys; the daily quota; clear errors for bad requests."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path
from typing import Any

import blurhash
import pytest
from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server import appkeys
from server.config import Config
from server.jobs.queue import RetryAfter
from server.services.context import Services
from server.services.errors import Conflict, InvalidInput, NotFound
from server.services.generation import generate as service
from server.services.generation.generate import QuotaExceeded
from storage import jobs as job_store
from storage.database import Database
from storage.generations import quota_used
from storage.models import MediaAttachment
from storage.types import utcnow
from tests.conftest import make_test_config
from tests.server.images.conftest import Client, FakeOpenAI, make_user


async def test_prompt_to_stored_media(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    images, config = app[appkeys.SERVICES], app[appkeys.CONFIG]
    account_id = await make_user(app[appkeys.DATABASE], config)
    queued = await service.request_generation(
        images, account_id, "a violet nebula around a planet", size="256x256", seed=11)
    assert (queued.state, queued.media) == ("queued", ())

    assert await app[appkeys.WORKER_POOL].run_until_empty() == 1
    done = await service.get_generation(images, queued.id, account_id=account_id)
    assert (done.state, done.style, done.seed, done.error) == ("done", "nebula", 11, None)
    assert done.finished_at is not None and len(done.media) == 1
    media = done.media[0]
    async with app[appkeys.DATABASE].reader() as session:
        stored = await session.get(MediaAttachment, media.id)
    assert stored is not None and stored.url_secret is not None
    secret = stored.url_secret
    assert len(secret) == 16
    base = f"/media/{media.id}/{secret}"
    assert media.url == f"http://dreamfeed.test{base}/image.jpg"
    assert (media.width, media.height) == (256, 256)
    assert blurhash.is_valid_blurhash(media.blurhash)
    assert (media.generator, media.digital_source_type) == ("dreamfeed-procedural 1",
                                                            "algorithmicMedia")

    resp = await app_client.get(f"{base}/image.jpg")
    assert resp.status == 200 and resp.content_type == "image/jpeg"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    body = await resp.read()
    image = Image.open(io.BytesIO(body))
    assert image.size == (256, 256)
    assert b"digitalsourcetype/algorithmicMedia" in image.info["xmp"]
    assert b"violet nebula" not in body  # the prompt stays private
    etag = resp.headers["ETag"]
    again = await app_client.get(f"{base}/image.jpg", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    for filename, content_type in (("image.webp", "image/webp"), ("thumb.jpg", "image/jpeg")):
        resp = await app_client.get(f"{base}/{filename}")
        assert (resp.status, resp.content_type) == (200, content_type)
        assert resp.headers["ETag"] != etag
    # Without its secret, with another one, or under a guessed id: nothing.
    for path in (f"{base}/original.png", f"/media/{media.id}/image.jpg",
                 f"/media/{media.id}/{'0' * 16}/image.jpg", f"/media/{media.id + 1}/image.jpg",
                 f"/media/{media.id + 1}/{secret}/image.jpg", "/media/abc/image.jpg"):
        assert (await app_client.get(path)).status == 404
    # A file from before secrets (NULL) is served at the URL it was published with only.
    async with app[appkeys.DATABASE].writer.begin() as session:
        await session.execute(update(MediaAttachment).values(url_secret=None))
    assert (await app_client.get(f"/media/{media.id}/image.jpg")).status == 200
    assert (await app_client.get(f"{base}/image.jpg")).status == 404

    async with app[appkeys.DATABASE].reader() as session:
        row = (await session.execute(select(MediaAttachment))).scalar_one()
    original = await images.media.read(row.original_key)
    assert hashlib.sha256(original).hexdigest() == row.sha256
    assert (row.generation_id, row.status_id, row.description) == (queued.id, None, "")
    assert (row.thumb_width, row.thumb_height) == (256, 256)


async def test_remix_of_a_stored_image(app_client: Client) -> None:
    app = app_client.app
    assert app is not None
    images = app[appkeys.SERVICES]
    alice = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG])
    bob = await make_user(app[appkeys.DATABASE], app[appkeys.CONFIG], "bob")
    first = await service.request_generation(images, alice, "a green landscape",
                                             size="128x128")
    await app[appkeys.WORKER_POOL].run_until_empty()
    source_id = (await service.get_generation(images, first.id)).media[0].id
    with pytest.raises(NotFound):
        await service.request_generation(images, bob, "mine now", source_media_id=source_id)
    remix = await service.request_generation(images, alice, "as marble", size="auto",
                                             source_media_id=source_id)
    await app[appkeys.WORKER_POOL].run_until_empty()
    done = await service.get_generation(images, remix.id)
    assert done.state == "done" and (done.media[0].width, done.media[0].height) == (128, 128)


async def test_idempotency_key_costs_one_generation(
        fake_images: tuple[Services, FakeOpenAI], database: Database,
        config: Config) -> None:
    images, _ = fake_images
    alice = await make_user(database, config)
    first = await service.request_generation(images, alice, "a cat", idempotency_key="k1")
    second = await service.request_generation(images, alice, "a cat", idempotency_key="k1")
    assert first.id == second.id
    with pytest.raises(Conflict, match="different request"):
        await service.request_generation(images, alice, "a dog", idempotency_key="k1")
    other = await service.request_generation(images, alice, "a cat", idempotency_key="k2")
    assert other.id != first.id
    async with database.reader() as session:
        jobs = await job_store.list_jobs(session, kind=service.GENERATE)
        assert len(jobs) == 2
        assert await _used(session, alice) == 2


async def _used(session: AsyncSession, account_id: int) -> int:
    return await quota_used(session, account_id, utcnow().date())


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return make_test_config(database_url, tmp_path, generator={"daily_limit": 3})


async def test_daily_quota_counts_refusals_and_gives_back_failures(
        fake_images: tuple[Services, FakeOpenAI], database: Database,
        config: Config) -> None:
    images, fake = fake_images
    alice = await make_user(database, config)

    fake.refuse(400, "moderation_blocked", "Rejected by the safety system.")
    refused = await service.request_generation(images, alice, "something forbidden")
    await service.run_generation(images, refused.id)
    view = await service.get_generation(images, refused.id)
    assert (view.state, view.error_code) == ("failed", "refused")
    assert view.error and "content policy" in view.error

    fake.refuse(503, None, "Overloaded", "server_error")
    flaky = await service.request_generation(images, alice, "a quiet harbour")
    for attempt in (1, 2):
        with pytest.raises(RetryAfter):
            await service.generation_job(images, flaky.id, attempt)
        retrying = await service.get_generation(images, flaky.id)
        assert retrying.state == "queued" and retrying.error and "Retrying" in retrying.error
    await service.generation_job(images, flaky.id, 3)
    assert (await service.get_generation(images, flaky.id)).error_code == "unavailable"

    fake.status, fake.body = 200, {"created": 1, "data": [
        {"b64_json": base64.b64encode(b"these bytes are no picture").decode()}]}
    broken = await service.request_generation(images, alice, "a broken answer")
    await service.run_generation(images, broken.id)
    assert (await service.get_generation(images, broken.id)).error_code == "bad_response"

    async with database.reader() as session:
        assert await _used(session, alice) == 1  # only the refusal counts
    await service.request_generation(images, alice, "two more", n=2)
    with pytest.raises(QuotaExceeded, match="3 of 3 used today"):
        await service.request_generation(images, alice, "one too many")
    bob = await make_user(database, config, "bob")
    await service.request_generation(images, bob, "bob has his own quota", n=3)


BAD_REQUESTS: list[tuple[dict[str, Any], str]] = [
    ({"prompt": ""}, "the prompt is empty"),
    ({"prompt": "   \n"}, "the prompt is empty"),
    ({"prompt": "x" * 4001}, "at most 4000"),
    ({"size": "huge"}, "size must be"),
    ({"size": "10x10"}, "size must be"),
    ({"quality": "ultra"}, "quality must be"),
    ({"n": 5}, "n must be between 1 and 4"),
    ({"seed": -1}, "seed must be"),
    ({"style": "Bad Style"}, "style must be"),
    ({"idempotency_key": ""}, "Idempotency-Key"),
]


async def test_bad_requests_get_clear_errors(
        fake_images: tuple[Services, FakeOpenAI], database: Database,
        config: Config) -> None:
    images, _ = fake_images
    alice = await make_user(database, config)
    for kwargs, message in BAD_REQUESTS:
        args = {"prompt": "a fine prompt", **kwargs}
        with pytest.raises(InvalidInput, match=message):
            await service.request_generation(images, alice, **args)
    async with database.reader() as session:
        assert await _used(session, alice) == 0
