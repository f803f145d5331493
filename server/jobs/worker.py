"""Workers: asyncio tasks that lease due jobs from the database and run their handlers.

Any number of pools, in any number of processes, may share one database: a job is leased to one
worker at a time (storage.jobs.claim_jobs), the lease is renewed while the handler runs, and a
job whose worker died is taken over once its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
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
from server.jobs.registry import JobContext, JobRegistry, JobResources, UnknownJobKind
from storage import jobs as job_store
from storage.jobs import JobRecord
from storage.types import utcnow

log = logging.getLogger(__name__)

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
    """`concurrency` tasks that claim due jobs one at a time and run their handlers.

    Delivery is at least once: a job whose worker died, or whose success could not be recorded,
    runs again, so handlers must be idempotent.
    """

    def __init__(self, resources: JobResources, registry: JobRegistry, *, concurrency: int,
                 name: str | None = None, rng: random.Random | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.resources = resources
        self.registry = registry
        self.concurrency = concurrency
        self.name = name or default_worker_name()
        self._config = resources.config.jobs
        self._lease = timedelta(seconds=self._config.lease_seconds)
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

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
        them, which hands their jobs back to the queue."""
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
        log.info("worker pool %s stopped (%d tasks cancelled)", self.name, len(pending))

    async def run_until_empty(self, *, max_rounds: int = 100) -> int:
        """Run due jobs in the calling task, `concurrency` at a time, until none are due
        (including jobs the handlers enqueue on the way). Returns how many runs there were.

        Raises RuntimeError if jobs are still due after `max_rounds` rounds (a job that keeps
        re-enqueueing itself), rather than looping for ever.
        """
        runs = 0
        for _ in range(max_rounds):
            jobs = await self._claim(self.concurrency)
            if not jobs:
                return runs
            await asyncio.gather(*(self._run(job) for job in jobs))
            runs += len(jobs)
        raise RuntimeError(f"jobs were still due after {max_rounds} rounds")

    def _session(self) -> AsyncSession:
        return self.resources.sessionmaker()

    async def _work(self) -> None:
        while not self._stopping:
            try:
                jobs = await self._claim(1)
                if jobs:
                    await self._run(jobs[0])
                    continue
            except Exception:
                # The database may be briefly unreachable; a held job's lease simply expires.
                log.exception("worker %s: job loop error; retrying after the poll interval",
                              self.name)
            await self._idle()

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
            return await job_store.claim_jobs(session, worker=self.name, limit=limit,
                                              lease=self._lease)

    async def _run(self, job: JobRecord) -> None:
        try:
            error = await self._call_handler(job)
        except asyncio.CancelledError:
            await self._release(job)
            raise
        if error is None:
            await self._complete(job)
        else:
            await self._fail(job, error)

    async def _call_handler(self, job: JobRecord) -> Exception | None:
        """Run the handler while a heartbeat keeps the lease; return what it raised, if any."""
        ctx = JobContext(job_id=job.id, kind=job.kind, attempt=job.attempts,
                         resources=self.resources)
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(job, done))
        try:
            await self.registry.get(job.kind)(ctx, job.payload)
        except Exception as exc:
            return exc
        finally:
            # Let the heartbeat end between statements rather than cancelling it mid-SQL.
            done.set()
            await asyncio.wait([heartbeat])
        return None

    async def _heartbeat(self, job: JobRecord, done: asyncio.Event) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            try:
                await asyncio.wait_for(done.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                async with self._session() as session, session.begin():
                    held = await job_store.extend_lease(session, job.id, worker=self.name,
                                                        until=utcnow() + self._lease)
            except Exception:
                log.warning("could not extend a job's lease", exc_info=True, extra=_fields(job))
                continue
            if not held:
                log.warning("job lease lost; another worker may be running it",
                            extra=_fields(job))
                return

    async def _complete(self, job: JobRecord) -> None:
        async with self._session() as session, session.begin():
            held = await job_store.complete_job(session, job.id, worker=self.name)
        if not held:
            log.warning("job finished after its lease was taken over", extra=_fields(job))

    async def _fail(self, job: JobRecord, exc: Exception) -> None:
        decision = decide_failure(exc, attempt=job.attempts, created_at=job.created_at,
                                  config=self._config, rng=self._rng)
        async with self._session() as session, session.begin():
            if decision.retry_at is None:
                held = await job_store.dead_letter_job(session, job.id, worker=self.name,
                                                       error=decision.error)
            else:
                held = await job_store.reschedule_job(
                    session, job.id, worker=self.name, run_at=decision.retry_at,
                    error=decision.error, count_attempt=decision.count_attempt)
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

    async def _release(self, job: JobRecord) -> None:
        """Hand an interrupted job straight back to the queue instead of waiting out its lease."""
        try:
            async with self._session() as session, session.begin():
                # Not the job's fault: the interrupted run does not count as an attempt.
                await job_store.reschedule_job(session, job.id, worker=self.name,
                                               run_at=utcnow(), count_attempt=False,
                                               error=f"interrupted: worker {self.name} stopped")
        except Exception:
            log.warning("could not release an interrupted job; its lease will expire",
                        exc_info=True, extra=_fields(job))
