"""Run N copies of a process and keep them running: the supervisor behind `dreamfeed serve`
and `dreamfeed worker` with `--processes N` (it imports nothing of ours, so a child loads
only what its own entry point needs).

Children are started with multiprocessing's "spawn" method: each is a fresh interpreter, so
no event loop, database connection or lock is inherited from the parent (the parent opens
the database before spawning, to migrate and prepare the instance once). A child calls its
`ready` callback once it serves; until every child has been ready once, a child that exits
means the instance cannot start (a port taken, a database refused), so the supervisor stops
the others and fails at once instead of retrying.

After that, a child that exits on its own is restarted after a backoff that doubles with each
quick failure of the same slot (1 s, 2 s, ... 30 s) and resets once a child has run a while;
when one slot fails `max_failures` times in a row the supervisor stops everything and exits
1. SIGTERM or SIGINT to the parent is forwarded as SIGTERM (each child stops gracefully: its
requests and jobs finish); children ignore SIGINT themselves, so Ctrl-C in a terminal, which
reaches the whole process group, stops them once, through the parent. A child whose parent
has gone (killed with SIGKILL) stops itself.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from server.logs import tag_every_line

log = logging.getLogger("dreamfeed")

# The function a child runs: called with its `ready` callback and the supervisor's args,
# returns the child's exit code. Must be a module-level function (spawn pickles it by name).
Target = Callable[..., int]

BACKOFF_MIN = 1.0
BACKOFF_MAX = 30.0
# A child that ran this long before exiting was not failing at start: its slot's count resets.
STABLE_AFTER = 30.0
MAX_FAILURES = 5
# Seconds children get to stop after SIGTERM before they are killed (a worker lets running
# jobs finish for 30 s, then hands them back).
STOP_TIMEOUT = 60.0
# Seconds between a child's checks that its parent is still there.
PARENT_CHECK_INTERVAL = 1.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class _Slot:
    index: int
    process: BaseProcess | None = None
    ready_pipe: Connection | None = None
    started_at: float = 0.0
    ever_ready: bool = False
    failures: int = 0
    restart_at: float | None = None


class Supervisor:
    """`Supervisor("web", target, args, count).run()` -> exit code, in the main thread."""

    def __init__(self, label: str, target: Target, args: tuple[Any, ...], count: int, *,
                 backoff_min: float = BACKOFF_MIN, backoff_max: float = BACKOFF_MAX,
                 stable_after: float = STABLE_AFTER, max_failures: int = MAX_FAILURES,
                 stop_timeout: float = STOP_TIMEOUT,
                 on_exit: Callable[[int], None] | None = None) -> None:
        """`on_exit(pid)` is called once a child has exited (its metrics stop counting)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        self.label = label
        self._target = target
        self._args = args
        self._slots = [_Slot(i + 1) for i in range(count)]
        self._backoff_min = backoff_min
        self._backoff_max = backoff_max
        self._stable_after = stable_after
        self._max_failures = max_failures
        self._stop_timeout = stop_timeout
        self._on_exit = on_exit
        self._context = multiprocessing.get_context("spawn")
        self._stop_signal: int | None = None
        self._all_ready_logged = False

    def run(self) -> int:
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        previous_fd = signal.set_wakeup_fd(wake_w.fileno())
        try:
            for slot in self._slots:
                self._start(slot)
            code = self._watch(wake_r)
            return self._stop_all() if code is None else max(code, self._stop_all())
        finally:
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            wake_r.close()
            wake_w.close()

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._stop_signal is None:
            self._stop_signal = signum

    def _start(self, slot: _Slot) -> None:
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child_main, name=f"dreamfeed-{self.label}-{slot.index}",
            args=(self._target, self._args, writer, os.getpid()))
        process.start()
        writer.close()  # the child holds its end: the reader sees EOF if it dies unready
        slot.process, slot.ready_pipe = process, reader
        slot.started_at, slot.restart_at = time.monotonic(), None
        log.info("%s process %d started", self.label, slot.index,
                 extra={"child_pid": process.pid})

    def _watch(self, wake: socket.socket) -> int | None:
        """Until a stop signal (None) or a failure that ends everything (the exit code)."""
        while self._stop_signal is None:
            waitables: list[Any] = [wake]
            for slot in self._slots:
                if slot.process is not None:
                    waitables.append(slot.process.sentinel)
                if slot.ready_pipe is not None:
                    waitables.append(slot.ready_pipe)
            pending = [s.restart_at for s in self._slots if s.restart_at is not None]
            timeout = max(0.0, min(pending) - time.monotonic()) if pending else None
            wait(waitables, timeout)
            with contextlib.suppress(BlockingIOError):
                wake.recv(64)
            if self._stop_signal is not None:
                break
            for slot in self._slots:
                code = self._check(slot)
                if code is not None:
                    return code
        log.info("stopping %d %s processes (%s)", len(self._slots), self.label,
                 signal.Signals(self._stop_signal).name)
        return None

    def _check(self, slot: _Slot) -> int | None:
        if slot.ready_pipe is not None and slot.ready_pipe.poll():
            with contextlib.suppress(EOFError, OSError):
                slot.ready_pipe.recv()
                slot.ever_ready = True
                log.info("%s process %d ready", self.label, slot.index,
                         extra={"child_pid": slot.process.pid if slot.process else None})
                if not self._all_ready_logged and all(s.ever_ready for s in self._slots):
                    self._all_ready_logged = True
                    log.info("all %d %s processes ready", len(self._slots), self.label)
            slot.ready_pipe.close()
            slot.ready_pipe = None
        if slot.process is not None and not slot.process.is_alive():
            return self._exited(slot)
        if slot.restart_at is not None and time.monotonic() >= slot.restart_at:
            self._start(slot)
        return None

    def _exited(self, slot: _Slot) -> int | None:
        assert slot.process is not None
        process, slot.process = slot.process, None
        process.join()
        code = process.exitcode if process.exitcode is not None else -1
        self._exit_hook(process)
        process.close()
        if slot.ready_pipe is not None:
            slot.ready_pipe.close()
            slot.ready_pipe = None
        how = _describe(code)
        if not self._all_ready_logged:
            # Never got going: a port taken, a database refused. Retrying will not help.
            log.error("%s process %d %s before every process was ready; stopping",
                      self.label, slot.index, how)
            return 1
        lived = time.monotonic() - slot.started_at
        slot.failures = 1 if lived >= self._stable_after else slot.failures + 1
        if slot.failures >= self._max_failures:
            log.error("%s process %d %s, failing %d times in a row; giving up",
                      self.label, slot.index, how, slot.failures)
            return 1
        delay = min(self._backoff_min * 2 ** (slot.failures - 1), self._backoff_max)
        log.warning("%s process %d %s unexpectedly; restarting in %.1f s", self.label,
                    slot.index, how, delay)
        slot.restart_at = time.monotonic() + delay
        return None

    def _stop_all(self) -> int:
        """SIGTERM every child, wait, kill the ones that outstay the timeout; 0 when all
        stopped cleanly."""
        running = [s.process for s in self._slots if s.process is not None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid or 0, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout
        clean = True
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                log.error("a %s process did not stop in %.0f s; killing it", self.label,
                          self._stop_timeout, extra={"child_pid": process.pid})
                process.kill()
                process.join()
                clean = False
            # Killed by the SIGTERM itself: stopped before it had set up its handlers.
            elif process.exitcode not in (0, -signal.SIGTERM):
                log.error("a %s process %s while stopping", self.label,
                          _describe(process.exitcode), extra={"child_pid": process.pid})
                clean = False
            self._exit_hook(process)
            process.close()
        for slot in self._slots:
            slot.process = None
            if slot.ready_pipe is not None:
                slot.ready_pipe.close()
                slot.ready_pipe = None
        if clean:
            log.info("all %s processes stopped", self.label)
        return 0 if clean else 1


    def _exit_hook(self, process: BaseProcess) -> None:
        if self._on_exit is not None and process.pid is not None:
            try:
                self._on_exit(process.pid)
            except Exception:
                log.exception("%s process %d: cleaning up after it failed", self.label,
                              process.pid)


def _describe(exitcode: int) -> str:
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-exitcode).name}"
    return f"exited with code {exitcode}"


def _child_main(target: Target, args: tuple[Any, ...], ready_pipe: Connection,
                parent_pid: int) -> None:
    """A child's entry point (module level: spawn finds it by name)."""
    # Ctrl-C reaches the whole process group; the parent turns it into one SIGTERM each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _tag_log_records()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="parent-watch").start()

    def ready() -> None:
        if not ready_pipe.closed:
            ready_pipe.send(True)
            ready_pipe.close()

    sys.exit(target(ready, *args))


def _tag_log_records() -> None:
    """Every log line of a child names its pid (the lines of N processes share one stderr)."""
    tag_every_line(pid=os.getpid())


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_INTERVAL)
        if os.getppid() != parent_pid:
            # Orphaned (the parent was killed): stop as if it had said so.
            os.kill(os.getpid(), signal.SIGTERM)
            return
