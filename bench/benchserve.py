"""A real `dreamfeed serve` process for the benchmarks that measure the server as it runs
(its memory is its own, not the bench's): start it, wait for it, read its RSS; with
`--processes N`, all its web processes, and a bare aiohttp handler in as many processes on
one port for the ceiling."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def status_kb(pid: int, field: str) -> int:
    """A /proc/PID/status figure in KB (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def dreamfeed(config: Path | None, *args: str, env: dict[str, str] | None = None,
              **kwargs: Any) -> subprocess.Popen[bytes]:
    """The `dreamfeed` command of this venv, with `config` as DREAMFEED_CONFIG and `env`
    added to the environment."""
    full = {**os.environ, **(env or {})}
    if config is not None:
        full["DREAMFEED_CONFIG"] = str(config)
    return subprocess.Popen([str(Path(sys.executable).parent / "dreamfeed"), *args], env=full,
                            **kwargs)


async def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.poll() is not None:
                raise SystemExit("the server exited at start")
            try:
                async with session.get(base + "/nodeinfo/2.1") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (/proc/PID/stat), in seconds."""
    ticks = 0
    for pid in pids:
        # Fields after the command name (which may hold spaces): utime and stime are 14, 15.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def child_pids(log: str) -> list[int]:
    """The latest pid of each web process `dreamfeed serve --processes N` started, from
    its log (the supervisor logs `web process K started child_pid=PID`)."""
    latest = dict(re.findall(r"web process (\d+) started child_pid=(\d+)", log))
    return [int(pid) for _, pid in sorted(latest.items())]


def _read(log: Path) -> str:
    return log.read_text()


@asynccontextmanager
async def serving(env: dict[str, str], port: int, processes: int,
                  log: Path) -> AsyncIterator[list[int]]:
    """A real `dreamfeed serve --processes N` on 127.0.0.1:`port` (its stderr, request log
    lines included, in the file `log`); yields the pids of its web processes once every one
    listens, and stops it with SIGTERM on exit."""
    with log.open("wb") as stderr:
        server = dreamfeed(None, "serve", "--host", "127.0.0.1", "--port", str(port),
                           "--processes", str(processes), env=env,
                           stdout=subprocess.DEVNULL, stderr=stderr)
    ready = f"all {processes} web processes ready" if processes > 1 else "listening on"
    try:
        for _ in range(3000):
            if ready in _read(log):
                break
            if server.poll() is not None:
                raise SystemExit(f"dreamfeed serve exited at start:\n{_read(log)[-2000:]}")
            await asyncio.sleep(0.1)
        else:
            raise SystemExit("dreamfeed serve did not start")
        yield child_pids(_read(log)) if processes > 1 else [server.pid]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(server.wait, 90)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


_BARE = """
import sys
from aiohttp import web

async def hello(request):
    return web.json_response({"subject": "acct:alice@bench", "links": []})

app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), reuse_port=True, access_log=None,
            print=lambda *_: print("ready", flush=True))
"""


@asynccontextmanager
async def bare_servers(port: int, processes: int) -> AsyncIterator[list[int]]:
    """The ceiling beside `serving`: a JSON handler with nothing behind it, in `processes`
    processes sharing `port` as the web processes do (SO_REUSEPORT); yields their pids."""
    started = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", _BARE, str(port), stdout=asyncio.subprocess.PIPE)
        for _ in range(processes)]
    try:
        for proc in started:
            assert proc.stdout is not None
            if (await proc.stdout.readline()).strip() != b"ready":
                raise SystemExit("a bare aiohttp server did not start")
        yield [proc.pid for proc in started]
    finally:
        for proc in started:
            proc.send_signal(signal.SIGINT)
        for proc in started:
            await proc.wait()
