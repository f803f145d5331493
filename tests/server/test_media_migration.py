"""`dreamfeed media migrate` against a real S3 server (SeaweedFS on loopback): every file
copied both ways with its digest, an interrupted run resumed, a second run a no-op, and the
command's output on a pipe. No database: the command copies keys."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiobotocore.session import get_session

from server.cli.media import ProgressPrinter
from server.services.media import migration
from storage.media_files import LocalMediaStore, MediaStore, OpenedFile
from storage.s3_media import PART_SIZE, S3MediaStore
from tests.s3server import S3Server, s3_bucket, seaweedfs

__all__ = ["s3_bucket", "seaweedfs"]  # fixtures used by name below

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")
FILES = {
    "originals/ab/cd/abcd.png": b"\x89PNG original" * 100,
    "renditions/1/0123456789abcdef-image.jpg": b"\xff\xd8 jpeg" * 50,
    "renditions/1/0123456789abcdef-image.webp": b"RIFF webp" * 70,
    "renditions/1/0123456789abcdef-thumb.jpg": b"\xff\xd8 thumb" * 10,
    "remote/7/fedcba9876543210-image.jpg": b"\xff\xd8 remote" * 30,
    "profiles/3/avatar-00112233.jpg": b"\xff\xd8 avatar" * 20,
}


async def put_foreign(server: S3Server, bucket: str, key: str) -> None:
    """An object some other tool put in the bucket, under a key Dreamfeed never makes."""
    async with get_session().create_client(
            "s3", endpoint_url=server.endpoint, region_name=server.region,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key) as client:
        await client.put_object(Bucket=bucket, Key=key, Body=b"hello")


class Interrupted(Exception):
    pass


def fill(root: Path, files: dict[str, bytes]) -> None:
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)


async def contents(store: MediaStore) -> dict[str, bytes]:
    return {key: await store.read(key) async for key, _size in store.list_keys()}


def quiet(report: migration.MigrationReport, key: str) -> None:
    del report, key


async def test_to_s3_resumes_after_an_interruption_and_then_does_nothing(
        tmp_path: Path, seaweedfs: S3Server, s3_bucket: str) -> None:
    disk = LocalMediaStore(tmp_path / "media")
    # More files than copies run at once (CONCURRENCY), so the interruption leaves some.
    files = {**FILES, **{f"renditions/{n}/0123456789abcdef-thumb.jpg": bytes([n]) * (100 + n)
                         for n in range(10, 10 + 4 * migration.CONCURRENCY)}}
    fill(disk.root, files)
    bucket = S3MediaStore(seaweedfs.settings(s3_bucket))
    try:
        def stop_after_two(report: migration.MigrationReport, key: str) -> None:
            if report.done == 2:
                raise Interrupted(key)

        with pytest.raises(Interrupted):
            await migration.migrate(disk, bucket, stop_after_two)
        copied_before = len(await contents(bucket))
        assert 2 <= copied_before < len(files)

        report = await migration.migrate(disk, bucket, quiet)
        assert (report.total, report.skipped, report.copied, report.failed) == (
            len(files), copied_before, len(files) - copied_before, [])
        assert await contents(bucket) == files
        for key, data in files.items():
            info = await bucket.info(key)
            assert info is not None and info.sha256 == hashlib.sha256(data).hexdigest()

        again = await migration.migrate(disk, bucket, quiet)
        assert (again.copied, again.skipped, again.copied_bytes) == (0, len(files), 0)
    finally:
        await bucket.close()


async def test_a_changed_file_is_copied_again_and_back_to_disk(
        tmp_path: Path, seaweedfs: S3Server, s3_bucket: str) -> None:
    bucket = S3MediaStore(seaweedfs.settings(s3_bucket))
    big = os.urandom(PART_SIZE + 1234)  # a multipart upload
    try:
        for key, data in {**FILES, "originals/ee/ff/big.png": big}.items():
            await bucket.put(key, data)
        await put_foreign(seaweedfs, s3_bucket, "Notes/README.TXT")
        disk = LocalMediaStore(tmp_path / "back")
        fill(disk.root, {"profiles/3/avatar-00112233.jpg": b"x" * len(
            FILES["profiles/3/avatar-00112233.jpg"])})  # same size, other bytes
        report = await migration.migrate(bucket, disk, quiet)
        assert (report.copied, report.skipped) == (len(FILES) + 1, 0)
        assert report.ignored == ["Notes/README.TXT"]  # not ours: left where it is
        assert await contents(disk) == {**FILES, "originals/ee/ff/big.png": big}
        assert not [p for p in disk.root.rglob(".tmp-*")]

        # And up again: the multipart copy keeps its digest.
        other = S3MediaStore(seaweedfs.settings(s3_bucket))
        await bucket.delete("originals/ee/ff/big.png")
        report = await migration.migrate(disk, other, quiet)
        assert (report.copied, report.skipped) == (1, len(FILES))
        info = await other.info("originals/ee/ff/big.png")
        assert info is not None and info.sha256 == hashlib.sha256(big).hexdigest()
        await other.close()
    finally:
        await bucket.close()


def test_the_command_prints_progress_and_what_it_did(
        tmp_path: Path, seaweedfs: S3Server, s3_bucket: str) -> None:
    fill(tmp_path / "media", FILES)
    config = tmp_path / "dreamfeed.toml"
    media = seaweedfs.media_config(s3_bucket) | {"backend": "disk",
                                                  "path": str(tmp_path / "media")}
    config.write_text("[instance]\ndomain = \"dreamfeed.test\"\n[media]\n" + "".join(
        f"{key} = \"{value}\"\n" for key, value in media.items()))
    command = [DREAMFEED, "--config", str(config), "media", "migrate"]

    first = subprocess.run([*command, "--to", "s3"], capture_output=True, text=True,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"{len(FILES)}/{len(FILES)} files ({len(FILES)} copied, 0 already there)" \
        in first.stderr  # plain lines: stderr is a pipe, not a terminal
    assert f"{len(FILES)} copied" in first.stdout
    assert 'next: set [media] backend = "s3"' in first.stdout

    second = subprocess.run([*command, "--to", "s3"], capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"0 copied (0 bytes), {len(FILES)} already there" in second.stdout

    back = subprocess.run([*command, "--to", "disk"], capture_output=True, text=True,
                          timeout=120)
    assert back.returncode == 0, back.stderr
    assert f"0 copied (0 bytes), {len(FILES)} already there" in back.stdout


def test_the_command_needs_a_bucket(tmp_path: Path) -> None:
    config = tmp_path / "dreamfeed.toml"
    config.write_text("[instance]\ndomain = \"dreamfeed.test\"\n")
    done = subprocess.run([DREAMFEED, "--config", str(config),
                           "media", "migrate", "--to", "s3"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "media.s3_bucket is not set" in done.stderr


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere() -> None:
    report = migration.MigrationReport(total=4, total_bytes=4096)
    terminal, log = io.StringIO(), io.StringIO()
    bar, lines = ProgressPrinter(terminal, tty=True), ProgressPrinter(log, tty=False)
    for done in range(1, 5):
        report.copied, report.copied_bytes = done, done * 1024
        bar(report, f"k{done}")
        lines(report, f"k{done}")
    assert terminal.getvalue().count("\r") == 4
    assert terminal.getvalue().endswith("\r[" + "#" * 30 + "] 4/4 files, 4.0 KiB copied\n")
    # The first line, then none for LINE_EVERY seconds, then the last.
    assert log.getvalue().splitlines() == [
        "1/4 files (1 copied, 0 already there), last: k1",
        "4/4 files (4 copied, 0 already there), last: k4"]


class DeletedWhileCopied(LocalMediaStore):
    """The running instance deletes `victim` just as the copy has opened it."""

    victim = "renditions/1/0123456789abcdef-image.jpg"

    async def open(self, key: str) -> OpenedFile:
        opened = await super().open(key)
        if key == self.victim:
            await self.delete(key)
        return opened


async def test_a_file_deleted_while_it_is_copied_is_not_left_in_the_target(
        tmp_path: Path, seaweedfs: S3Server, s3_bucket: str) -> None:
    disk = DeletedWhileCopied(tmp_path / "media")
    fill(disk.root, FILES)
    bucket = S3MediaStore(seaweedfs.settings(s3_bucket))
    try:
        report = await migration.migrate(disk, bucket, quiet)
        assert (report.copied, report.vanished) == (len(FILES) - 1, 1)
        assert not await bucket.exists(DeletedWhileCopied.victim)
    finally:
        await bucket.close()
