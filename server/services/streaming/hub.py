"""One process's fan-out: the bus delivers each event once per process here, and the hub
hands it to every subscription (the web app's live pages) and listener (the client API's
streams, server.services.streaming.dispatch). A subscriber that cannot keep up (its queue is
full) loses the oldest events, so one slow client never holds up the rest; clients catch up
with since_id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from server.services.streaming.events import StreamEvent

DEFAULT_QUEUE = 1000


class Subscription:
    """An async iterator of events, from subscribe() until close() (or `async with`)."""

    def __init__(self, hub: Hub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[StreamEvent] = asyncio.Queue(maxsize)

    def put(self, event: StreamEvent) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    async def get(self) -> StreamEvent:
        return await self._queue.get()

    def close(self) -> None:
        self._hub.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[StreamEvent]:
        while True:
            yield await self._queue.get()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()


class Hub:
    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self._listeners: list[Callable[[StreamEvent], None]] = []
        self._commit_listeners: list[Callable[[StreamEvent], None]] = []
        self._resync_listeners: list[Callable[[], None]] = []

    def subscribe(self, maxsize: int = DEFAULT_QUEUE) -> Subscription:
        subscription = Subscription(self, maxsize)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)

    def listen(self, listener: Callable[[StreamEvent], None]) -> None:
        """Call `listener` with every event (synchronously: it must not block)."""
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[StreamEvent], None]) -> None:
        self._listeners.remove(listener)

    def listen_at_commit(self, listener: Callable[[StreamEvent], None]) -> None:
        """Also call `listener` at once with the events this process commits, before the bus
        carries them back (its caches then never serve what it just changed: read your own
        writes, while other processes catch up through the bus)."""
        self._commit_listeners.append(listener)

    def listen_resync(self, listener: Callable[[], None]) -> None:
        """Call `listener` when events may have been missed (the bus lost its subscription
        and reconnected): caches kept in agreement by events drop everything."""
        self._resync_listeners.append(listener)

    def resync(self) -> None:
        for listener in list(self._resync_listeners):
            listener()

    def committed(self, event: StreamEvent) -> None:
        """An event this process just committed (from the bus, before it sends it)."""
        for listener in list(self._commit_listeners):
            listener(event)

    def deliver(self, event: StreamEvent) -> None:
        """Hand the event to every subscription and listener of this process (never
        blocks)."""
        for subscription in list(self._subscriptions):
            subscription.put(event)
        for listener in list(self._listeners):
            listener(event)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)
