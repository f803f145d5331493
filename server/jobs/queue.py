"""The queue's policy: enqueueing, backoff, and what happens to a job that failed.

The retry policy in one paragraph: a handler that raises is retried after an exponential,
jittered delay (or no sooner than it asked, with RetryAfter) until its next run would fall past
`created_at + retry_window_seconds`; then it is dead-lettered, never dropped.
PermanentJobError dead-letters at once. See decide_failure().
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.config import JobsConfig
from storage import jobs as job_store
from storage.types import utcnow

log = logging.getLogger(__name__)

# last_error is for people reading `dreamfeed jobs list`, not for storing whole tracebacks.
MAX_ERROR_LENGTH = 2000

# Worker pools running in this process (their notify()); a commit that enqueued jobs wakes
# them at once instead of at their next poll. Jobs from other processes wait for the poll.
_wakeup_listeners: set[Callable[[], None]] = set()
_WAKEUP_HOOKED = "dreamfeed.jobs.wakeup_hooked"


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help (e.g. a 404 or 410): dead-letter now."""


class RetryAfter(Exception):
    """Raised by a handler to be retried no sooner than `seconds` from now (HTTP Retry-After)."""

    def __init__(self, seconds: float, message: str = "") -> None:
        self.seconds = max(0.0, float(seconds))
        super().__init__(message or f"retry after {self.seconds:g} seconds")


class Postpone(Exception):
    """Raised by a handler that cannot run yet but has not failed (e.g. its destination host
    is paused): run again at `until`. The run is not counted as an attempt, so it adds no
    backoff; the retry window still applies."""

    def __init__(self, until: datetime, message: str = "") -> None:
        if until.tzinfo is None:
            raise ValueError("Postpone(until) must be timezone-aware")
        self.until = until
        super().__init__(message or f"postponed until {until.isoformat(timespec='seconds')}")


async def enqueue(session: AsyncSession, kind: str, payload: dict[str, Any], *,
                  run_at: datetime | None = None, dedupe_key: str | None = None,
                  delay: float | timedelta | None = None) -> int | None:
    """Add a job inside the caller's transaction; it becomes visible when the caller commits.

    Returns the new job's id, or None when `dedupe_key` names a job that already exists.
    `run_at` and `delay` are alternatives; with neither the job is due at once.
    """
    if run_at is not None and delay is not None:
        raise ValueError("pass run_at or delay, not both")
    if run_at is None:
        run_at = utcnow()
        if delay is not None:
            run_at += delay if isinstance(delay, timedelta) else timedelta(seconds=delay)
    elif run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    job_id = await job_store.insert_job(session, kind=kind, payload=payload, run_at=run_at,
                                        dedupe_key=dedupe_key)
    if job_id is not None:
        _wake_workers_after_commit(session.sync_session)
    return job_id


async def enqueue_many(session: AsyncSession, kind: str,
                       payloads: list[dict[str, Any]]) -> None:
    """Add many jobs of one kind, due now, in one statement inside the caller's transaction."""
    if payloads:
        await job_store.insert_jobs(session, kind=kind, payloads=payloads, run_at=utcnow())
        _wake_workers_after_commit(session.sync_session)


def add_wakeup_listener(listener: Callable[[], None]) -> None:
    """Call `listener` after each commit in this process that enqueued jobs."""
    _wakeup_listeners.add(listener)


def remove_wakeup_listener(listener: Callable[[], None]) -> None:
    _wakeup_listeners.discard(listener)


def _wake_workers_after_commit(session: Session) -> None:
    # Woken before the commit, a worker would find nothing: the job is not visible yet.
    if session.info.get(_WAKEUP_HOOKED):
        return
    session.info[_WAKEUP_HOOKED] = True

    def wake(committed: Session) -> None:
        committed.info.pop(_WAKEUP_HOOKED, None)
        for listener in list(_wakeup_listeners):
            try:
                listener()
            except Exception:  # the commit succeeded; a failed wakeup only delays the job
                log.warning("could not wake a worker pool after enqueueing", exc_info=True)

    event.listen(session, "after_commit", wake, once=True)


def backoff_delay(attempt: int, config: JobsConfig, rng: random.Random | None = None, *,
                  previous: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first run).

    Without `previous`: "equal jitter", uniform in [d/2, d] for d = min(cap, base *
    2**(attempt - 1)): spread out, yet never retried at once after a failure.
    With `previous` (the last delay used): "decorrelated jitter", uniform in
    [base, previous * 3], capped. Both spread retries of many jobs that failed together
    (a remote host going down) so they do not return in one burst.
    """
    rng = rng or random.Random()
    base, cap = config.backoff_base_seconds, config.backoff_max_seconds
    if previous is not None:
        return min(cap, rng.uniform(base, max(base, previous * 3)))
    # min() on the exponent first keeps 2**attempt from overflowing a float on huge attempts.
    ceiling = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 64))
    return rng.uniform(ceiling / 2, ceiling)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_ERROR_LENGTH else text[:MAX_ERROR_LENGTH - 1] + "…"


@dataclass(frozen=True)
class FailureDecision:
    """What to do with a job whose handler raised: run again at `retry_at`, or (None) dead.
    `count_attempt` is False for a postponement, whose run should not count as an attempt."""

    retry_at: datetime | None
    error: str
    count_attempt: bool = True

    @property
    def dead(self) -> bool:
        return self.retry_at is None


def decide_failure(exc: BaseException, *, attempt: int, created_at: datetime, config: JobsConfig,
                   now: datetime | None = None, rng: random.Random | None = None
                   ) -> FailureDecision:
    """Retry at now + backoff (at least RetryAfter's delay; exactly Postpone's time), unless
    that falls past the retry window or the error is permanent: then dead-letter.
    `attempt` is the run that just failed (1 for the first)."""
    now = now or utcnow()
    error = _error_text(exc)
    if isinstance(exc, PermanentJobError):
        return FailureDecision(None, _shorten(error))
    if isinstance(exc, Postpone):
        retry_at = max(now, exc.until)
    else:
        delay = backoff_delay(attempt, config, rng)
        if isinstance(exc, RetryAfter):
            delay = max(delay, exc.seconds)
        retry_at = now + timedelta(seconds=delay)
    if retry_at > created_at + timedelta(seconds=config.retry_window_seconds):
        # Say why it died before the message, so shortening cannot cut the reason off.
        return FailureDecision(None, _shorten(
            f"retry window of {config.retry_window_seconds}s exhausted; last error: {error}"))
    return FailureDecision(retry_at, _shorten(error),
                           count_attempt=not isinstance(exc, Postpone))
