"""Which coroutine runs which kind of job, and what a running job is handed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.config import Config
from server.services.context import Services


@dataclass(frozen=True)
class JobResources:
    """What handlers share for the life of a worker pool; created and closed by its owner."""

    config: Config
    sessionmaker: async_sessionmaker[AsyncSession]
    # The app's (or standalone worker's) one Services; None only in queue tests, whose
    # handlers need no more than the database.
    services: Services | None = None

    def require_services(self) -> Services:
        if self.services is None:
            raise RuntimeError("this worker pool was started without services")
        return self.services


@dataclass(frozen=True)
class JobContext:
    """One run of one job. `attempt` is 1 on the first run and counts takeovers and retries."""

    job_id: int
    kind: str
    attempt: int
    resources: JobResources


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
# Runs several jobs of one kind together (sharing their reads and writes) and returns, per job
# and in order, what it raised (None for success): each job keeps its own retry or dead-letter
# fate, so one failing job never fails the others of its batch.
BatchHandler = Callable[[Sequence[JobContext], Sequence[dict[str, Any]]],
                        Awaitable[Sequence[Exception | None]]]


class UnknownJobKind(Exception):
    """No handler is registered for a job's kind (perhaps a newer worker knows it)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no handler registered for job kind {kind!r}")
        self.kind = kind


class JobRegistry:
    """kind -> handler. A handler returns normally on success; see server.jobs.queue for what
    raising means (PermanentJobError, RetryAfter, anything else: retry with backoff)."""

    def __init__(self) -> None:
        self._handlers: dict[str, JobHandler] = {}
        self._batches: dict[str, tuple[BatchHandler, int]] = {}

    def register(self, kind: str, handler: JobHandler) -> None:
        if kind in self._handlers:
            # Two handlers for one kind is a wiring mistake; failing early beats a silent winner.
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def register_batch(self, kind: str, handler: BatchHandler, *, max_batch: int) -> None:
        """A kind whose jobs a worker may run up to `max_batch` at a time through `handler`
        (a lone job is a batch of one)."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")

        async def one(ctx: JobContext, payload: dict[str, Any]) -> None:
            (error,) = await handler([ctx], [payload])
            if error is not None:
                raise error

        self.register(kind, one)
        self._batches[kind] = (handler, max_batch)

    def batch(self, kind: str) -> tuple[BatchHandler, int] | None:
        """The batch handler of `kind` and its largest batch, or None for a one-at-a-time kind."""
        return self._batches.get(kind)

    def handler(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Decorator form of register()."""
        def decorate(fn: JobHandler) -> JobHandler:
            self.register(kind, fn)
            return fn
        return decorate

    def get(self, kind: str) -> JobHandler:
        try:
            return self._handlers[kind]
        except KeyError:
            raise UnknownJobKind(kind) from None

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers
