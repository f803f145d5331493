"""Workers: asyncio tasks that lease due jobs from the database and run their handlers.

Any number of pools, in any number of processes, may share one database: a job is leased to one
worker at a time (storage.jobs.claim_jobs), the lease is renewed while the pool holds it, and a
job whose worker died is taken over once its lease runs out.

The queue's bookkeeping is done in batches, because one small transaction per step per job
(claim, complete, heartbeat) cost more than most jobs themselves: a pool claims several due
jobs in one statement into a small local buffer, renews the leases of everything it holds in
one statement, and records successes together (each commit takes whatever finished while the
previous one was being written). Kinds registered with a batch handler (JobRegistry
.register_batch) also run several jobs at once. None of this weakens the guarantees: a job
stays leased in the database until its success is committed, so a worker killed at any point
loses nothing; its jobs run again once their leases run out (at least once, as before).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import secrets
import socket
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.jobs.queue import (
    FailureDecision,
    PermanentJobError,
    Postpone,
    RetryAfter,
    add_wakeup_listener,
    decide_failure,
    remove_wakeup_listener,
)
from server.jobs.registry import (
    BatchHandler,
    JobContext,
    JobRegistry,
    JobResources,
    UnknownJobKind,
)
from storage import jobs as job_store
from storage.jobs import JobRecord
from storage.types import utcnow

log = logging.getLogger(__name__)

# Jobs claimed at once per idle task. A bounded prefetch: jobs wait in the buffer for at most
# a few runs of the tasks ahead of them, while one claim (and, for batch kinds, one run) serves
# several jobs.
CLAIM_PER_TASK = 8

# Failures that say plainly what went wrong; a traceback would add nothing.
_EXPECTED_FAILURES = (PermanentJobError, Postpone, RetryAfter, UnknownJobKind)


def _fields(job: JobRecord, **more: Any) -> dict[str, Any]:
    """Structured log fields (server.logs prints them as key=value or JSON)."""
    return {"job_id": job.id, "job_kind": job.kind, "attempt": job.attempts,
            "worker": job.locked_by, **more}


def default_worker_name() -> str:
    """Unique per pool, and readable in `jobs list`: which host and process holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-128:]


