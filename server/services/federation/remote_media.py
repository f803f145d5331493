"""Remote media, cached: images of remote posts, and remote accounts' avatars and headers.

With `[media] cache_remote = true` (the default) each file is fetched once by a job (through
the safe HTTP client: address filter, `[media] max_size`), decoded by the pipeline (non-images
and decompression bombs refused), re-encoded as our JPEG plus a thumbnail, and served from
this server, so visitors' browsers never contact other servers. Our blurhash and dimensions
fill in what the remote did not send.

Failures: a non-image, a file over the limit, a bomb or a 4xx answer is permanent (the row is
`failed` with the reason in `cache_error`; no retries). A network error, timeout, 408, 429 or
5xx is retried by the queue, slowly (RetryAfter: 1 min doubling to 6 h) until the retry window
closes. Serving a missing or failed copy re-fetches once, see `RemoteMediaServer`.

With `cache_remote = false` nothing is stored: rows are `proxied`, and the same URLs fetch
the remote file on every request (checked by its header, never a redirect).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.http import FetchError, ResponseTooLargeError
from server.config import Config
from server.images.pipeline import Limits, MediaError, RemoteImage, identify, process_remote
from server.jobs.queue import RetryAfter, enqueue
from server.services.context import Services
from server.services.media import credentials
from server.services.moderation.domain_policy import domain_candidates
from server.services.statuses.media import _secret_matches
from server.urls import Urls, media_path
from storage import domain_blocks as domain_queries
from storage import remote_media as queries
from storage.media_files import MediaFileMissing, OpenedFile
from storage.models import Account, RemoteMedia
from storage.types import utcnow

log = logging.getLogger(__name__)

CACHE_REMOTE = "media.cache_remote"
IMAGE_FILE, THUMB_FILE = "image.jpg", "thumb.jpg"
ACCOUNT_FILES = {"avatar.jpg": "avatar", "header.jpg": "header"}
JPEG = "image/jpeg"
RETRY_BASE, RETRY_MAX = 60.0, 6 * 3600.0
_TEMPORARY_STATUSES = frozenset({408, 425, 429})


def _media_base(config: Config) -> str:
    if config.media.base_url:
        return config.media.base_url.rstrip("/")
    return Urls(config.base_url).base + "/media"


def remote_media_url(config: Config, media: RemoteMedia, file: str = IMAGE_FILE) -> str:
    """Where we serve a remote attachment (image.jpg or thumb.jpg); never the remote URL.
    With the row's random secret, as our own media's (server.services.statuses.media): ids are
    time-based, and a followers-only post's images must not be found by counting. Rows from
    before secrets (url_secret NULL) keep their published /media/remote/{id}/{file}."""
    return f"{_media_base(config)}/remote/{media_path(media.id, media.url_secret, file)}"


def account_media_url(config: Config, account_id: int, role: str) -> str:
    """Where we serve a remote account's avatar or header (role "avatar" or "header")."""
    return f"{_media_base(config)}/avatars/{account_id}/{role}.jpg"


# --- scheduling, inside the caller's transaction ----------------------------------------


async def rejects_media(session: AsyncSession, domain: str | None) -> bool:
    """A domain block with reject_media (or suspend): nothing of that server is cached,
    proxied or served, as Mastodon's reject_media."""
    return domain is not None and await domain_queries.rejects_media(
        session, domain_candidates(domain))


async def schedule_status_media(session: AsyncSession, config: Config, status_id: int) -> None:
    """A caching job per attachment of a remote post not cached yet (proxied when off)."""
    if await rejects_media(session, await domain_queries.status_domain(session, status_id)):
        return
    rows = [row for row in await queries.media_of_status(session, status_id)
            if row.cache_state != queries.CACHED]
    if not config.media.cache_remote:
        await queries.set_state(session, [row.id for row in rows], queries.PROXIED)
        return
    for row in rows:
        await enqueue(session, CACHE_REMOTE, {"media_id": row.id},
                      dedupe_key=f"{CACHE_REMOTE}:media:{row.id}")


async def schedule_account_media(session: AsyncSession, config: Config,
                                 account: Account) -> None:
    """A caching job for an avatar or header whose cached copy is absent or stale."""
    if not config.media.cache_remote or account.domain is None \
            or await rejects_media(session, account.domain):
        return
    for role in queries.ACCOUNT_ROLES:
        url, _key = queries.account_source(account, role)
        if url and not queries.account_key_is_current(account, role):
            await enqueue(session, CACHE_REMOTE, {"account_id": account.id, "role": role},
                          dedupe_key=f"{CACHE_REMOTE}:{role}:{account.id}")


