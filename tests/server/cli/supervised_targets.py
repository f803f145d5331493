"""Children for the supervisor's own tests (module level: spawn imports them by name)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path


def fail_at_start(ready: Callable[[], None]) -> int:
    return 4


def crash_after_ready(ready: Callable[[], None], starts: str) -> int:
    """Count its start in the file `starts`, say it is ready, then die."""
    with Path(starts).open("a") as file:
        file.write("started\n")
    ready()
    return 3


def run_until_sigterm(ready: Callable[[], None]) -> int:
    stopped = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    ready()
    while not stopped:
        time.sleep(0.02)
    return 0
