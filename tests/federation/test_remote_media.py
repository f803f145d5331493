"""Remote media over real HTTP: a fake Mastodon server serves a real PNG, a non-image, a
decompression bomb, an oversized file and a 404; Dreamfeed caches, refuses, re-fetches,
proxies, and serves avatars, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict
from PIL import Image

from server import appkeys
from server.services.federation.remote_media import (
    CACHE_REMOTE,
    account_media_url,
    remote_media_url,
)
from storage import accounts as account_queries
from storage import jobs as job_store
from storage.models import Account, RemoteMedia
from storage.types import utcnow
from tests.conftest import make_test_config
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeActor, FakeRemote
from tests.federation.harness import Instance, free_port, settle
from tests.federation.interactions_helpers import alice_follows, create, media, note, post, send

MAX_SIZE = 200_000


def png(width: int, height: int, colour: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 8):  # some detail, so the blurhash is not flat
        image.putpixel((x, x % height), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def noise_png(side: int) -> bytes:
    """Incompressible: a PNG far larger than MAX_SIZE."""
    data = random.Random(1).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), data).save(buffer, "PNG")
    return buffer.getvalue()


def bomb_png(side: int = 100_000) -> bytes:
    """A tiny file declaring side x side pixels (10 gigapixels): only its header is real."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def attachment(url: str, **fields: Any) -> dict[str, Any]:
    return {"type": "Document", "mediaType": "image/png", "url": url, "name": "alt", **fields}


@pytest.fixture
async def a(start: StartInstance) -> Instance:
    instance = await start("a", media={"max_size": MAX_SIZE})
    await instance.add_user("alice")
    return instance


@pytest.fixture
async def carol(a: Instance, masto: FakeRemote) -> FakeActor:
    actor = masto.add_actor("carol")
    await alice_follows(a, masto, actor)
    return actor


async def post_with(a: Instance, masto: FakeRemote, carol: FakeActor,
                    attachments: list[dict[str, Any]]) -> list[RemoteMedia]:
    doc = note(carol, attachment=attachments)
    row = await send(masto, carol, a, create(carol, doc))
    assert row.state == "applied", row.error
    status = await post(a, doc["id"])
    assert status is not None
    return await media(a, status.id)


def stored(a: Instance, key: str | None) -> Path:
    assert key is not None
    return Path(a.config.media.path) / key


