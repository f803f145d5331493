"""What an operator's Prometheus scrapes from `/metrics` ([metrics]): the one module that
imports prometheus-client.

Two kinds of numbers, kept apart on purpose:

- Events counted by the process they happen in: HTTP request latency, inbox answers,
  image generations, open streaming connections. Under `dreamfeed serve --processes N` or
  `dreamfeed worker --processes N` the supervisor gives its children one directory
  (PROMETHEUS_MULTIPROC_DIR, prometheus-client's multiprocess mode): each child writes its
  own memory-mapped file and whichever child answers a scrape sums them all, so a scrape
  never shows one process's share. An operator who sets PROMETHEUS_MULTIPROC_DIR for both
  `dreamfeed serve` and `dreamfeed worker` on one machine gets the workers' generations in
  the web processes' answer too.
- The state of the whole instance, read from the database at scrape time (the job queue by
  kind and state, delivery hosts failing and paused): the same answer from every process on
  every machine, because the database is the truth (ClusterState, filled by
  services/reading/operations.py).

Labels are bounded: a route's pattern (never the raw path), a method from a fixed list, a
status class, a reason from InboxReasons, a backend and an outcome from short lists.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# In multiprocess mode prometheus-client opens a file in the directory as each metric is made,
# some just below at import: an operator's directory that is not there yet is made first.
if os.environ.get(MULTIPROC_ENV):
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)

# No *_created series beside every counter and histogram: one process's start time each,
# which multiprocess mode cannot sum and which doubles what a scrape carries.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Our own registry: the default one would add the exporter's process and GC collectors, which
# multiprocess mode cannot sum.
_registry = CollectorRegistry(auto_describe=True)

# Seconds: from a cached page (~1 ms) to a slow federation fetch or a big upload.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0, 30.0)
# Seconds: the procedural generator answers in well under a second, a hosted model in 5-60 s.
_GENERATION_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)

HTTP_REQUESTS = Histogram(
    "dreamfeed_http_request_duration_seconds",
    "HTTP requests answered, by route pattern, method and status class, and how long they "
    "took (streaming responses: until they ended)",
    ["route", "method", "status"], buckets=_REQUEST_BUCKETS, registry=_registry)
INBOX_ACTIVITIES = Counter(
    "dreamfeed_inbox_activities",
    "Activities POSTed to an inbox, by answer (accepted or refused) and reason",
    ["result", "reason"], registry=_registry)
GENERATIONS = Histogram(
    "dreamfeed_generation_duration_seconds",
    "Image service calls made for generations (the count is the number of calls), by "
    "backend and outcome (ok, or the error's code), and how long each took",
    ["backend", "outcome"], buckets=_GENERATION_BUCKETS, registry=_registry)
STREAMING_CONNECTIONS = Gauge(
    "dreamfeed_streaming_connections",
    "Open streaming connections (client API WebSocket and server-sent events, web pages' "
    "live updates)", registry=_registry, multiprocess_mode="livesum")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# BackendError's codes (server/images/backend.py); anything else is "error".
_GENERATION_OUTCOMES = frozenset({"refused", "quota", "auth", "invalid", "rate_limited",
                                  "timeout", "unavailable", "bad_response"})


class InboxReasons:
    """Why an inbox answered as it did: the reason label's whole vocabulary."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    # 202 without storing: nothing to do (a Delete of an actor never seen), or a suspended
    # actor's activity dropped.
    IGNORED = "ignored"
    # A personal inbox of an account that does not exist here, or was deleted (404, 410).
    NO_SUCH_INBOX = "no_such_inbox"
    TOO_LARGE = "too_large"
    BAD_JSON = "bad_json"
    BAD_ACTIVITY = "bad_activity"
    DOMAIN_REFUSED = "domain_refused"
    BAD_SIGNATURE = "bad_signature"
    KEY_UNAVAILABLE = "key_unavailable"
    RATE_LIMITED = "rate_limited"


_ACCEPTED_REASONS = frozenset({InboxReasons.ACCEPTED, InboxReasons.DUPLICATE,
                               InboxReasons.IGNORED})


def status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status < 600 else "other"


# The histogram's children by (route, method, status): labels() validates and locks on
# every call, more than half of what recording a request costs. Bounded like the labels.
_request_children: dict[tuple[str, str, int], Any] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = HTTP_REQUESTS.labels(
            route, method if method in _METHODS else "other", status_class(status))
    child.observe(seconds)


