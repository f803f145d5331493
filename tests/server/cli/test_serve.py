"""`dreamfeed serve` as a real process: it answers, logs each request, and stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import aiohttp

from tests.server.cli.cli_helpers import DREAMFEED, cli_env, free_port, wait_until_up


async def test_serve_answers_and_stops_cleanly(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = cli_env(database_url, tmp_path, DREAMFEED_SERVER_PORT=str(port))
    proc = subprocess.Popen([DREAMFEED, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_up(base + "/", proc)
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/nodeinfo/2.1") as resp:
                assert resp.status == 200
                assert (await resp.json(content_type=None))["software"]["name"] == "dreamfeed"
            async with session.get(base + "/actor",
                                   headers={"Accept": "application/activity+json"}) as resp:
                assert (await resp.json(content_type=None))["id"] == "http://dreamfeed.test/actor"
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Traceback" not in stderr
    request_lines = [line for line in stderr.splitlines() if "GET /nodeinfo/2.1" in line]
    assert len(request_lines) == 1
    assert "request_id=" in request_lines[0] and "status=200" in request_lines[0]
    assert "shutting down" in stderr
