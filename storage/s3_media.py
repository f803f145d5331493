"""Media in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Garage, SeaweedFS...): the
one module that speaks to the S3 API, through aiobotocore (botocore's request signing,
retries and error model on aiohttp, so nothing blocks the event loop).

Every object is written with its Content-Type (from the key's extension), a year-long
immutable Cache-Control (a key never names two contents: see storage.media_files) and its
SHA-256 as user metadata (`x-amz-meta-sha256`), which `dreamfeed media migrate` compares
instead of reading the object back. Files larger than PART_SIZE are sent as a multipart
upload, a part at a time, so none is ever held whole in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from storage.media_files import (
    CHUNK,
    IMMUTABLE,
    MediaFileMissing,
    MediaStoreUnavailable,
    ObjectInfo,
    OpenedFile,
    check_key,
    content_type,
)

if TYPE_CHECKING:
    from aiobotocore.session import ClientCreatorContext
    from types_aiobotocore_s3.client import S3Client

# S3's smallest part (but the last) is 5 MiB; 8 MiB parts keep a 16 MiB image to two.
PART_SIZE = 8 * 1024 * 1024
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Unavailable(MediaStoreUnavailable):
    """The bucket cannot be reached or refused us (credentials, permissions, no bucket)."""


@dataclass(frozen=True)
class S3Settings:
    endpoint: str  # empty: AWS's own endpoint for the region
    region: str
    bucket: str
    access_key: str
    secret_key: str


class _S3File:
    def __init__(self, body: Any, size: int) -> None:
        self._body = body
        self.size = size

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._body.iter_chunks(CHUNK):
                yield chunk
        finally:
            await self.close()

    async def close(self) -> None:
        self._body.close()


class S3MediaStore:
    """The bucket `settings.bucket`; the client is opened on first use (inside the event loop
    that will use it) and closed by close()."""

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self._stack = contextlib.AsyncExitStack()
        self._client: S3Client | None = None
        self._lock = asyncio.Lock()

    async def _s3(self) -> S3Client:
        async with self._lock:
            if self._client is None:
                self._client = await self._stack.enter_async_context(self._create())
            return self._client

    def _create(self) -> ClientCreatorContext[S3Client]:
        s = self.settings
        # Path-style addressing (endpoint/bucket/key) works with every S3 server; virtual
        # hosts need DNS for each bucket, which MinIO, Garage or SeaweedFS rarely have.
        config = AioConfig(s3={"addressing_style": "path"},
                            retries={"max_attempts": 3, "mode": "standard"},
                            connect_timeout=5, read_timeout=60,
                            request_checksum_calculation="when_required",
                            response_checksum_validation="when_required")
        return get_session().create_client(
            "s3", region_name=s.region or "us-east-1", endpoint_url=s.endpoint or None,
            aws_access_key_id=s.access_key or None, aws_secret_access_key=s.secret_key or None,
            config=config)

    def _object(self, key: str, sha256: str) -> dict[str, Any]:
        return {"Bucket": self.settings.bucket, "Key": check_key(key),
                "ContentType": content_type(key), "CacheControl": IMMUTABLE,
                "Metadata": {"sha256": sha256}}

    async def put(self, key: str, data: bytes) -> None:
        s3 = await self._s3()
        with _errors(key):
            await s3.put_object(Body=data, **self._object(key, hashlib.sha256(data).hexdigest()))

    async def put_file(self, key: str, source: OpenedFile, sha256: str) -> None:
        try:
            if source.size <= PART_SIZE:
                data = b"".join([chunk async for chunk in source.chunks()])
                s3 = await self._s3()
                with _errors(key):
                    await s3.put_object(Body=data, **self._object(key, sha256))
            else:
                await self._multipart(key, source, sha256)
        finally:
            await source.close()

    async def _multipart(self, key: str, source: OpenedFile, sha256: str) -> None:
        s3 = await self._s3()
        bucket = self.settings.bucket
        with _errors(key):
            upload = await s3.create_multipart_upload(**self._object(key, sha256))
        upload_id = upload["UploadId"]
        parts: list[dict[str, Any]] = []
        try:
            async for part in _parts(source):
                with _errors(key):
                    sent = await s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id,
                                                PartNumber=len(parts) + 1, Body=part)
                parts.append({"ETag": sent["ETag"], "PartNumber": len(parts) + 1})
            with _errors(key):
                await s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                                   MultipartUpload={"Parts": parts})  # type: ignore[typeddict-item]
        except BaseException:
            # An abandoned upload's parts are billed and kept until aborted.
            with contextlib.suppress(ClientError, BotoCoreError):
                await s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
            raise

    async def read(self, key: str) -> bytes:
        opened = await self.open(key)
        try:
            return b"".join([chunk async for chunk in opened.chunks()])
        finally:
            await opened.close()

    async def open(self, key: str) -> OpenedFile:
        s3 = await self._s3()
        with _errors(key):
            got = await s3.get_object(Bucket=self.settings.bucket, Key=check_key(key))
        return _S3File(got["Body"], got["ContentLength"])

    async def exists(self, key: str) -> bool:
        return await self.info(key) is not None

    async def info(self, key: str) -> ObjectInfo | None:
        s3 = await self._s3()
        try:
            with _errors(key):
                head = await s3.head_object(Bucket=self.settings.bucket, Key=check_key(key))
        except MediaFileMissing:
            return None
        return ObjectInfo(head["ContentLength"], head.get("Metadata", {}).get("sha256"))

    async def list_keys(self) -> AsyncIterator[tuple[str, int]]:
        s3 = await self._s3()
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=self.settings.bucket)
        with _errors(""):
            async for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"], item["Size"]

    async def delete(self, key: str) -> None:
        s3 = await self._s3()
        with _errors(key):
            await s3.delete_object(Bucket=self.settings.bucket, Key=check_key(key))

    async def check(self) -> None:
        s3 = await self._s3()
        try:
            await s3.head_bucket(Bucket=self.settings.bucket)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise S3Unavailable(f"bucket {self.settings.bucket!r}: {code} "
                                f"({'no such bucket' if code in _MISSING else exc})") from None
        except BotoCoreError as exc:
            raise S3Unavailable(f"S3 unreachable: {exc}") from None

    async def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist (a fresh MinIO or SeaweedFS)."""
        s3 = await self._s3()
        with _errors(""):
            try:
                await s3.head_bucket(Bucket=self.settings.bucket)
            except ClientError:
                await s3.create_bucket(Bucket=self.settings.bucket)

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None


async def _parts(source: OpenedFile) -> AsyncIterator[bytes]:
    buffer = bytearray()
    async for chunk in source.chunks():
        buffer += chunk
        while len(buffer) >= PART_SIZE:
            yield bytes(buffer[:PART_SIZE])
            del buffer[:PART_SIZE]
    if buffer:
        yield bytes(buffer)


@contextlib.contextmanager
def _errors(key: str) -> Any:
    """A missing object as MediaFileMissing; anything else the bucket says as S3Unavailable."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if key and code in _MISSING:
            raise MediaFileMissing(key) from None
        raise S3Unavailable(f"S3 {code or 'error'}: {exc}") from None
    except BotoCoreError as exc:
        raise S3Unavailable(f"S3 unreachable: {exc}") from None
