"""`dreamfeed serve --processes 2` and `dreamfeed worker --processes 2` as real processes.

Two web processes answer on one port (their request log lines name different pids), a post
made through either reaches a stream held by each (PostgreSQL LISTEN/NOTIFY; on SQLite,
which needs it for more than one process, Redis), a child killed with SIGKILL is restarted
while the port keeps answering, and SIGTERM stops them all with exit code 0. Which process
holds a stream is read from /proc: nothing is added to the API for it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import is_sqlite, make_sessionmaker
from tests.server.cli.cli_helpers import DREAMFEED, cli_env, free_port, run_cli
from tests.server.cli.test_serve_streaming import _post_with_image, _token
from tests.server.jobs.conftest import add_job, one_job

REDIS_URL = "redis://127.0.0.1:6379"
STARTED = re.compile(r"web process (\d) started child_pid=(\d+)")
REQUEST_PID = re.compile(r"GET /nodeinfo/2\.1 pid=(\d+) ")


async def _wait_for(log: Path, proc: subprocess.Popen[bytes], text: str, count: int = 1,
                    timeout: float = 120) -> str:
    """The log so far, once `text` is in it `count` times (a loaded machine spawns slowly)."""
    deadline = time.monotonic() + timeout
    while True:
        content = log.read_text()
        if content.count(text) >= count:
            return content
        assert proc.poll() is None, content
        assert time.monotonic() < deadline, f"no {text!r} in:\n{content}"
        await asyncio.sleep(0.1)


def _children(log: str) -> dict[int, int]:
    """Slot -> pid of its latest child."""
    return {int(slot): int(pid) for slot, pid in STARTED.findall(log)}


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _holder(server_port: int, client_port: int, pids: list[int]) -> int | None:
    """The pid whose accepted socket is the server end of the client's connection."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            inode = fields[9]
    if inode is None:
        return None
    return next((pid for pid in pids if inode in _socket_inodes(pid)), None)


async def _read_update(stream: aiohttp.ClientResponse, status_id: str) -> dict[str, object]:
    event = ""
    while True:
        line = (await stream.content.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: ") and event == "update":
            payload: dict[str, object] = json.loads(line.removeprefix("data: "))
            if payload["id"] == status_id:
                return payload


async def _streams_on_both(stack: AsyncExitStack, http: aiohttp.ClientSession, base: str,
                           port: int, token: str, pids: list[int]
                           ) -> dict[int, aiohttp.ClientResponse]:
    """Open streams on new connections until each process holds one (the kernel picks)."""
    held: dict[int, aiohttp.ClientResponse] = {}
    for _ in range(40):
        stream = await stack.enter_async_context(http.get(
            base + "/api/v1/streaming/user", headers={"Authorization": f"Bearer {token}"}))
        assert stream.status == 200
        assert stream.connection is not None and stream.connection.transport is not None
        client_port = stream.connection.transport.get_extra_info("sockname")[1]
        holder = _holder(port, client_port, pids)
        assert holder is not None, "no child holds the stream's connection"
        held.setdefault(holder, stream)
        if len(held) == len(pids):
            return held
    raise AssertionError(f"every stream went to {set(held)}")


@pytest.mark.postgres
async def test_two_web_processes_share_the_port_and_the_streams(database_url: str,
                                                                tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(database_url, tmp_path, DREAMFEED_SERVER_PORT=str(port))
    if is_sqlite(database_url):
        env["DREAMFEED_STREAMING_REDIS_URL"] = REDIS_URL  # what SQLite needs for two
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen([DREAMFEED, "serve", "--processes", "2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path)
    try:
        content = await _wait_for(log, proc, "all 2 web processes ready")
        pids = sorted(_children(content).values())
        assert len(pids) == 2
        assert content.count("listening on http://127.0.0.1") == 2

        # Each request on a new connection: the kernel spreads them over both listeners.
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True)) as http:
            for _ in range(40):
                async with http.get(base + "/nodeinfo/2.1") as resp:
                    assert resp.status == 200
        content = await _wait_for(log, proc, "GET /nodeinfo/2.1", 40)
        assert {int(pid) for pid in REQUEST_PID.findall(content)} == set(pids)

        token = await _token(database_url, tmp_path)
        async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
            streams = await _streams_on_both(stack, http, base, port, token, pids)
            async with aiohttp.ClientSession() as poster:
                status_id = await _post_with_image(poster, base, token)
            async with asyncio.timeout(30):
                payloads = await asyncio.gather(*(_read_update(stream, status_id)
                                                  for stream in streams.values()))
            assert all(p["content"] for p in payloads)

        # A child that dies is restarted, and the port answers throughout.
        victim = _children(content)[1]
        os.kill(victim, signal.SIGKILL)
        content = await _wait_for(log, proc, "web process 1 ready", 2)
        assert "web process 1 was killed by SIGKILL unexpectedly; restarting in 1.0 s" in content
        restarted = _children(content)[1]
        assert restarted not in pids and Path(f"/proc/{restarted}").exists()
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True)) as http:
            for _ in range(10):
                async with http.get(base + "/nodeinfo/2.1") as resp:
                    assert resp.status == 200

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    content = log.read_text()
    assert "Traceback" not in content, content
    assert content.count("shutting down") == 2
    assert "all web processes stopped" in content
    for pid in _children(content).values():
        assert not Path(f"/proc/{pid}").exists()