# --- fetching and storing ----------------------------------------------------------------


def remote_limits(config: Config) -> Limits:
    # Lower than our own posts' limit: a remote Mastodon serves originals of at most
    # 3840x2160 (MediaAttachment::IMAGE_STYLES original pixels 8,294,400), and another
    # server's file must not cost us more memory to decode than that allows for.
    media = config.media
    return Limits(max_pixels=min(media.max_pixels, media.remote_max_pixels),
                  max_size=media.max_size)


class CacheFailure(Exception):
    """The file could not be cached; `temporary` says whether trying later may help."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary


async def fetch_bytes(services: Services, url: str) -> bytes:
    try:
        response = await services.http.get(url, headers={"Accept": "image/*"},
                                       max_size=services.config.media.max_size)
    except ResponseTooLargeError:
        raise CacheFailure(f"the file is larger than the {services.config.media.max_size:,}-byte "
                           "limit", temporary=False) from None
    except FetchError as exc:
        raise CacheFailure(f"fetching failed: {exc.message}", temporary=exc.retryable) \
            from None
    if response.status != 200:
        temporary = response.status >= 500 or response.status in _TEMPORARY_STATUSES
        raise CacheFailure(f"the remote server answered {response.status}",
                           temporary=temporary)
    return response.body


async def fetch_image(services: Services, url: str) -> RemoteImage:
    return (await _fetch_checked(services, url, check_credentials=False))[0]


async def _fetch_checked(services: Services, url: str, *,
                         check_credentials: bool) -> tuple[RemoteImage, str | None]:
    """The processed image and, when asked, the verdict on the fetched file's content
    credentials (read from the remote bytes: our re-encoded copy carries none)."""
    data = await fetch_bytes(services, url)
    limits = remote_limits(services.config)
    try:
        image = await asyncio.to_thread(process_remote, data, limits)
        mime = identify(data, limits) if check_credentials else ""
    except MediaError as exc:
        raise CacheFailure(f"refused: {exc}", temporary=False) from None
    return image, (await credentials.verdict(data, mime) if check_credentials else None)


async def cache_attachment(services: Services, media_id: int) -> bool:
    """Fetch and store one attachment. False when the row is gone; CacheFailure (already
    recorded on the row) when it cannot be cached."""
    async with services.db.reader() as session:
        row = await queries.media_by_id(session, media_id)
        rejected = row is not None and await rejects_media(
            session, await domain_queries.status_domain(session, row.status_id))
    if row is None or rejected:
        return False
    try:
        image, verdict = await _fetch_checked(services, row.url, check_credentials=True)
    except CacheFailure as exc:
        async with services.db.writer.begin() as session:
            await queries.mark_failed(session, media_id, exc.message)
        log.info("remote media not cached", extra={"media_id": media_id, "url": row.url,
                                                   "error": exc.message})
        raise
    image_key = queries.attachment_key(media_id, image.jpeg.data, IMAGE_FILE)
    thumb_key = queries.attachment_key(media_id, image.thumb.data, THUMB_FILE)
    await services.media.put(image_key, image.jpeg.data)
    await services.media.put(thumb_key, image.thumb.data)
    async with services.db.writer.begin() as session:
        old = await queries.mark_cached(session, media_id, cached_key=image_key, cached_type=JPEG,
                                        thumb_key=thumb_key, width=image.width,
                                        height=image.height, blurhash=image.blurhash,
                                        at=utcnow(), credentials=verdict)
    for stale in ((old.cached_key, old.thumb_key) if old else ()):
        if stale and stale not in (image_key, thumb_key):
            await services.media.delete(stale)
    return old is not None


async def cache_account_image(services: Services, account_id: int, role: str) -> str | None:
    """Fetch and store an avatar or header; its key, or None when there is nothing to cache.
    CacheFailure when it cannot be cached (the account keeps no key)."""
    async with services.db.reader() as session:
        account = await queries.account_by_id(session, account_id)
        rejected = account is not None and await rejects_media(session, account.domain)
    url = queries.account_source(account, role)[0] if account is not None else None
    if account is None or account.domain is None or not url or rejected:
        return None
    try:
        image = await fetch_image(services, url)
    except CacheFailure as exc:
        log.info("remote %s not cached", role, extra={"account_id": account_id, "url": url,
                                                      "error": exc.message})
        raise
    key = queries.account_key(account_id, role, url, image.jpeg.data)
    await services.media.put(key, image.jpeg.data)
    old_key = queries.account_source(account, role)[1]
    async with services.db.writer.begin() as session:
        stored = await queries.set_account_key(session, account_id, role, url, key)
    if not stored:
        await services.media.delete(key)
        return None
    if old_key and old_key != key:
        await services.media.delete(old_key)
    return key


def retry_delay(attempt: int, rng: random.Random | None = None) -> float:
    """1 minute doubling to 6 hours, +-20% jitter: a dead media host is not hammered."""
    base = min(RETRY_BASE * float(2 ** min(max(attempt - 1, 0), 20)), RETRY_MAX)
    jitter: float = (rng or random).uniform(0.8, 1.2)
    return base * jitter


async def run_cache_job(services: Services, payload: dict[str, Any], attempt: int) -> None:
    """The job: permanent failures are recorded and end the job; temporary ones retry."""
    if not services.config.media.cache_remote:
        return
    try:
        if "media_id" in payload:
            await cache_attachment(services, int(payload["media_id"]))
        else:
            await cache_account_image(services, int(payload["account_id"]), str(payload["role"]))
    except CacheFailure as exc:
        if exc.temporary:
            raise RetryAfter(retry_delay(attempt), exc.message) from None


# --- serving -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServedFile:
    # Our cached copy is streamed from the store; a fetched remote file is in memory.
    data: bytes | OpenedFile
    content_type: str
    etag: str
    cache_control: str


class NotServable(Exception):
    """No file to serve: `status` 404 (gone or refused) or 502/503 (try later)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


