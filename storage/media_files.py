"""Where media bytes live. `MediaStore` is the interface; `LocalMediaStore` keeps files under a
directory, `storage.s3_media.S3MediaStore` in an S3-compatible bucket, and `FallbackMediaStore`
reads from a second store what the first does not hold yet (while `dreamfeed media migrate`
copies one into the other).

Keys are relative paths chosen by the code, never by users: originals are content-addressed by
their SHA-256 (`originals/ab/cd/<sha256>.<ext>`), renditions are filed under their attachment
with a digest of their bytes in the name, so a key never names two different contents (which
is why an object may be cached for a year, and why a copy with the same size and digest is
the same file).
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

_KEY_RE = re.compile(r"[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*")
CHUNK = 256 * 1024
# What every stored object may be cached for: its key names its content.
IMMUTABLE = "public, max-age=31536000, immutable"
_TMP_PREFIX = ".tmp-"


class MediaFileMissing(Exception):
    """No file is stored under the key."""


class MediaStoreUnavailable(Exception):
    """The store cannot be reached or refused the request (try again later)."""


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    # Hex SHA-256 of the bytes; None where the store cannot tell without reading them all
    # (an object put into a bucket by something else than Dreamfeed).
    sha256: str | None


class OpenedFile(Protocol):
    """A stored file being read: its size, then its bytes a chunk at a time. Close it (or
    read it to the end) so the connection or file handle goes back."""

    size: int

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def close(self) -> None: ...


class MediaStore(Protocol):
    async def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, atomically: readers see the old file or the new one."""

    async def put_file(self, key: str, source: OpenedFile, sha256: str) -> None:
        """Store what `source` holds (its SHA-256 known) without holding it all in memory."""

    async def read(self, key: str) -> bytes:
        """The bytes under `key`; MediaFileMissing when there are none."""

    async def open(self, key: str) -> OpenedFile:
        """The file under `key`, to be read in chunks; MediaFileMissing when there is none."""

    async def exists(self, key: str) -> bool: ...

    async def info(self, key: str) -> ObjectInfo | None:
        """Size and digest of the file under `key`; None when there is none."""

    def list_keys(self) -> AsyncIterator[tuple[str, int]]:
        """Every stored key with its size, in no promised order."""

    async def delete(self, key: str) -> None:
        """Remove the file under `key`, if any."""

    async def check(self) -> None:
        """MediaStoreUnavailable unless the store can be used (checked once at start)."""

    async def close(self) -> None:
        """Let go of connections (the store is not used again)."""


def original_key(sha256: str, extension: str) -> str:
    return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def rendition_key(media_id: int, digest: str, filename: str) -> str:
    return f"renditions/{media_id}/{digest[:16]}-{filename}"


def is_media_key(key: str) -> bool:
    return bool(_KEY_RE.fullmatch(key)) and ".." not in key


def check_key(key: str) -> str:
    if not is_media_key(key):
        raise ValueError(f"not a valid media key: {key!r}")
    return key


def content_type(key: str) -> str:
    """The Content-Type a key's extension stands for (the code picks the extensions)."""
    guessed, _ = mimetypes.guess_type(key, strict=False)
    return guessed or "application/octet-stream"


class _DiskFile:
    def __init__(self, handle: IO[bytes], size: int) -> None:
        self._handle = handle
        self.size = size

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await asyncio.to_thread(self._handle.read, CHUNK):
                yield chunk
        finally:
            await self.close()

    async def close(self) -> None:
        self._handle.close()


class LocalMediaStore:
    """Files on the local disk under `root` (created on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self.path(key), [data])

    async def put_file(self, key: str, source: OpenedFile, sha256: str) -> None:
        path = self.path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        fd, tmp = await asyncio.to_thread(tempfile.mkstemp, dir=path.parent,
                                          prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                async for chunk in source.chunks():
                    await asyncio.to_thread(fh.write, chunk)
                await asyncio.to_thread(_sync, fh)
            await asyncio.to_thread(os.replace, tmp, path)
        except BaseException:
            await asyncio.to_thread(Path(tmp).unlink, missing_ok=True)
            raise
        finally:
            await source.close()

    @staticmethod
    def _write(path: Path, parts: list[bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target and rename over it, so a crash never leaves half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                for part in parts:
                    fh.write(part)
                _sync(fh)
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

    async def open(self, key: str) -> OpenedFile:
        path = self.path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MediaFileMissing(key) from None
        return _DiskFile(handle, os.fstat(handle.fileno()).st_size)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def info(self, key: str) -> ObjectInfo | None:
        return await asyncio.to_thread(self._info, self.path(key))

    @staticmethod
    def _info(path: Path) -> ObjectInfo | None:
        digest = hashlib.sha256()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                size = fh.tell()
        except (FileNotFoundError, IsADirectoryError):
            return None
        return ObjectInfo(size, digest.hexdigest())

    async def list_keys(self) -> AsyncIterator[tuple[str, int]]:
        for key, size in await asyncio.to_thread(self._list):
            yield key, size

    def _list(self) -> list[tuple[str, int]]:
        found = []
        for directory, _dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(_TMP_PREFIX):
                    continue  # a write in progress (or one a crash left behind)
                path = Path(directory) / name
                key = path.relative_to(self.root).as_posix()
                if _KEY_RE.fullmatch(key):
                    found.append((key, path.stat().st_size))
        return sorted(found)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _sync(fh: IO[bytes]) -> None:
    fh.flush()
    os.fsync(fh.fileno())


class FallbackMediaStore:
    """Writes go to `primary`; a key `primary` lacks is read from `fallback` (the store media
    is being moved away from, until `dreamfeed media migrate` has copied everything); deletes
    remove the key from both."""

    def __init__(self, primary: MediaStore, fallback: MediaStore) -> None:
        self.primary = primary
        self.fallback = fallback

    async def put(self, key: str, data: bytes) -> None:
        await self.primary.put(key, data)

    async def put_file(self, key: str, source: OpenedFile, sha256: str) -> None:
        await self.primary.put_file(key, source, sha256)

    async def read(self, key: str) -> bytes:
        try:
            return await self.primary.read(key)
        except MediaFileMissing:
            return await self.fallback.read(key)

    async def open(self, key: str) -> OpenedFile:
        try:
            return await self.primary.open(key)
        except MediaFileMissing:
            return await self.fallback.open(key)

    async def exists(self, key: str) -> bool:
        return await self.primary.exists(key) or await self.fallback.exists(key)

    async def info(self, key: str) -> ObjectInfo | None:
        return await self.primary.info(key) or await self.fallback.info(key)

    async def list_keys(self) -> AsyncIterator[tuple[str, int]]:
        async for item in self.primary.list_keys():
            yield item

    async def delete(self, key: str) -> None:
        await self.primary.delete(key)
        await self.fallback.delete(key)

    async def check(self) -> None:
        await self.primary.check()
        await self.fallback.check()

    async def close(self) -> None:
        await self.primary.close()
        await self.fallback.close()