def test_several_processes_on_sqlite_need_redis(tmp_path: Path) -> None:
    env = cli_env(f"sqlite+aiosqlite:///{tmp_path / 'd.db'}", tmp_path)
    result = run_cli(["serve", "--processes", "2"], env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "dreamfeed: configuration error: --processes is 2, but with SQLite and no [streaming] "
        "redis_url live events and cache invalidations stay inside the process that made "
        "them; set [streaming] redis_url, use PostgreSQL, or run one process\n")
    result = run_cli(["serve"], {**env, "DREAMFEED_SERVER_PROCESSES": "3"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "server.processes is 3, but with SQLite" in result.stderr
    assert not (tmp_path / "d.db").exists()  # refused before anything was opened


async def test_worker_processes_run_queued_jobs_and_stop_cleanly(
        database_url: str, engine: AsyncEngine, tmp_path: Path) -> None:
    sessionmaker = make_sessionmaker(engine)
    # No handler knows this kind: each job fails in a recognisable way, proof it ran.
    job_ids = [await add_job(sessionmaker, "not-yet-known") for _ in range(6)]
    env = cli_env(database_url, tmp_path, DREAMFEED_JOBS_POLL_INTERVAL="0.05",
                  DREAMFEED_JOBS_BACKOFF_BASE_SECONDS="1000")  # no second attempt here
    log = tmp_path / "worker.log"
    out = tmp_path / "worker.out"
    with log.open("wb") as stderr, out.open("wb") as stdout:
        proc = subprocess.Popen([DREAMFEED, "worker", "--processes", "2", "--concurrency", "1"],
                                env=env, stdout=stdout, stderr=stderr, cwd=tmp_path)
    try:
        await _wait_for(log, proc, "all 2 worker processes ready")
        deadline = time.monotonic() + 60
        for job_id in job_ids:
            assert job_id is not None
            while (await one_job(sessionmaker, job_id)).attempts == 0:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"job {job_id} never ran"
                await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr_text, stdout_text = log.read_text(), out.read_text()
    assert "Traceback" not in stderr_text, stderr_text
    assert stdout_text.count("running 1 at a time") == 2
    assert stdout_text.count("worker stopped") == 2
    assert "all worker processes stopped" in stderr_text
    for job_id in job_ids:
        assert job_id is not None
        job = await one_job(sessionmaker, job_id)
        assert (job.state, job.attempts) == ("queued", 1)