IMMUTABLE = "public, max-age=31536000, immutable"
# A non-public post's image: browsers may keep it, shared caches (a CDN, a proxy) may not.
PRIVATE_CACHE = "private, max-age=86400"
ACCOUNT_CACHE = "public, max-age=3600"  # an avatar URL keeps its address when it changes
PROXY_CACHE = "public, max-age=86400"
# Remote bytes passed through while our copy is being made: the next view gets our copy.
WHILE_CACHING = "no-store"
SYNC_TIMEOUT = 5.0  # a visitor waits at most this long for the remote file
COOLDOWN = 300.0  # after a failed fetch on view, the next one waits this long
# A fetched file answers the views that follow for this long (while its job caches it), so a
# crowd of visitors is one fetch; at most REUSE_BYTES of such files are kept at once.
REUSE = 10.0
REUSE_BYTES = 32 * 1024 * 1024


def _unavailable(outcome: Any, message: str) -> NotServable:
    """404 for a permanent refusal; 503 (try again soon) for a temporary failure, a fetch
    still running, or a re-fetch in its cooldown."""
    if isinstance(outcome, CacheFailure) and not outcome.temporary:
        return NotServable(404, f"{message}: {outcome.message}")
    return NotServable(503, message)


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


class RemoteMediaServer:
    """Serves cached copies; a missing one is passed through from the remote server.

    No image is ever decoded for a visitor: a decode costs 4 bytes per pixel whatever the
    file's size, and anyone can ask for a not-yet-cached image. A missing or failed copy is
    fetched on view (checked by its header only), served as it came, and its caching job
    queued: the job decodes, under the process's decode slots. The fetch on view is shared by
    concurrent requests for the same file, waited for at most SYNC_TIMEOUT, and not repeated
    for COOLDOWN after it failed, so a broken remote file cannot make us fetch per visitor.
    One per process; state is in memory only.
    """

    def __init__(self, services: Services) -> None:
        self.services = services
        self._inflight: dict[str, asyncio.Task[ServedFile]] = {}
        # name -> (monotonic time the cooldown ends, the failure when it was a CacheFailure)
        self._failed: dict[str, tuple[float, CacheFailure | None]] = {}
        self._kept_bytes = 0

    async def attachment(self, media_id: int, secret: str | None,
                         filename: str) -> ServedFile:
        """`secret` must be the row's (None only for rows from before secrets)."""
        if filename not in (IMAGE_FILE, THUMB_FILE):
            raise NotServable(404, "no such media file")
        async with self.services.db.reader() as session:
            row = await queries.media_by_id(session, media_id)
            post = None if row is None else await queries.post_of_media(session, row.status_id)
            # A deleted post's images are gone at once (server.services.statuses.media_purge).
            hidden = post is None or post.deleted or await rejects_media(session, post.domain)
        if row is None or post is None or hidden \
                or not _secret_matches(row.url_secret, secret):
            raise NotServable(404, "no such media file")
        if not self.services.config.media.cache_remote:
            return await self._proxy(row.url, PROXY_CACHE if post.public else PRIVATE_CACHE)
        key = row.cached_key if filename == IMAGE_FILE else row.thumb_key
        if row.cache_state == queries.CACHED and key:
            try:
                return ServedFile(await self.services.media.open(key), row.cached_type or JPEG,
                                  _etag(key), IMMUTABLE if post.public else PRIVATE_CACHE)
            except MediaFileMissing:
                log.warning("cached remote media file missing; fetching it again",
                            extra={"media_id": media_id, "key": key})
        return await self._pass_through(f"media:{media_id}", {"media_id": media_id}, row.url,
                                        "this remote image is not available")

    async def account_image(self, account_id: int, filename: str) -> ServedFile:
        role = ACCOUNT_FILES.get(filename)
        async with self.services.db.reader() as session:
            account = await queries.account_by_id(session, account_id)
            rejected = account is not None and await rejects_media(session, account.domain)
        if role is None or account is None or account.domain is None or rejected:
            raise NotServable(404, "no such media file")
        url, key = queries.account_source(account, role)
        if not url:
            raise NotServable(404, f"this account has no {role}")
        if not self.services.config.media.cache_remote:
            return await self._proxy(url, ACCOUNT_CACHE)
        if key and queries.account_key_is_current(account, role):
            try:
                return ServedFile(await self.services.media.open(key), JPEG, _etag(key),
                                  ACCOUNT_CACHE)
            except MediaFileMissing:
                log.warning("cached %s missing; fetching it again", role,
                            extra={"account_id": account_id, "key": key})
        return await self._pass_through(f"{role}:{account_id}",
                                        {"account_id": account_id, "role": role}, url,
                                        f"this account's {role} is not available")

    async def _proxy(self, url: str, cache_control: str) -> ServedFile:
        """`cache_remote = false`: the remote file through us on every request."""
        try:
            return await _checked_fetch(self.services, url, cache_control)
        except CacheFailure as exc:
            raise NotServable(503 if exc.temporary else 404, exc.message) from None

    async def _pass_through(self, name: str, job: dict[str, Any], url: str,
                            message: str) -> ServedFile:
        """The remote file as it came (header-checked), shared by concurrent visitors, with
        the caching job queued; NotServable when it cannot be had now."""
        until, failure = self._failed.get(name, (0.0, None))
        if until > time.monotonic():
            raise _unavailable(failure, message)
        task = self._inflight.get(name)
        if task is None:
            task = asyncio.create_task(self._fetch_and_queue(name, job, url))
            self._inflight[name] = task
            task.add_done_callback(lambda done: self._finished(name, done))
        try:
            async with asyncio.timeout(SYNC_TIMEOUT):
                return await asyncio.shield(task)
        except TimeoutError:
            await self._queue(name, job)
            raise _unavailable(None, message) from None
        except CacheFailure as exc:
            raise _unavailable(exc, message) from None

    async def _fetch_and_queue(self, name: str, job: dict[str, Any], url: str) -> ServedFile:
        try:
            served = await _checked_fetch(self.services, url, WHILE_CACHING)
        except CacheFailure as exc:
            if exc.temporary:
                await self._queue(name, job)
            raise
        await self._queue(name, job)
        return served

    async def _queue(self, name: str, job: dict[str, Any]) -> None:
        async with self.services.db.writer.begin() as session:
            await enqueue(session, CACHE_REMOTE, job, dedupe_key=f"{CACHE_REMOTE}:{name}")

    def _finished(self, name: str, task: asyncio.Task[ServedFile]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is None and not task.cancelled():
            data = task.result().data  # fetched from the remote server: always bytes
            size = len(data) if isinstance(data, bytes) else 0
            if self._kept_bytes + size <= REUSE_BYTES:
                self._kept_bytes += size
                asyncio.get_running_loop().call_later(REUSE, self._forget, name, task, size)
                return
        self._inflight.pop(name, None)
        if task.cancelled() or error is not None:
            if len(self._failed) > 10_000:
                self._failed.clear()
            failure = error if isinstance(error, CacheFailure) else None
            self._failed[name] = (time.monotonic() + COOLDOWN, failure)
            if error is not None and failure is None:
                log.error("fetching remote media on view failed", exc_info=error)


    def _forget(self, name: str, task: asyncio.Task[ServedFile], size: int) -> None:
        self._kept_bytes -= size
        if self._inflight.get(name) is task:
            del self._inflight[name]


async def _checked_fetch(services: Services, url: str, cache_control: str) -> ServedFile:
    """The remote file through us (bounded by the size limit, its type and pixel count read
    from its header, never from the remote's Content-Type; nothing decoded). CacheFailure
    when it cannot be had or is refused."""
    data = await fetch_bytes(services, url)
    try:
        content_type = identify(data, remote_limits(services.config))
    except MediaError as exc:
        raise CacheFailure(f"refused: {exc}", temporary=False) from None
    return ServedFile(data, content_type, _etag(hashlib.sha256(data).hexdigest()),
                      cache_control)
