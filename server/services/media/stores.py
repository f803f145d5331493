"""The media store the configuration names ([media] backend), opened for one process.

With `backend = "s3"` and a disk directory that still holds files, or `backend = "disk"` and
a bucket configured, the other store is read for keys the chosen one lacks: media URLs do not
say where their bytes are, so a switch of backend is a config change, a restart, and
`dreamfeed media migrate` while the instance keeps serving (README, "Object storage").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from server.config import Config
from storage.media_files import (
    FallbackMediaStore,
    LocalMediaStore,
    MediaStore,
    MediaStoreUnavailable,
    OpenedFile,
)
from storage.s3_media import S3MediaStore, S3Settings

# What the entry points handle without importing storage: a file being streamed, a store
# that cannot be reached (answered 503).
__all__ = ["MediaStoreUnavailable", "OpenedFile", "disk_store", "open_media_store",
           "s3_store"]


def disk_store(config: Config) -> LocalMediaStore:
    return LocalMediaStore(config.media.path)


def s3_store(config: Config) -> S3MediaStore:
    media = config.media
    return S3MediaStore(S3Settings(endpoint=media.s3_endpoint, region=media.s3_region,
                                   bucket=media.s3_bucket, access_key=media.s3_access_key,
                                   secret_key=media.s3_secret_key))


def _has_disk_files(config: Config) -> bool:
    root = Path(config.media.path)
    return root.is_dir() and any(root.iterdir())


def build_media_store(config: Config) -> MediaStore:
    """The configured store, reading through to the other one where that one is set up."""
    if config.media.backend == "s3":
        store = s3_store(config)
        return FallbackMediaStore(store, disk_store(config)) if _has_disk_files(config) \
            else store
    disk = disk_store(config)
    return FallbackMediaStore(disk, s3_store(config)) if config.media.s3_bucket else disk


@asynccontextmanager
async def open_media_store(config: Config) -> AsyncIterator[MediaStore]:
    """The configured store for as long as the process runs (its connections closed after)."""
    store = build_media_store(config)
    try:
        yield store
    finally:
        await store.close()
