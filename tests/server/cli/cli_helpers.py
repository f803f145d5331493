"""Run the real `dreamfeed` executable of this virtualenv in a subprocess."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

DREAMFEED = str(Path(sys.executable).parent / "dreamfeed")


def cli_env(database_url: str, tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DREAMFEED_")}
    env.update({
        "DREAMFEED_DATABASE_URL": database_url,
        "DREAMFEED_INSTANCE_DOMAIN": "dreamfeed.test",
        "DREAMFEED_INSTANCE_SCHEME": "http",
        "DREAMFEED_MEDIA_PATH": str(tmp_path / "media"),
    })
    env.update(overrides)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: str = "",
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DREAMFEED, *args], input=stdin, env=env, capture_output=True,
                          text=True, timeout=60, cwd=cwd, check=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_until_up(url: str, proc: subprocess.Popen[str]) -> None:
    """Poll `url` until it answers 200, failing at once if the process behind it exits."""
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):  # a minute: a loaded CI machine migrates slowly
            if proc.poll() is not None:
                raise AssertionError(f"exited early: {proc.stderr.read() if proc.stderr else ''}")
            try:
                async with session.get(url) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not come up")
