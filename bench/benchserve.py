"""A real `dreamfeed serve` process for the benchmarks that measure the server as it runs
(its memory is its own, not the bench's): start it, wait for it, read its RSS."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
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