async def get(masto: FakeRemote, url: str,
              **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    """A visitor's GET (no redirects followed, so one would show)."""
    async with masto.session.get(url, headers=headers, allow_redirects=False) as response:
        return response.status, CIMultiDict(response.headers), await response.read()


async def cache_jobs(a: Instance) -> list[job_store.JobRecord]:
    async with a.app[appkeys.DATABASE].reader() as session:
        return await job_store.list_jobs(session, kind=CACHE_REMOTE)


async def test_image_is_cached_and_served_by_us(a: Instance, masto: FakeRemote,
                                                 carol: FakeActor) -> None:
    source = png(900, 600)
    url = masto.serve_bytes("/system/media/1.png", source, "image/png")
    theirs = masto.serve_bytes("/system/media/2.png", png(64, 48), "image/png")
    mine, sent = await post_with(a, masto, carol, [
        attachment(url),  # no blurhash, no dimensions: ours fill in
        attachment(theirs, blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj", width=64, height=48)])

    assert (mine.cache_state, mine.cache_error, mine.cached_type) == ("cached", None,
                                                                     "image/jpeg")
    assert (mine.width, mine.height) == (900, 600)
    assert mine.blurhash and len(mine.blurhash) >= 6
    assert stored(a, mine.cached_key).is_file() and stored(a, mine.thumb_key).is_file()
    assert sent.cache_state == "cached" and sent.blurhash == "LEHV6nWB2yk8pyo0adR*.7kCMdnj"
    assert len(masto.fetches_of(url)) == 1

    status, headers, body = await get(masto, remote_media_url(a.config, mine, "image.jpg"))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body != source and Image.open(io.BytesIO(body)).size == (900, 600)
    status, _, thumb = await get(masto, remote_media_url(a.config, mine, "thumb.jpg"))
    assert status == 200 and Image.open(io.BytesIO(thumb)).size == (400, 267)
    status, _, _ = await get(masto, remote_media_url(a.config, mine, "image.jpg"),
                             **{"If-None-Match": headers["ETag"]})
    assert status == 304
    assert len(masto.fetches_of(url)) == 1  # visitors never caused a fetch
    assert await cache_jobs(a) == []


async def test_deleted_post_takes_its_cached_images_with_it(a: Instance, masto: FakeRemote,
                                                          carol: FakeActor) -> None:
    url = masto.serve_bytes("/system/media/1.png", png(300, 200), "image/png")
    doc = note(carol, attachment=[attachment(url)])
    assert (await send(masto, carol, a, create(carol, doc))).state == "applied"
    status = await post(a, doc["id"])
    assert status is not None
    await settle([a])
    [cached] = await media(a, status.id)
    files = [stored(a, cached.cached_key), stored(a, cached.thumb_key)]
    served = remote_media_url(a.config, cached, "image.jpg")
    assert all(f.is_file() for f in files) and (await get(masto, served))[0] == 200

    delete = carol.activity("Delete", {"id": doc["id"], "type": "Tombstone"})
    assert (await send(masto, carol, a, delete)).state == "applied"
    assert (await get(masto, served))[0] == 404  # at once, before the purge job runs
    await settle([a])
    assert await media(a, status.id) == [] and not any(f.exists() for f in files)
    assert (await get(masto, served))[0] == 404
    assert len(masto.fetches_of(url)) == 1  # never fetched again for a visitor


async def test_refusals_are_recorded_once_without_retries(
        a: Instance, masto: FakeRemote, carol: FakeActor) -> None:
    not_image = masto.serve_bytes("/m/page.png", b"<html>not an image</html>", "image/png")
    bomb = masto.serve_bytes("/m/bomb.png", bomb_png(), "image/png")
    big = masto.serve_bytes("/m/big.png", noise_png(400), "image/png")
    missing = f"{masto.base}/m/gone.png"
    rows = await post_with(a, masto, carol, [attachment(u) for u in (not_image, bomb, big,
                                                                      missing)])

    errors = [(row.cache_state, row.cache_error or "") for row in rows]
    assert [state for state, _ in errors] == ["failed"] * 4
    assert "not an image Dreamfeed can read" in errors[0][1]
    assert "decompression bomb" in errors[1][1]
    assert f"larger than the {MAX_SIZE:,}-byte limit" in errors[2][1]
    assert "answered 404" in errors[3][1]
    await settle([a])
    assert [len(masto.fetches_of(u)) for u in (not_image, bomb, big, missing)] == [1] * 4
    assert await cache_jobs(a) == []  # permanent: nothing queued, nothing dead-lettered

    # A visitor gets a clear 404; the re-fetch on view happens once, then cools down.
    for _ in range(2):
        status, headers, text = await get(masto, remote_media_url(a.config, rows[0],
                                                                  "image.jpg"))
        assert status == 404 and b"not an image" in text
        assert headers["Cache-Control"] == "no-store"
    assert len(masto.fetches_of(not_image)) == 2


async def test_network_errors_retry_later_through_the_queue(
        a: Instance, masto: FakeRemote, carol: FakeActor) -> None:
    unreachable = f"http://nowhere.test:{free_port()}/1.png"
    [row] = await post_with(a, masto, carol, [attachment(unreachable)])
    assert row.cache_state == "failed" and "fetching failed" in (row.cache_error or "")
    [job] = await cache_jobs(a)
    assert job.state == "queued" and job.run_at > utcnow() + timedelta(seconds=30)
    status, headers, _ = await get(masto, remote_media_url(a.config, row, "image.jpg"))
    assert status == 503 and headers["Retry-After"] == "60"


async def test_missing_cached_file_is_fetched_again(a: Instance, masto: FakeRemote,
                                                    carol: FakeActor) -> None:
    source = png(300, 200)
    url = masto.serve_bytes("/m/1.png", source, "image/png")
    [row] = await post_with(a, masto, carol, [attachment(url)])
    stored(a, row.cached_key).unlink()

    # Passed through as it came (checked by its header, never decoded for a visitor), not
    # kept by anyone's cache; the caching job makes our copy.
    status, headers, body = await get(masto, remote_media_url(a.config, row, "image.jpg"))
    assert status == 200 and headers["Content-Type"] == "image/png" and body == source
    assert headers["Cache-Control"] == "no-store"
    assert [job.state for job in await cache_jobs(a)] == ["queued"]
    await settle([a])
    assert len(masto.fetches_of(url)) == 3  # arrival, the visitor's view, the job
    [again] = await media(a, row.status_id)
    assert again.cache_state == "cached" and stored(a, again.cached_key).is_file()
    status, headers, body = await get(masto, remote_media_url(a.config, row, "image.jpg"))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body)).size == (300, 200)


async def test_with_caching_off_the_same_url_proxies(start: StartInstance,
                                                     masto: FakeRemote) -> None:
    a = await start("a", media={"cache_remote": False, "max_size": MAX_SIZE})
    await a.add_user("alice")
    carol = masto.add_actor("carol")
    await alice_follows(a, masto, carol)
    source = png(120, 80)
    url = masto.serve_bytes("/m/1.png", source, "image/png")
    fake = masto.serve_bytes("/m/fake.png", b"GIF89a? no", "image/png")
    row, refused = await post_with(a, masto, carol, [attachment(url), attachment(fake)])
    assert row.cache_state == "proxied" and row.cached_key is None
    assert masto.fetches_of(url) == [] and await cache_jobs(a) == []

    status, headers, body = await get(masto, remote_media_url(a.config, row, "image.jpg"))
    assert status == 200 and body == source and headers["Content-Type"] == "image/png"
    assert "Location" not in headers and len(masto.fetches_of(url)) == 1
    status, _, _ = await get(masto, remote_media_url(a.config, refused, "image.jpg"))
    assert status == 404
    assert not (Path(a.config.media.path) / "remote").exists()


async def test_avatar_and_header_are_cached(a: Instance, masto: FakeRemote) -> None:
    carol = masto.add_actor("carol")
    carol.avatar = masto.serve_bytes("/avatars/carol.png", png(400, 400), "image/png")
    carol.header = masto.serve_bytes("/headers/carol.png", png(1500, 500), "image/png")
    await alice_follows(a, masto, carol)
    await settle([a])
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, carol.id)
    assert isinstance(account, Account)
    assert stored(a, account.avatar_cached_key).is_file()
    assert stored(a, account.header_cached_key).is_file()

    status, headers, body = await get(masto, account_media_url(a.config, account.id, "avatar"))
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert Image.open(io.BytesIO(body)).size == (400, 400)
    status, _, body = await get(masto, account_media_url(a.config, account.id, "header"))
    assert status == 200 and Image.open(io.BytesIO(body)).size == (1500, 500)
    assert len(masto.fetches_of(carol.avatar)) == 1


def test_local_urls_are_ours_and_follow_the_media_base_url(tmp_path: Path) -> None:
    config = make_test_config("sqlite+aiosqlite://", tmp_path)
    assert remote_media_url(config, RemoteMedia(id=7, url_secret="5ec4e7"), "thumb.jpg") == \
        "http://dreamfeed.test/media/remote/7/5ec4e7/thumb.jpg"
    # A row cached before URLs had a secret keeps the URL it was published under.
    assert remote_media_url(config, RemoteMedia(id=7, url_secret=None), "thumb.jpg") == \
        "http://dreamfeed.test/media/remote/7/thumb.jpg"
    cdn = make_test_config("sqlite+aiosqlite://", tmp_path,
                           media={"base_url": "https://cdn.example/m/"})
    assert account_media_url(cdn, 9, "avatar") == "https://cdn.example/m/avatars/9/avatar.jpg"


async def set_secret(a: Instance, row: RemoteMedia, secret: str | None) -> None:
    async with a.app[appkeys.DATABASE].writer.begin() as session:
        found = await session.get(RemoteMedia, row.id)
        assert found is not None
        found.url_secret = secret


def without_secret(url: str) -> str:
    """/media/remote/{id}/{secret}/{file} -> /media/remote/{id}/{file}."""
    head, _secret, file = url.rsplit("/", 2)
    return f"{head}/{file}"


async def test_followers_only_images_need_their_secret_and_stay_private(
        a: Instance, masto: FakeRemote, carol: FakeActor) -> None:
    url = masto.serve_bytes("/m/1.png", png(300, 200), "image/png")
    [public] = await post_with(a, masto, carol, [attachment(url)])
    doc = note(carol, to=[f"{carol.id}/followers"], cc=[], attachment=[attachment(url)])
    assert (await send(masto, carol, a, create(carol, doc))).state == "applied"
    status = await post(a, doc["id"])
    assert status is not None and status.visibility == "private"
    [private] = await media(a, status.id)
    assert private.cache_state == "cached" and private.url_secret

    served = remote_media_url(a.config, private, "image.jpg")
    assert f"/media/remote/{private.id}/{private.url_secret}/image.jpg" in served
    code, headers, _ = await get(masto, served)
    assert code == 200 and headers["Cache-Control"] == "private, max-age=86400"
    code, headers, _ = await get(masto, remote_media_url(a.config, private, "thumb.jpg"))
    assert code == 200 and headers["Cache-Control"].startswith("private")
    # The id alone (counted from time-based ids), a wrong or another row's secret: nothing.
    assert public.url_secret and public.url_secret != private.url_secret
    for guess in (without_secret(served), served.replace(private.url_secret, "0" * 16),
                  served.replace(private.url_secret, public.url_secret)):
        code, headers, _ = await get(masto, guess)
        assert code == 404 and headers["Cache-Control"] == "no-store"
    code, headers, _ = await get(masto, remote_media_url(a.config, public, "image.jpg"))
    assert code == 200 and headers["Cache-Control"] == "public, max-age=31536000, immutable"


async def test_rows_from_before_secrets_keep_their_urls(a: Instance, masto: FakeRemote,
                                                        carol: FakeActor) -> None:
    url = masto.serve_bytes("/m/1.png", png(300, 200), "image/png")
    [row] = await post_with(a, masto, carol, [attachment(url)])
    secret = row.url_secret
    assert secret
    with_secret = remote_media_url(a.config, row, "image.jpg")
    await set_secret(a, row, None)  # as migration 0010 leaves rows cached before it
    [old] = await media(a, row.status_id)
    published = remote_media_url(a.config, old, "image.jpg")
    assert published == without_secret(with_secret)
    assert (await get(masto, published))[0] == 200
    assert (await get(masto, with_secret))[0] == 404  # neither form serves the other
    await set_secret(a, row, secret)
    assert (await get(masto, published))[0] == 404
    assert (await get(masto, with_secret))[0] == 200
