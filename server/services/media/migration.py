"""`dreamfeed media migrate`: copy every stored file from one store into the other.

Idempotent and so resumable: a key the target already holds with the same size and SHA-256
is skipped (the digest is compared where both stores know it: the disk store reads it, the
bucket keeps it in the object's metadata; an object written by something else is compared by
size), and each copy appears whole or not at all (a renamed temporary file; a completed S3
upload), so an interrupted run leaves nothing half-written and the next run picks up where it
stopped. The source is never changed: the operator removes it once the instance runs on the
target (README, "Object storage").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from storage.media_files import (
    MediaFileMissing,
    MediaStore,
    MediaStoreUnavailable,
    is_media_key,
)

# Copies in flight at once: a bucket answers each request in tens of milliseconds.
CONCURRENCY = 8


@dataclass
class MigrationReport:
    total: int = 0
    total_bytes: int = 0
    copied: int = 0
    copied_bytes: int = 0
    skipped: int = 0
    # Deleted from the source while the copy ran (a purged post): nothing to copy.
    vanished: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    # Objects in the bucket that Dreamfeed never names (put there by something else).
    ignored: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.copied + self.skipped + self.vanished + len(self.failed)


Progress = Callable[[MigrationReport, str], None]


async def migrate(source: MediaStore, target: MediaStore, progress: Progress) -> MigrationReport:
    """Copy what `target` lacks; `progress(report, key)` after each key."""
    report = MigrationReport()
    keys = []
    async for key, size in source.list_keys():
        if is_media_key(key):
            keys.append((key, size))
        else:
            report.ignored.append(key)
    report.total = len(keys)
    report.total_bytes = sum(size for _key, size in keys)
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for item in keys:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            key, size = queue.get_nowait()
            await _one(source, target, key, size, report)
            progress(report, key)

    # A task group: an error (or Ctrl-C) in one copy stops the others at once.
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(CONCURRENCY, len(keys))):
                group.create_task(worker())
    except BaseExceptionGroup as errors:
        raise errors.exceptions[0] from None
    return report


async def _one(source: MediaStore, target: MediaStore, key: str, size: int,
               report: MigrationReport) -> None:
    try:
        if await _same(source, target, key, size):
            report.skipped += 1
            return
        info = await source.info(key)
        if info is None:
            report.vanished += 1
            return
        await target.put_file(key, await source.open(key), info.sha256 or "")
        if not await source.exists(key):
            # Deleted by the running instance while it was copied (its deletes reach both
            # stores): the copy must not outlive it.
            await target.delete(key)
            report.vanished += 1
            return
    except MediaFileMissing:
        report.vanished += 1
    except (MediaStoreUnavailable, OSError) as exc:
        report.failed.append((key, str(exc)))
    else:
        report.copied += 1
        report.copied_bytes += info.size


async def _same(source: MediaStore, target: MediaStore, key: str, size: int) -> bool:
    there = await target.info(key)
    if there is None or there.size != size:
        return False
    if there.sha256 is None:
        return True  # an object someone else wrote: its size is all there is to compare
    here = await source.info(key)
    return here is not None and (here.sha256 is None or here.sha256 == there.sha256)
