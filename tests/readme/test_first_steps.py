"""The README's first steps, run as written, one after the other, on a fresh copy of the
checkout (its tracked and new files, no .venv, no data): they must all succeed.

The copy's `make install` reaches no index: pip installs from a wheelhouse rebuilt from this
virtualenv's packages (wheelhouse.py), plus setuptools and wheel for building the project,
which pip fetches the way it fetches anything (a couple of small files)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.readme.wheelhouse import build_wheelhouse

ROOT = Path(__file__).resolve().parents[2]
PORT = 8000  # the README's
ARTIFACT = ROOT / "test-artifacts" / "first-steps.log"


def first_steps() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## First steps\n", 1)[1]
    found = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert found is not None, "the README's First steps have no sh block"
    return found.group(1)


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def _fresh_copy(destination: Path) -> None:
    """What a clone of this working tree holds: tracked files and new ones not ignored."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _wheelhouse(directory: Path) -> None:
    build_wheelhouse("dreamfeed", directory)
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
         "--dest", str(directory), "setuptools>=68", "wheel"],
        capture_output=True, text=True, timeout=120, check=False)
    if fetched.returncode != 0:
        _skip_or_fail(f"pip could not fetch setuptools and wheel: {fetched.stderr[-300:]}")


def _stop_group(group: int) -> None:
    """SIGTERM to what the steps left running (`make run &`), then wait for it to end."""
    try:
        os.killpg(group, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)


def test_the_readme_first_steps_work_on_a_fresh_clone(tmp_path: Path) -> None:
    if shutil.which("make") is None or shutil.which("curl") is None:
        _skip_or_fail("make and curl are needed to run the README's steps")
    if _port_taken(PORT):
        _skip_or_fail(f"port {PORT}, the README's, is taken by something else")
    clone, wheels = tmp_path / "dreamfeed", tmp_path / "wheelhouse"
    _fresh_copy(clone)
    _wheelhouse(wheels)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DREAMFEED_", "PIP_", "VIRTUAL_ENV"))}
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels),
                # The interpreter the wheels were built for (the Makefile's PYTHON ?= python3).
                "PYTHON": getattr(sys, "_base_executable", sys.executable)})
    log_path = tmp_path / "steps.log"
    with log_path.open("w") as log:
        steps = subprocess.Popen(["bash", "-e", "-c", first_steps()], cwd=clone, env=env,
                                 stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = steps.wait(timeout=300)
        finally:
            # The server started with `make run &` is still running: stop it, so its last
            # lines ("shutting down") are in the log too.
            _stop_group(steps.pid)
    output = log_path.read_text()
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(output)
    assert returncode == 0, output
    assert '"id": "http://localhost:8000/users/alice"' in output \
        or '"id":"http://localhost:8000/users/alice"' in output, output
    assert '"subject":"acct:alice@localhost:8000"' in output.replace(" ", ""), output
    assert '"software":{"name":"dreamfeed"' in output.replace(" ", ""), output
    assert "created administrator @alice@localhost:8000" in output
    assert f"in {clone}/data/dreamfeed.db" in output  # the checkout's data/, said in words
    assert ("listening on http://127.0.0.1:8000: open http://localhost:8000 (instance "
            f"localhost:8000, database {clone}/data/dreamfeed.db)") in output
    assert "no administrator yet" not in output  # alice is one
    assert "Traceback" not in output
    # `make run` installed what the server needs, not the development tools.
    assert (clone / ".venv" / ".installed-run").exists()
    assert not (clone / ".venv" / "bin" / "pytest").exists()
    assert not (clone / ".venv" / "bin" / "mypy").exists()
