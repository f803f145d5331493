"""`dreamfeed generate` and `dreamfeed generator serve` as real processes."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import aiohttp
import openai

from tests.server.cli.cli_helpers import DREAMFEED, cli_env, free_port, run_cli, wait_until_up


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    return stderr


async def test_generate_command(tmp_path: Path) -> None:
    # SQLite only: the service underneath runs on both databases in test_generation.
    env = cli_env(f"sqlite+aiosqlite:///{tmp_path / 'dreamfeed.db'}", tmp_path)
    assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                   stdin="a long password\n").returncode == 0
    result = run_cli(["generate", "alice", "--prompt", "snowy mountains over a lake",
                      "--size", "256x256", "--seed", "4"], env)
    assert result.returncode == 0, result.stderr
    assert "done (style landscape, seed 4)" in result.stdout
    assert "http://dreamfeed.test/media/" in result.stdout
    assert "/image.jpg  256x256" in result.stdout
    assert len(list((tmp_path / "media" / "renditions").glob("*/*-image.jpg"))) == 1

    refused = run_cli(["generate", "alice", "--prompt", "  "], env)
    assert refused.returncode == 1 and "the prompt is empty" in refused.stderr
    nobody = run_cli(["generate", "nobody", "--prompt", "x"], env)
    assert nobody.returncode == 1 and "no local user named 'nobody'" in nobody.stderr


async def test_serve_with_no_configuration_serves_generated_media(tmp_path: Path) -> None:
    """What `make run` does: the defaults, an embedded generator, media served."""
    port = free_port()
    env = cli_env(f"sqlite+aiosqlite:///{tmp_path / 'dreamfeed.db'}", tmp_path,
                  DREAMFEED_SERVER_PORT=str(port))
    proc = subprocess.Popen([DREAMFEED, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_until_up(base + "/", proc)
        assert run_cli(["user", "add", "alice", "--password-stdin"], env,
                       stdin="a long password\n").returncode == 0
        result = run_cli(["generate", "alice", "--prompt", "a pink planet", "--size",
                          "128x128"], env)
        assert result.returncode == 0, result.stderr
        url = next(word for word in result.stdout.split() if word.endswith("/image.jpg"))
        path = url.removeprefix("http://dreamfeed.test")
        async with aiohttp.ClientSession() as session, session.get(base + path) as resp:
            assert resp.status == 200 and resp.content_type == "image/jpeg"
    finally:
        stderr = _stop(proc)
    assert "Traceback" not in stderr


async def test_generator_serve_command(tmp_path: Path) -> None:
    port = free_port()
    env = cli_env("sqlite+aiosqlite:///unused.db", tmp_path,
                  DREAMFEED_GENERATOR_TOKEN="from-the-environment")
    proc = subprocess.Popen([DREAMFEED, "generator", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=tmp_path)
    try:
        await wait_until_up(f"http://127.0.0.1:{port}/health", proc)
        async with openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1",
                                      api_key="from-the-environment", max_retries=0) as client:
            response = await client.images.generate(prompt="a nebula", size="64x64")
            assert response.data and response.data[0].b64_json
    finally:
        stderr = _stop(proc)
    assert "POST /v1/images/generations" in stderr  # one access-log line per request
