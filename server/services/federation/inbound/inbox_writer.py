"""Group the inbox's durable writes into shared commits.

A commit costs far more than an insert (SQLite does one fsync-bound commit at a time), so
requests that arrive together are written together: each request hands its activity to the
writer task and waits for *its own* row to be committed before answering 202. Nothing is
acknowledged before it is on disk, and a burst costs one commit instead of hundreds. When a
shared commit fails, each request is written again alone: one sender's bad row never fails
another's delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from server.jobs.queue import enqueue_many
from storage import inbox as inbox_store
from storage.database import Database, unavailable_reason
from storage.inbox import NewActivity

log = logging.getLogger(__name__)

APPLY_ACTIVITY = "inbox.apply"


@dataclass
class _Pending:
    item: NewActivity
    done: asyncio.Future[bool]


class InboxWriter:
    def __init__(self, db: Database, *, max_batch: int = 200) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="inbox-writer")

    async def stop(self) -> None:
        if self._task is None:
            return
        # Let queued requests finish: they are waiting for their answer.
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def store(self, item: NewActivity) -> bool:
        """Commit `item` and its apply job; True if new, False if its id was already stored.
        Raises if the write failed (the caller answers 5xx so the sender retries)."""
        if self._task is None:
            raise RuntimeError("InboxWriter is not running")
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(item, done))
        return await done

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            ids = await self._commit([p.item for p in batch])
        except Exception as exc:
            outage = unavailable_reason(exc)
            if outage is not None:
                # The database is gone for everyone: retrying each row alone would only
                # fail again. The middleware answers 503 and logs the one line.
                log.warning("inbox batch of %d not written: %s", len(batch), outage)
                for pending in batch:
                    _settle(pending, exc)
                return
            if len(batch) == 1:
                log.exception("inbox write failed")
                _settle(batch[0], exc)
                return
            # One request's row can fail the whole commit (a value the database refuses):
            # write each alone, so only the request whose own write fails gets the error.
            log.warning("inbox batch of %d failed (%s); writing each alone",
                        len(batch), type(exc).__name__)
            for pending in batch:
                await self._write([pending])
            return
        for pending, row_id in zip(batch, ids, strict=True):
            _settle(pending, row_id is not None)

    async def _commit(self, items: list[NewActivity]) -> list[int | None]:
        async with self._db.writer.begin() as session:
            ids = await inbox_store.insert_new(session, items)
            await enqueue_many(session, APPLY_ACTIVITY, [
                {"inbox_activity_id": row_id} for row_id in ids if row_id is not None])
        return ids


def _settle(pending: _Pending, outcome: bool | BaseException) -> None:
    if pending.done.done():  # the request went away (client disconnected)
        return
    if isinstance(outcome, BaseException):
        pending.done.set_exception(outcome)
    else:
        pending.done.set_result(outcome)
