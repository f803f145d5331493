"""The bus: carries each committed event to every web process's hub, once.

Transports: Redis pub/sub when `[streaming] redis_url` is set; PostgreSQL LISTEN/NOTIFY on a
dedicated connection when the database is PostgreSQL; else (the embedded SQLite default, one
process) straight to this process's hub, and a CLI command's events through a file beside
the database that the server follows (storage.stream_file). Over Redis and PostgreSQL the
publishing process gets its own events back through the transport like every other process,
so each hub sees each event exactly once. A lost subscription reconnects with backoff and
says so in the log; events sent while it was down are missed (clients catch up with
since_id: late, not lost; caches kept by events are dropped: Hub.resync).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server.services.streaming import publish as publishing
from server.services.streaming.events import BadEvent, StreamEvent
from server.services.streaming.hub import Hub
from storage import stream_channel, stream_file
from storage.database import Database, is_sqlite

log = logging.getLogger(__name__)

CHANNEL = "dreamfeed_stream"
# How often a server on SQLite looks for a CLI command's events (a stat each time).
FILE_POLL = 0.2
BACKOFF_MIN = 0.5
BACKOFF_MAX = 30.0
# What a lost connection, or one that cannot be opened, raises.
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (*stream_channel.ERRORS, RedisError)


class BusUnavailable(Exception):
    """The bus could not connect at start (the message names the transport)."""


class _Transport(Protocol):
    name: str

    async def connect(self) -> None: ...

    async def watch(self) -> str:
        """Wait until the subscription is lost; return why."""
        ...

    async def disconnect(self) -> None: ...

    async def send(self, payload: str) -> None: ...

    async def close(self) -> None: ...


class _Postgres:
    name = "PostgreSQL"

    def __init__(self, db: Database, channel: str, on_payload: _Receiver,
                 keepalive: float) -> None:
        self._db = db
        self._channel = channel
        self._on_payload = on_payload
        self._keepalive = keepalive
        self._conn: Any = None
        self._lost = asyncio.Event()

    async def connect(self) -> None:
        self._lost = asyncio.Event()
        self._conn = await stream_channel.listen(
            self._db.write_engine.url.render_as_string(hide_password=False), self._channel,
            self._on_payload, self._lost.set)

    async def watch(self) -> str:
        assert self._conn is not None
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), self._keepalive)
                return "the connection was closed"
            except TimeoutError:
                pass
            try:
                async with asyncio.timeout(self._keepalive):
                    await stream_channel.ping(self._conn)
            except _CONNECTION_ERRORS as exc:
                return f"{type(exc).__name__}: {exc}"

    async def disconnect(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def send(self, payload: str) -> None:
        await stream_channel.notify(self._db.write_engine, self._channel, payload)

    async def close(self) -> None:
        await self.disconnect()


class _Redis:
    name = "Redis"

    def __init__(self, url: str, channel: str, on_payload: _Receiver,
                 keepalive: float) -> None:
        self._channel = channel
        self._on_payload = on_payload
        self._keepalive = keepalive
        # One pool: publishing borrows a connection per call, the subscription holds its own.
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=10,
                                               health_check_interval=keepalive)
        self._pubsub: aioredis.client.PubSub | None = None

    async def connect(self) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        self._pubsub = pubsub

    async def watch(self) -> str:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=self._keepalive)
            except _CONNECTION_ERRORS as exc:
                return f"{type(exc).__name__}: {exc}"
            if message is not None and message.get("type") == "message":
                data = message["data"]
                self._on_payload(data.decode() if isinstance(data, bytes) else str(data))

    async def disconnect(self) -> None:
        if self._pubsub is not None:
            pubsub, self._pubsub = self._pubsub, None
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def send(self, payload: str) -> None:
        await self._client.publish(self._channel, payload)

    async def ping(self) -> None:
        await self._client.ping()  # type: ignore[misc]  # redis-py types it sync-or-async

    async def close(self) -> None:
        await self.disconnect()
        await self._client.aclose()


class _Receiver(Protocol):
    def __call__(self, payload: str) -> None: ...


class StreamBus:
    """One per process (built with the services): `start()`, `publish(event)`, `stop()`."""

    def __init__(self, hub: Hub, db: Database, *, redis_url: str = "",
                 channel: str = CHANNEL, keepalive: float = 30.0) -> None:
        self.hub = hub
        self._db = db
        self._transport: _Transport | None
        if redis_url:
            self._transport = _Redis(redis_url, channel, self._received, keepalive)
        elif not is_sqlite(str(db.write_engine.url)):
            self._transport = _Postgres(db, channel, self._received, keepalive)
        else:
            self._transport = None
        # SQLite without Redis: the file a CLI command's events go through (None: an
        # in-memory database, or another transport).
        self._file = None if self._transport is not None \
            else stream_file.path_for(str(db.write_engine.url))
        # Whether this process only publishes (a CLI command): its events then go out
        # through the file on SQLite, as they would through PostgreSQL or Redis.
        self._publish_only = False
        self._outbox: asyncio.Queue[StreamEvent] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False

    async def ping_redis(self) -> None:
        """Raise BusUnavailable when the Redis this bus uses does not answer (the readiness
        check); nothing to check on the other transports (PostgreSQL is the database's)."""
        if isinstance(self._transport, _Redis):
            try:
                await self._transport.ping()
            except RedisError as exc:
                raise BusUnavailable(f"Redis: {type(exc).__name__}: {exc}") from None

    @property
    def transport(self) -> str:
        """"Redis", "PostgreSQL" or "in-process" (for the log and the health check)."""
        return self._transport.name if self._transport is not None else "in-process"

    async def start(self, *, listen: bool = True) -> None:
        """Publish what this process commits; with `listen`, also deliver every process's
        events to this hub. A CLI command only publishes: its changes (a domain block, a
        suspension) reach the running processes at its commit, and nothing there listens."""
        if self._transport is not None:
            loop = asyncio.get_running_loop()
            self._tasks = [loop.create_task(self._send_queued(self._transport))]
            if listen:
                try:
                    await self._transport.connect()
                except _CONNECTION_ERRORS as exc:
                    self._tasks.pop().cancel()
                    await self._transport.close()
                    raise BusUnavailable(f"cannot subscribe on {self._transport.name}: "
                                         f"{type(exc).__name__}: {exc}") from None
                self._tasks.append(loop.create_task(self._supervise(self._transport)))
        elif self._file is not None:
            loop = asyncio.get_running_loop()
            if listen:
                tail = await asyncio.to_thread(stream_file.Tail, self._file, empty=True)
                self._tasks = [loop.create_task(self._follow_file(tail))]
            else:
                self._publish_only = True
                self._tasks = [loop.create_task(self._append_queued(self._file))]
        engines = (self._db.write_engine.sync_engine, self._db.read_engine.sync_engine)
        publishing.attach(engines, self)
        self._started = True

    async def stop(self) -> None:
        if not self._started:
            return
        self._started = False
        publishing.detach((self._db.write_engine.sync_engine,
                           self._db.read_engine.sync_engine))
        # What was committed before the stop still goes out, unless the bus is down.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._outbox.join(), 5.0)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._transport is not None:
            await self._transport.close()

    async def publish(self, event: StreamEvent) -> None:
        """Send `event` to every process's hub now (this one's included)."""
        if self._transport is None:
            self.hub.deliver(event)
            return
        payload = event.to_json()
        if len(payload.encode()) > stream_channel.MAX_PAYLOAD:
            # Events carry ids, not content: one this big is a bug, not a message to split.
            log.error("stream event too large for the bus (%d bytes): %s", len(payload),
                      event.kind)
            return
        await self._transport.send(payload)

    def publish_soon(self, event: StreamEvent) -> None:
        """From a commit hook (no awaiting there): in order, by the sender task."""
        if self._transport is None and not self._publish_only:
            self.hub.deliver(event)
        elif self._started:
            self.hub.committed(event)
            self._outbox.put_nowait(event)

    def _received(self, payload: str) -> None:
        try:
            event = StreamEvent.from_json(payload)
        except BadEvent as exc:
            log.warning("stream bus: ignored a message that is not ours: %s", exc)
            return
        self.hub.deliver(event)

    async def _send_queued(self, transport: _Transport) -> None:
        while True:
            event = await self._outbox.get()
            try:
                await self.publish(event)
            except _CONNECTION_ERRORS as exc:
                log.warning("stream bus: an event was not sent over %s (%s: %s)",
                            transport.name, type(exc).__name__, exc)
            finally:
                self._outbox.task_done()

    async def _append_queued(self, path: Path) -> None:
        while True:
            event = await self._outbox.get()
            try:
                await asyncio.to_thread(stream_file.append, path, event.to_json())
            except OSError as exc:
                log.warning("stream bus: an event was not written to %s (%s)", path, exc)
            finally:
                self._outbox.task_done()

    async def _follow_file(self, tail: stream_file.Tail) -> None:
        """Deliver the events CLI commands append to the file (SQLite without Redis)."""
        failing = False
        while True:
            await asyncio.sleep(FILE_POLL)
            try:
                if not tail.changed():
                    continue
                lines = await asyncio.to_thread(tail.read)
            except OSError as exc:
                if not failing:
                    log.warning("stream bus: cannot read %s (%s)", tail.path, exc)
                failing = True
                continue
            failing = False
            for line in lines:
                self._received(line)

    async def _supervise(self, transport: _Transport) -> None:
        """Watch the subscription; when it is lost, warn once and reconnect with backoff."""
        while True:
            reason = await transport.watch()
            log.warning("stream bus: lost the %s subscription (%s); reconnecting",
                        transport.name, reason)
            await transport.disconnect()
            delay = BACKOFF_MIN
            while True:
                await asyncio.sleep(delay)
                try:
                    await transport.connect()
                    break
                except _CONNECTION_ERRORS:
                    await transport.disconnect()
                    delay = min(delay * 2, BACKOFF_MAX)
            log.info("stream bus: reconnected to %s", transport.name)
            # Whatever changed while it was down sent its events to nobody here.
            self.hub.resync()
