"""/metrics under `dreamfeed serve --processes 2` (PostgreSQL; SQLite with Redis): whichever
child answers a scrape reports the requests both children served (prometheus-client's
multiprocess mode, the directory set up by the supervisor), a child killed with SIGKILL
keeps its counts but not its open streams, and the token made at start is one for both."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest

from server import metrics
from server.cli.common import image_backend_opened, open_services
from server.services.accounts.users import create_local_user
from server.services.generation import generate
from storage.database import is_sqlite
from tests.conftest import make_test_config
from tests.server.cli.cli_helpers import DREAMFEED, cli_env, free_port
from tests.server.cli.test_serve_processes import REDIS_URL, _children, _holder, _wait_for
from tests.server.cli.test_serve_streaming import _token
from tests.server.test_operations import Samples, parse, requests, value

TOKEN_LINE = re.compile(r"metrics on at \S+; bearer token .*: (\S+)")


async def _scrape(base: str, token: str) -> tuple[Samples, str]:
    """A scrape on a new connection (the kernel picks the child): its samples and the
    answering process's request id prefix."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http, \
            http.get(base + "/metrics", headers={"Authorization": f"Bearer {token}"}) as resp:
        assert resp.status == 200, await resp.text()
        return parse(await resp.text()), resp.headers["X-Request-Id"][:16]


@pytest.mark.postgres
async def test_every_scrape_counts_both_web_processes(database_url: str,
                                                      tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(database_url, tmp_path, DREAMFEED_SERVER_PORT=str(port),
                  DREAMFEED_METRICS_ENABLED="true")
    if is_sqlite(database_url):
        env["DREAMFEED_STREAMING_REDIS_URL"] = REDIS_URL
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen([DREAMFEED, "serve", "--processes", "2"], env=env,
                                stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path)
    try:
        content = await _wait_for(log, proc, "all 2 web processes ready")
        made = TOKEN_LINE.findall(content)
        assert len(made) == 1, content  # made once, by the parent, for both children
        token = made[0]
        pids = sorted(_children(content).values())

        # Each request on a new connection: the kernel spreads them over both processes,
        # told apart by their request ids' per-process prefix.
        served_by: set[str] = set()
        async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True)) as http:
            for _ in range(40):
                async with http.get(base + "/nodeinfo/2.1") as resp:
                    assert resp.status == 200
                    served_by.add(resp.headers["X-Request-Id"][:16])
        assert len(served_by) == 2

        answered_by: set[str] = set()
        for _ in range(30):
            samples, prefix = await _scrape(base, token)
            answered_by.add(prefix)
            assert requests(samples, "/nodeinfo/{version}") == 40
            if len(answered_by) == 2:
                break
        assert answered_by == served_by  # both processes answered scrapes, with the sum

        # A stream held by one child counts while it is open; that child killed, its
        # counts stay (counters never go back) and its open stream no longer counts.
        user_token = await _token(database_url, tmp_path)
        async with AsyncExitStack() as stack, aiohttp.ClientSession() as http:
            stream = await stack.enter_async_context(http.get(
                base + "/api/v1/streaming/user",
                headers={"Authorization": f"Bearer {user_token}"}))
            assert stream.status == 200
            await stream.content.readline()
            samples, _ = await _scrape(base, token)
            assert value(samples, "dreamfeed_streaming_connections") == 1
            assert stream.connection is not None and stream.connection.transport is not None
            holder = _holder(port, stream.connection.transport.get_extra_info("sockname")[1],
                             pids)
            assert holder is not None
            slot = next(s for s, pid in _children(content).items() if pid == holder)
            os.kill(holder, signal.SIGKILL)
            await _wait_for(log, proc, f"web process {slot} was killed by SIGKILL")
        for _ in range(50):
            samples, _ = await _scrape(base, token)
            if value(samples, "dreamfeed_streaming_connections") == 0:
                break
            await asyncio.sleep(0.1)
        assert value(samples, "dreamfeed_streaming_connections") == 0
        assert requests(samples, "/nodeinfo/{version}") == 40

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "Traceback" not in log.read_text()


def test_a_shared_directory_forgets_the_live_gauges_of_gone_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator's PROMETHEUS_MULTIPROC_DIR outlives processes: at start, the open-stream
    gauges of processes that are gone are dropped; counters and live processes' stay."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    names = [f"gauge_livesum_{gone.pid}.db", f"counter_{gone.pid}.db",
             f"gauge_livesum_{os.getpid()}.db"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setenv(metrics.MULTIPROC_ENV, str(tmp_path))
    metrics.sweep_dead()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


async def test_a_worker_sharing_the_directory_shows_in_the_web_answer(
        database_url: str, tmp_path: Path) -> None:
    """docs/deploy.md: `dreamfeed serve` and `dreamfeed worker` on one machine, both given one
    PROMETHEUS_MULTIPROC_DIR: the generation the worker ran is in the web's /metrics."""
    port = free_port()
    shared = tmp_path / "metrics"
    env = cli_env(database_url, tmp_path, DREAMFEED_SERVER_PORT=str(port),
                  DREAMFEED_METRICS_ENABLED="true", DREAMFEED_METRICS_TOKEN="t",
                  DREAMFEED_JOBS_WORKERS="0", DREAMFEED_JOBS_POLL_INTERVAL="0.05",
                  PROMETHEUS_MULTIPROC_DIR=str(shared))
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        web = subprocess.Popen([DREAMFEED, "serve", "--processes", "1"], env=env,
                               stdout=subprocess.DEVNULL, stderr=stderr, cwd=tmp_path)
    worker = None
    try:
        await _wait_for(log, web, "listening on")
        worker = subprocess.Popen([DREAMFEED, "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=tmp_path)
        config = make_test_config(database_url, tmp_path)
        async with open_services(config, migrate=False) as opened, \
                image_backend_opened(opened) as services:
            user = await create_local_user(services.db.writer, config, username="gen",
                                           password="correct horse")
            await generate.request_generation(services, user.account_id, "a red kite",
                                              size="256x256")
        labels = {"backend": "embedded", "outcome": "ok"}
        for _ in range(600):
            samples, _ = await _scrape(base, "t")
            if value(samples, "dreamfeed_generation_duration_seconds_count", **labels):
                break
            assert worker.poll() is None
            await asyncio.sleep(0.1)
        assert value(samples, "dreamfeed_generation_duration_seconds_count", **labels) == 1
        assert {p.name.split("_")[-1] for p in shared.iterdir()} \
            == {f"{web.pid}.db", f"{worker.pid}.db"}
    finally:
        for proc in (worker, web):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    assert "Traceback" not in log.read_text()
