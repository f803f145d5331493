"""Where media bytes live. `MediaStore` is the interface; `LocalMediaStore` keeps files under a
directory (an S3-compatible store can implement the same four methods later).

Keys are relative paths chosen by the code, never by users: originals are content-addressed by
their SHA-256 (`originals/ab/cd/<sha256>.<ext>`), renditions are filed under their attachment
with a digest of their bytes in the name, so a key never names two different contents.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")


class MediaFileMissing(Exception):
    """No file is stored under the key."""


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically: readers see the old file or the new one."""

    async def read(self, key: str) -> bytes:
        """The bytes under `key`; MediaFileMissing when there are none."""

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the file under `key`, if any."""


def original_key(sha256: str, extension: str) -> str:
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def rendition_key(media_id: int, digest: str, filename: str) -> str:
    return f"renditions/{media_id}/{digest[:16]}-{filename}"


def check_key(key: str) -> str:
    if not _KEY_RE.fullmatch(key) or ".." in key:
        raise ValueError(f"not a valid media key: {key!r}")
    return key


class LocalMediaStore:
    """Files on the local disk under `root` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename over it, so a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def read(self, key: str) -> bytes:
        path = self.path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise MediaFileMissing(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)