def count_inbox(reason: str) -> None:
    result = "accepted" if reason in _ACCEPTED_REASONS else "refused"
    INBOX_ACTIVITIES.labels(result, reason).inc()


@contextlib.contextmanager
def timed_generation(backend: str) -> Iterator[None]:
    """Count and time one image service call; the outcome is the exception's `code` when it
    is one of BackendError's, else "error"."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    except Exception as exc:
        code = getattr(exc, "code", None)
        outcome = code if code in _GENERATION_OUTCOMES else "error"
        raise
    finally:
        GENERATIONS.labels(backend, outcome).observe(time.perf_counter() - started)


def streaming_opened() -> None:
    STREAMING_CONNECTIONS.inc()


def streaming_closed() -> None:
    STREAMING_CONNECTIONS.dec()


@dataclass(frozen=True)
class ClusterState:
    """What the database says at scrape time."""

    version: str
    # (kind, state, count) with state one of queued, running, failed, dead.
    jobs: list[tuple[str, str, int]] = field(default_factory=list)
    hosts_failing: int = 0
    hosts_paused: int = 0


class _ClusterCollector(Collector):
    def __init__(self, state: ClusterState) -> None:
        self._state = state

    def collect(self) -> Iterable[Metric]:
        state = self._state
        info = GaugeMetricFamily("dreamfeed_info", "This Dreamfeed's version (always 1)",
                                 labels=["version"])
        info.add_metric([state.version], 1)
        jobs = GaugeMetricFamily(
            "dreamfeed_jobs",
            "Jobs in the queue by kind and state (queued: waiting for a first attempt; "
            "failed: waiting after a failed or postponed attempt; running; dead), "
            "read from the database", labels=["kind", "state"])
        for kind, job_state, count in state.jobs:
            jobs.add_metric([kind, job_state], count)
        failing = GaugeMetricFamily(
            "dreamfeed_delivery_hosts_failing",
            "Remote hosts whose last delivery failed, read from the database")
        failing.add_metric([], state.hosts_failing)
        paused = GaugeMetricFamily(
            "dreamfeed_delivery_hosts_paused",
            "Remote hosts nothing is sent to until their backoff ends, read from the database")
        paused.add_metric([], state.hosts_paused)
        return [info, jobs, failing, paused]


class _Chain(Collector):
    def __init__(self, *collectors: Collector) -> None:
        self._collectors = collectors

    def collect(self) -> Iterable[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def render(state: ClusterState) -> bytes:
    """The text exposition: this process's (or, in multiprocess mode, every sibling's)
    events and the database's state."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        events = CollectorRegistry(auto_describe=False)
        multiprocess.MultiProcessCollector(events, path=directory)  # type: ignore[no-untyped-call]
        registry.register(_Chain(events, _ClusterCollector(state)))
    else:
        registry.register(_Chain(_registry, _ClusterCollector(state)))
    return generate_latest(registry)


def multiprocess_dir() -> tuple[str, Callable[[int], None], Callable[[], None]]:
    """For a supervisor about to spawn children: the directory they share (the operator's
    PROMETHEUS_MULTIPROC_DIR, else a fresh private one, set in this environment so spawned
    children inherit it: prometheus-client picks its storage when a child imports it), what
    to call when a child exits (its live gauges stop counting; its counters stay, as
    Prometheus expects of counters), and what to call at the end (removes a directory made
    here, never the operator's)."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        sweep_dead()
        return given, _mark_dead(given), lambda: None
    made = tempfile.mkdtemp(prefix="dreamfeed-metrics-")
    os.environ[MULTIPROC_ENV] = made

    def remove() -> None:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)

    return made, _mark_dead(made), remove


def sweep_dead() -> None:
    """In the operator's PROMETHEUS_MULTIPROC_DIR (shared by the processes of a machine
    across restarts): drop the live gauges of processes that are gone (killed, or stopped
    before a restart), so open streams are not counted twice. Their counters stay."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        match = _LIVE_FILE.fullmatch(name)
        if match and not _alive(int(match[1])):
            multiprocess.mark_process_dead(int(match[1]), directory)  # type: ignore[no-untyped-call]


_LIVE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _mark_dead(directory: str) -> Callable[[int], None]:
    def mark(pid: int) -> None:
        multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]
    return mark