class WorkerPool:
    """`concurrency` tasks that take due jobs from a shared buffer and run their handlers; the
    buffer is refilled by one claim (several jobs, one statement) when it runs dry.

    Delivery is at least once: a job whose worker died, or whose success could not be recorded,
    runs again, so handlers must be idempotent.
    """

    def __init__(self, resources: JobResources, registry: JobRegistry, *, concurrency: int,
                 name: str | None = None, rng: random.Random | None = None,
                 claim_per_task: int = CLAIM_PER_TASK) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.resources = resources
        self.registry = registry
        self.concurrency = concurrency
        self.name = name or default_worker_name()
        self._config = resources.config.jobs
        self._lease = timedelta(seconds=self._config.lease_seconds)
        self._rng = rng or random.Random()
        self._claim_per_task = max(1, claim_per_task)
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        # Claimed, not yet started (oldest first); only the live pool's tasks use it.
        self._buffer: collections.deque[JobRecord] = collections.deque()
        self._claim_lock = asyncio.Lock()
        self._busy = 0
        # Every job this pool holds a lease on: buffered, running, or its success not yet
        # committed. The heartbeat renews them all; a job leaves when its outcome is written.
        self._held: dict[int, JobRecord] = {}
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._nothing_held = asyncio.Event()
        # Succeeded, to be deleted by the next shared commit.
        self._succeeded: list[JobRecord] = []
        self._flush_lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        """Launch `concurrency` tasks that claim and run jobs until stop()."""
        if self._tasks:
            raise RuntimeError(f"worker pool {self.name} is already running")
        self._stopping = False
        self._tasks = [asyncio.create_task(self._work(), name=f"{self.name}/{i}")
                       for i in range(self.concurrency)]
        add_wakeup_listener(self.notify)
        log.info("worker pool %s started with %d tasks", self.name, self.concurrency)

    def notify(self) -> None:
        """Jobs are due: stop idling now. Called by itself after a commit in this process
        that enqueued jobs (server.jobs.queue.enqueue); callable by anyone else who knows."""
        self._wakeup.set()

    async def stop(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109 - a grace period
        """Claim nothing more; let running jobs finish for up to `timeout` seconds, then cancel
        them, which hands their jobs back to the queue, as it does the jobs never started."""
        remove_wakeup_listener(self.notify)
        self._stopping = True
        self._wakeup.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        unstarted = list(self._buffer)
        self._buffer.clear()
        await self._release(unstarted)
        await self._flush()
        if self._heartbeat_task is not None:
            if self._held:  # outcomes that could not be written: stop renewing their leases
                self._heartbeat_task.cancel()
            # Otherwise it ends by itself: nothing is held.
            await asyncio.gather(self._heartbeat_task, return_exceptions=True)
        log.info("worker pool %s stopped (%d tasks cancelled)", self.name, len(pending))

    async def run_until_empty(self, *, max_rounds: int = 100) -> int:
        """Run due jobs in the calling task, `concurrency` batches at a time, until none are due
        (including jobs the handlers enqueue on the way). Returns how many runs there were.

        Raises RuntimeError if jobs are still due after `max_rounds` rounds (a job that keeps
        re-enqueueing itself), rather than looping for ever.
        """
        runs = 0
        slots = asyncio.Semaphore(self.concurrency)

        async def run(batch: list[JobRecord]) -> None:
            async with slots:
                await self._run_batch(batch)

        for _ in range(max_rounds):
            jobs = await self._claim(self.concurrency * self._claim_per_task)
            if not jobs:
                return runs
            pending = collections.deque(jobs)
            batches = []
            while pending:
                # Only neighbours are batched: jobs still run in the order they were due.
                batches.append(self._take(pending, adjacent_only=True))
            await asyncio.gather(*(run(batch) for batch in batches))
            await self._flush()
            runs += len(jobs)
        raise RuntimeError(f"jobs were still due after {max_rounds} rounds")

    def _session(self) -> AsyncSession:
        return self.resources.sessionmaker()

    async def _work(self) -> None:
        while not self._stopping:
            try:
                batch = await self._next_batch()
                if batch:
                    self._busy += 1
                    try:
                        await self._run_batch(batch)
                    finally:
                        self._busy -= 1
                    continue
            except Exception:
                # The database may be briefly unreachable; a held job's lease simply expires.
                log.exception("worker %s: job loop error; retrying after the poll interval",
                              self.name)
            await self._idle()

    async def _next_batch(self) -> list[JobRecord]:
        """The next job (with its buffered fellows, for a batch kind), claiming when the
        buffer is empty: one claim for every idle task, so they need not each make one."""
        if not self._buffer:
            async with self._claim_lock:
                if not self._buffer and not self._stopping:
                    idle = max(1, self.concurrency - self._busy)
                    self._buffer.extend(await self._claim(idle * self._claim_per_task))
        if not self._buffer:
            return []
        batch = self._take(self._buffer)
        if self._buffer:
            self._wakeup.set()  # idle tasks: there is more
        return batch

    def _take(self, queue: collections.deque[JobRecord], *,
              adjacent_only: bool = False) -> list[JobRecord]:
        """Pop the first job, and for a batch kind up to its max_batch more of that kind."""
        first = queue.popleft()
        batch = [first]
        spec = self.registry.batch(first.kind)
        if spec is None:
            return batch
        limit = spec[1]
        kept: list[JobRecord] = []
        while queue and len(batch) < limit:
            job = queue.popleft()
            if job.kind == first.kind:
                batch.append(job)
            elif adjacent_only:
                queue.appendleft(job)
                break
            else:
                kept.append(job)
        queue.extendleft(reversed(kept))
        return batch

    async def _idle(self) -> None:
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), self._config.poll_interval)
        # Event.set() has already woken every waiter, so clearing cannot swallow a wakeup;
        # but once stopping, the event stays set for a task that is only now going idle.
        if not self._stopping:
            self._wakeup.clear()

    async def _claim(self, limit: int) -> list[JobRecord]:
        async with self._session() as session, session.begin():
            jobs = await job_store.claim_jobs(session, worker=self.name, limit=limit,
                                              lease=self._lease)
        if jobs:
            self._held.update((job.id, job) for job in jobs)
            self._nothing_held.clear()
            if self._heartbeat_task is None or self._heartbeat_task.done():
                self._heartbeat_task = asyncio.create_task(
                    self._heartbeat(), name=f"{self.name}/heartbeat")
        return jobs

    def _drop(self, jobs: Sequence[JobRecord]) -> None:
        for job in jobs:
            self._held.pop(job.id, None)
        if not self._held:
            self._nothing_held.set()

    async def _run_batch(self, batch: list[JobRecord]) -> None:
        spec = self.registry.batch(batch[0].kind) if len(batch) > 1 else None
        try:
            if spec is None:
                errors = [await self._call_handler(job) for job in batch]
            else:
                errors = await self._call_batch(spec[0], batch)
        except asyncio.CancelledError:
            await self._release(batch, interrupted=True)
            raise
        for job, error in zip(batch, errors, strict=True):
            if error is None:
                self._succeeded.append(job)
                continue
            try:
                await self._fail(job, error)
            except Exception:
                # Its lease (no longer renewed) lapses and the job runs again.
                log.exception("could not record a job's failure", extra=_fields(job))
        if self._succeeded and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_while_any(),
                                                name=f"{self.name}/completions")

    def _context(self, job: JobRecord) -> JobContext:
        return JobContext(job_id=job.id, kind=job.kind, attempt=job.attempts,
                          resources=self.resources)

    async def _call_handler(self, job: JobRecord) -> Exception | None:
        """Run the handler (the pool's heartbeat keeps the lease); return what it raised."""
        try:
            await self.registry.get(job.kind)(self._context(job), job.payload)
        except Exception as exc:
            return exc
        return None

    async def _call_batch(self, handler: BatchHandler,
                          batch: list[JobRecord]) -> list[Exception | None]:
        try:
            errors = list(await handler([self._context(job) for job in batch],
                                        [job.payload for job in batch]))
        except Exception as exc:
            # The batch as a whole broke (not one job of it): each job retries on its own.
            return [exc] * len(batch)
        if len(errors) != len(batch):
            wrong = RuntimeError(f"batch handler for {batch[0].kind!r} returned "
                                 f"{len(errors)} outcomes for {len(batch)} jobs")
            return [wrong] * len(batch)
        return errors

    async def _heartbeat(self) -> None:
        """Renew every lease this pool holds, in one statement, until it holds none."""
        interval = self._lease.total_seconds() / 3
        while self._held:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nothing_held.wait(), interval)
            ids = list(self._held)
            if not ids:
                return
            try:
                async with self._session() as session, session.begin():
                    kept = await job_store.extend_leases(session, ids, worker=self.name,
                                                         until=utcnow() + self._lease)
            except Exception:
                log.warning("could not extend the leases of %d jobs", len(ids), exc_info=True,
                            extra={"worker": self.name})
                continue
            # Finished meanwhile (gone from _held), or taken over after a lapse: stop renewing.
            lost = [self._held[i] for i in ids if i not in kept and i in self._held]
            for job in lost:
                log.warning("job lease lost; another worker may be running it",
                            extra=_fields(job))
            self._drop(lost)

    async def _flush_while_any(self) -> None:
        while self._succeeded:
            await self._flush()

    async def _flush(self) -> None:
        """Commit every success recorded so far in one statement (group commit: while one
        flush writes, the next batch of successes gathers)."""
        async with self._flush_lock:
            done, self._succeeded = self._succeeded, []
            if not done:
                return
            try:
                async with self._session() as session, session.begin():
                    held = await job_store.complete_jobs(session, [j.id for j in done],
                                                         worker=self.name)
            except Exception:
                # Not recorded: the jobs run again once their leases lapse (at least once).
                log.warning("could not record %d finished jobs; they will run again",
                            len(done), exc_info=True, extra={"worker": self.name})
                held = {j.id for j in done}
            finally:
                self._drop(done)
            for job in done:
                if job.id not in held:
                    log.warning("job finished after its lease was taken over",
                                extra=_fields(job))

    async def _fail(self, job: JobRecord, exc: Exception) -> None:
        decision = decide_failure(exc, attempt=job.attempts, created_at=job.created_at,
                                  config=self._config, rng=self._rng)
        try:
            async with self._session() as session, session.begin():
                if decision.retry_at is None:
                    held = await job_store.dead_letter_job(session, job.id, worker=self.name,
                                                           error=decision.error)
                else:
                    held = await job_store.reschedule_job(
                        session, job.id, worker=self.name, run_at=decision.retry_at,
                        error=decision.error, count_attempt=decision.count_attempt)
        finally:
            self._drop([job])
        self._log_failure(job, exc, decision)
        if not held:
            log.warning("job failed after its lease was taken over", extra=_fields(job))

    @staticmethod
    def _log_failure(job: JobRecord, exc: Exception, decision: FailureDecision) -> None:
        fields = _fields(job, error=decision.error)
        exc_info = None if isinstance(exc, _EXPECTED_FAILURES) else exc
        if decision.retry_at is None:
            log.error("job failed; dead-lettered", exc_info=exc_info, extra=fields)
            return
        fields["retry_at"] = decision.retry_at.isoformat(timespec="seconds")
        if isinstance(exc, Postpone):
            log.info("job postponed", extra=fields)
        else:
            log.warning("job failed; will retry", exc_info=exc_info, extra=fields)

    async def _release(self, jobs: Sequence[JobRecord], *, interrupted: bool = False) -> None:
        """Hand jobs that were interrupted (or never started) straight back to the queue
        instead of waiting out their leases. Not their fault: the run does not count as an
        attempt."""
        if not jobs:
            return
        try:
            async with self._session() as session, session.begin():
                await job_store.release_jobs(session, [j.id for j in jobs], worker=self.name,
                                             error=f"interrupted: worker {self.name} stopped")
        except Exception:
            log.warning("could not release %d %s jobs; their leases will expire", len(jobs),
                        "interrupted" if interrupted else "unstarted", exc_info=True,
                        extra={"worker": self.name})
        finally:
            self._drop(jobs)
