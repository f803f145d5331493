"""Media in S3-compatible object storage, against a real S3 server (SeaweedFS on loopback):
generated images, remote posts' images and remote avatars land in the bucket with their
Content-Type and immutable Cache-Control, are served (streamed) at their URLs, and are
deleted with their post; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from aiohttp import web

from server import appkeys
from server.app import StartupError, create_app
from server.services.accounts import account_export, profile_settings
from server.services.federation.remote_media import account_media_url, remote_media_url
from server.services.media import migration
from server.services.media.stores import build_media_store, disk_store
from server.services.statuses import posts
from server.services.statuses.media import media_url
from storage import accounts as account_queries
from storage import media as media_queries
from storage.media_files import FallbackMediaStore
from storage.models import MediaAttachment
from storage.s3_media import S3MediaStore
from tests.conftest import make_test_config
from tests.federation.conftest import StartInstance
from tests.federation.fake_remote import FakeRemote
from tests.federation.harness import Instance, free_port
from tests.federation.interactions_helpers import alice_follows, create, media, note, post, send
from tests.federation.test_remote_media import attachment, png
from tests.federation.test_remote_media import get as fetch
from tests.s3server import S3Server, s3_bucket, seaweedfs

__all__ = ["s3_bucket", "seaweedfs"]  # fixtures used by name below

IMMUTABLE = "public, max-age=31536000, immutable"


async def head(server: S3Server, bucket: str, key: str) -> dict[str, Any] | None:
    """The object's headers as the bucket keeps them (read with a client of the test's own,
    not the store under test); None when there is no such object."""
    async with get_session().create_client(
            "s3", endpoint_url=server.endpoint, region_name=server.region,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key) as client:
        try:
            found: dict[str, Any] = dict(await client.head_object(Bucket=bucket, Key=key))
        except client.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return found


async def start_on_s3(start: StartInstance, server: S3Server, bucket: str,
                      name: str = "a") -> Instance:
    instance = await start(name, media=server.media_config(bucket))
    await instance.add_user("alice")
    return instance


async def attachment_rows(a: Instance, ids: list[int]) -> list[MediaAttachment]:
    async with a.app[appkeys.DATABASE].reader() as session:
        rows = [await media_queries.attachment_by_id(session, media_id) for media_id in ids]
    return [row for row in rows if row is not None]


def files_under(root: str) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


async def test_generated_images_live_in_the_bucket_and_go_with_their_post(
        start: StartInstance, seaweedfs: S3Server, s3_bucket: str, masto: FakeRemote) -> None:
    a = await start_on_s3(start, seaweedfs, s3_bucket)
    user = await account_id(a, "alice")
    ids = await a.make_images(user, "a lighthouse at dusk")
    view = await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=ids))
    [row] = await attachment_rows(a, ids)

    keys = {row.original_key: None, row.jpeg_key: "image/jpeg", row.webp_key: "image/webp",
            row.thumb_key: "image/jpeg"}
    for key, content_type in keys.items():
        found = await head(seaweedfs, s3_bucket, key)
        assert found is not None, key
        assert found["CacheControl"] == IMMUTABLE
        assert found["Metadata"]["sha256"]
        if content_type:
            assert found["ContentType"] == content_type
    # Nothing went to the disk directory.
    assert files_under(a.config.media.path) == []

    url = media_url(a.config, row, "image.webp")
    status, headers, body = await fetch(masto, url)
    assert status == 200
    assert headers["Content-Type"] == "image/webp"
    assert headers["Cache-Control"] == IMMUTABLE
    assert int(headers["Content-Length"]) == len(body)
    assert body == await a.services.media.read(row.webp_key)
    assert (await fetch(masto, url, **{"If-None-Match": headers["ETag"]}))[0] == 304

    await posts.delete_status(a.services, "alice", view.id)
    await a.run_jobs()
    for key in (row.jpeg_key, row.webp_key, row.thumb_key):
        assert await head(seaweedfs, s3_bucket, key) is None, key
    assert (await fetch(masto, url))[0] == 404


async def account_id(a: Instance, username: str) -> int:
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.local_account_by_username(session, username)
    assert account is not None
    return account.id


async def test_remote_images_and_avatars_are_cached_in_the_bucket(
        start: StartInstance, seaweedfs: S3Server, s3_bucket: str, masto: FakeRemote) -> None:
    a = await start_on_s3(start, seaweedfs, s3_bucket)
    carol = masto.add_actor("carol")
    carol.avatar = masto.serve_bytes("/avatars/carol.png", png(300, 300), "image/png")
    await alice_follows(a, masto, carol)
    await a.run_jobs()
    doc = note(carol, attachment=[attachment(
        masto.serve_bytes("/system/media/1.png", png(640, 480), "image/png"))])
    assert (await send(masto, carol, a, create(carol, doc))).state == "applied"
    await a.run_jobs()
    status = await post(a, doc["id"])
    assert status is not None
    [row] = await media(a, status.id)
    assert row.cache_state == "cached" and row.cached_key and row.thumb_key

    for key in (row.cached_key, row.thumb_key):
        found = await head(seaweedfs, s3_bucket, key)
        assert found is not None and found["ContentType"] == "image/jpeg"
    status_code, headers, body = await fetch(masto, remote_media_url(a.config, row))
    assert status_code == 200 and headers["Content-Type"] == "image/jpeg"
    assert body == await a.services.media.read(row.cached_key)

    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_uri(session, carol.id)
    assert account is not None and account.avatar_cached_key
    assert await head(seaweedfs, s3_bucket, account.avatar_cached_key) is not None
    status_code, headers, body = await fetch(masto, account_media_url(a.config, account.id,
                                                                  "avatar"))
    assert status_code == 200 and headers["Content-Type"] == "image/jpeg"
    assert body == await a.services.media.read(account.avatar_cached_key)
    assert files_under(a.config.media.path) == []


async def test_an_old_media_url_keeps_working_through_a_switch_to_s3(
        start: StartInstance, seaweedfs: S3Server, s3_bucket: str, masto: FakeRemote) -> None:
    a = await start("a")  # on disk
    await a.add_user("alice")
    user = await account_id(a, "alice")
    ids = await a.make_images(user, "a harbour at noon")
    await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=ids))
    [row] = await attachment_rows(a, ids)
    url = media_url(a.config, row, "image.jpg")
    status, _, published = await fetch(masto, url)
    assert status == 200

    # The switch: [media] backend = "s3" and a restart, before anything is copied: what the
    # bucket lacks is read from the disk directory.
    s3_config = dataclasses.replace(a.config, media=dataclasses.replace(
        a.config.media, **seaweedfs.media_config(s3_bucket)))
    during = build_media_store(s3_config)
    a.services.media = during
    assert isinstance(during, FallbackMediaStore)
    assert (await fetch(masto, url))[2] == published
    [new] = await attachment_rows(a, await a.make_images(user, "a harbour at night"))
    assert await head(seaweedfs, s3_bucket, new.jpeg_key) is not None
    assert not (Path(a.config.media.path) / new.jpeg_key).exists()

    # `dreamfeed media migrate --to s3`, then the disk directory goes and a restart reads the
    # bucket alone: the URL published first still answers the same bytes.
    report = await migration.migrate(disk_store(s3_config), during.primary, _quiet)
    assert report.failed == [] and report.copied == 4  # original, jpeg, webp, thumb
    await during.close()
    shutil.rmtree(a.config.media.path)
    after = build_media_store(s3_config)
    a.services.media = after
    try:
        assert isinstance(after, S3MediaStore)
        status, headers, body = await fetch(masto, url)
        assert (status, body) == (200, published)
        assert headers["Cache-Control"] == IMMUTABLE
        assert (await fetch(masto, media_url(a.config, new, "thumb.jpg")))[0] == 200
    finally:
        await after.close()


def _quiet(report: migration.MigrationReport, key: str) -> None:
    del report, key


async def test_an_unreachable_bucket_stops_the_start_and_answers_503(
        start: StartInstance, seaweedfs: S3Server, s3_bucket: str, masto: FakeRemote,
        database_url: str, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    config = make_test_config(database_url, tmp_path, media=seaweedfs.media_config(s3_bucket)
                              | {"s3_endpoint": nowhere})
    runner = web.AppRunner(create_app(config))
    with pytest.raises(StartupError, match="media: S3 unreachable"):
        await runner.setup()
    await runner.cleanup()

    # A bucket that goes away while the instance runs: its media answer 503, not 500.
    a = await start_on_s3(start, seaweedfs, s3_bucket)
    [row] = await attachment_rows(a, await a.make_images(await account_id(a, "alice"), "fog"))
    url = media_url(a.config, row, "image.jpg")
    working = a.services.media
    a.services.media = build_media_store(dataclasses.replace(a.config, media=dataclasses.replace(
        a.config.media, s3_endpoint=nowhere)))
    try:
        status, headers, _ = await fetch(masto, url)
        assert status == 503 and headers["Retry-After"] and headers["Cache-Control"] == "no-store"
    finally:
        await a.services.media.close()
        a.services.media = working
    assert (await fetch(masto, url))[0] == 200


async def test_local_avatars_and_the_account_archive_use_the_bucket(
        start: StartInstance, seaweedfs: S3Server, s3_bucket: str, masto: FakeRemote,
        tmp_path: Path) -> None:
    a = await start_on_s3(start, seaweedfs, s3_bucket)
    user = await account_id(a, "alice")
    profile = await profile_settings.update_profile(a.services, a.services.media, user,
                                                    avatar=png(500, 500))
    assert profile.avatar_url
    async with a.app[appkeys.DATABASE].reader() as session:
        account = await account_queries.account_by_id(session, user)
    assert account is not None and account.avatar_cached_key
    found = await head(seaweedfs, s3_bucket, account.avatar_cached_key)
    assert found is not None and found["ContentType"] == "image/jpeg"
    status, headers, body = await fetch(masto, profile.avatar_url)
    assert (status, headers["Content-Type"], headers["Cache-Control"]) == (
        200, "image/jpeg", IMMUTABLE)
    assert body == await a.services.media.read(account.avatar_cached_key)

    ids = await a.make_images(user, "a kite over dunes")
    await posts.create_status(a.services, "alice", posts.NewStatus(media_ids=ids))
    [row] = await attachment_rows(a, ids)
    archive = tmp_path / "alice.zip"
    await account_export.write_archive(a.services, a.services.media, "alice", archive)
    with zipfile.ZipFile(archive) as zipped:
        stored = {zipped.read(name) for name in zipped.namelist()}
    assert await a.services.media.read(row.original_key) in stored
    assert files_under(a.config.media.path) == []
