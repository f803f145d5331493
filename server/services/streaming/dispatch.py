"""The client API's streams in one web process. Every connection (a WebSocket or an SSE
response) registers here with its viewer and streams; each event the hub hands over is
routed once for all of them (routing.route, batched over every (viewer, stream) held, so
several tabs of one viewer and thousands of viewers cost a few queries per event), and the
result is queued on each connection that holds the stream, for its request handler to write.

Idle connections are cheap: no task and no queue of their own, only a small deque and the
future their handler waits on; one timer ticks the SSE heartbeats of all of them. A
connection that does not keep up loses its oldest messages (clients catch up with since_id).
Events are handled one at a time, in the order the bus delivered them, so a stream never
sees a delete before the update it undoes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable
from functools import cached_property

from server import metrics
from server.services.context import Services
from server.services.streaming.events import StreamEvent
from server.services.streaming.routing import Outgoing, Stream, Target, Viewer, route

log = logging.getLogger(__name__)

# Seconds between SSE heartbeats and WebSocket pings (Mastodon: 15 s and 30 s); read when
# a connection opens, so tests can shorten it.
HEARTBEAT_SECONDS = 15.0
# Messages a connection may have waiting before the oldest are dropped.
OUTBOX_SIZE = 500
# Events waiting for routing before the oldest are dropped (the process is overloaded).
BACKLOG = 10_000


class Message:
    """One routed event for one stream, shared by every connection holding that stream (the
    WebSocket frame is encoded once for all of them)."""

    def __init__(self, stream: Stream, outgoing: Outgoing) -> None:
        self.stream = stream
        self.outgoing = outgoing

    @cached_property
    def websocket_text(self) -> str:
        """Mastodon's multiplexed frame: {"stream": [...], "event": ..., "payload": "..."}."""
        frame: dict[str, object] = {"stream": self.stream.label(),
                                    "event": self.outgoing.event}
        if self.outgoing.payload is not None:
            frame["payload"] = self.outgoing.payload
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def sse_bytes(self) -> bytes:
        """`event: ...\\ndata: ...\\n\\n` (Mastodon writes "undefined" for no payload)."""
        data = "undefined" if self.outgoing.payload is None else self.outgoing.payload
        return f"event: {self.outgoing.event}\ndata: {data}\n\n".encode()


class Heartbeat:
    """The tick an SSE connection answers with a comment line."""


HEARTBEAT = Heartbeat()


class Connection:
    """One client connection's streams and waiting messages. The handler either awaits
    `next()` in its own task (SSE) or passes `wake`, called whenever messages are waiting,
    to start a writer only then (WebSocket, whose handler task is reading)."""

    __slots__ = ("_dispatcher", "_outbox", "_waiter", "_wake", "heartbeat", "streams",
                 "viewer")

    def __init__(self, dispatcher: Dispatcher, viewer: Viewer, *, heartbeat: bool,
                 wake: Callable[[], None] | None) -> None:
        self._dispatcher = dispatcher
        self.viewer = viewer
        self.heartbeat = heartbeat
        self._wake = wake
        self.streams: dict[tuple[str, ...], Stream] = {}
        # Made at the first message: most connections are idle most of the time.
        self._outbox: deque[Message | Heartbeat] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def add(self, stream: Stream) -> None:
        self.streams.setdefault(tuple(stream.label()), stream)

    def remove(self, stream: Stream) -> None:
        self.streams.pop(tuple(stream.label()), None)

    def push(self, item: Message | Heartbeat) -> None:
        if self._outbox is None:
            self._outbox = deque(maxlen=OUTBOX_SIZE)
        self._outbox.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        if self._wake is not None:
            self._wake()

    def take(self) -> list[Message | Heartbeat]:
        """What is waiting now (perhaps nothing)."""
        if not self._outbox:
            return []
        items = list(self._outbox)
        self._outbox = None
        return items

    async def next(self) -> list[Message | Heartbeat]:
        """Wait until something is waiting, and take it."""
        while not self._outbox:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self.take()

    def close(self) -> None:
        self._dispatcher.disconnect(self)


class Dispatcher:
    """One per web process: start() listens on the services' hub, stop() ends it."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._connections: set[Connection] = set()
        self._events: deque[StreamEvent] = deque(maxlen=BACKLOG)
        self._pending: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ticker: asyncio.Task[None] | None = None

    @property
    def connections(self) -> int:
        return len(self._connections)

    def connect(self, viewer: Viewer, *, heartbeat: bool = False,
                wake: Callable[[], None] | None = None) -> Connection:
        connection = Connection(self, viewer, heartbeat=heartbeat, wake=wake)
        self._connections.add(connection)
        metrics.streaming_opened()
        if heartbeat and (self._ticker is None or self._ticker.done()):
            # Ticks only while someone listens: an idle process does not wake for nothing.
            self._ticker = asyncio.create_task(self._tick(HEARTBEAT_SECONDS))
        return connection

    def disconnect(self, connection: Connection) -> None:
        if connection in self._connections:
            self._connections.remove(connection)
            metrics.streaming_closed()

    def start(self) -> None:
        self._pending = asyncio.Event()
        self._services.hub.listen(self._received)
        self._tasks = [asyncio.create_task(self._route_events())]

    async def stop(self) -> None:
        if self.connections:
            log.info("streaming: closing with %d connections open", self.connections)
        self._services.hub.unlisten(self._received)
        tasks = [*self._tasks, *([self._ticker] if self._ticker else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._ticker = None

    def _received(self, event: StreamEvent) -> None:
        if not self._connections:
            return  # nobody streaming here
        self._events.append(event)
        if self._pending is not None:
            self._pending.set()

    async def _route_events(self) -> None:
        assert self._pending is not None
        while True:
            await self._pending.wait()
            self._pending.clear()
            while self._events:
                event = self._events.popleft()
                try:
                    await self._dispatch(event)
                except Exception:
                    # One bad event must not end every stream of the process.
                    log.exception("streaming: could not route %s event", event.kind)

    async def _dispatch(self, event: StreamEvent) -> None:
        holders: dict[Target, list[Connection]] = {}
        for connection in self._connections:
            for stream in connection.streams.values():
                holders.setdefault((connection.viewer, stream), []).append(connection)
        if not holders:
            return
        routed = await route(self._services, list(holders), event)
        for target, outgoing in routed.items():
            message = Message(target[1], outgoing)
            for connection in holders[target]:
                # Unsubscribed (or gone) while the event was routed: not for it any more.
                if connection in self._connections and \
                        tuple(target[1].label()) in connection.streams:
                    connection.push(message)

    async def _tick(self, seconds: float) -> None:
        while any(connection.heartbeat for connection in self._connections):
            await asyncio.sleep(seconds)
            for connection in list(self._connections):
                if connection.heartbeat:
                    connection.push(HEARTBEAT)
