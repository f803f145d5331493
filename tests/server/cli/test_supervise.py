"""The supervisor behind `--processes N`, with small children of its own: a child that cannot
start stops everything at once, one that keeps dying is restarted with backoff until the
supervisor gives up, and SIGTERM stops every child cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _supervisor(target: str, args: str, count: int) -> subprocess.Popen[str]:
    code = (
        "import sys\n"
        "from server.processes import Supervisor\n"
        "from server.logs import setup_logging\n"
        f"from tests.server.cli.supervised_targets import {target}\n"
        "setup_logging('INFO', 'text')\n"
        f"sys.exit(Supervisor('toy', {target}, {args}, {count}, backoff_min=0.05,\n"
        "                     max_failures=3, stop_timeout=10).run())\n")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_child_that_cannot_start_stops_everything() -> None:
    proc = _supervisor("fail_at_start", "()", 2)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "exited with code 4 before every process was ready; stopping" in err
    assert "restarting" not in err


def test_a_child_that_keeps_dying_is_restarted_then_given_up(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    proc = _supervisor("crash_after_ready", f"({str(starts)!r},)", 1)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert starts.read_text().count("started") == 3
    assert err.count("toy process 1 exited with code 3 unexpectedly; restarting in") == 2
    assert "restarting in 0.1 s" in err  # the backoff doubled after the second failure
    assert "exited with code 3, failing 3 times in a row; giving up" in err


def test_sigterm_stops_every_child_cleanly() -> None:
    proc = _supervisor("run_until_sigterm", "()", 2)
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while "all 2 toy processes ready" not in "".join(lines):
        assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
        lines.append(proc.stderr.readline())
    pids = {int(line.rsplit("child_pid=", 1)[1]) for line in lines if " started " in line}
    assert len(pids) == 2
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopping 2 toy processes (SIGTERM)" in err
    assert "all toy processes stopped" in err
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists()
