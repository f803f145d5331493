"""Real `dreamfeed serve` and `dreamfeed worker` processes on one database, for the tests of
several processes (tests/server/cli/test_cluster_agreement.py, tests/federation/
test_cluster.py): start and stop them, wait for what they do, read the shared database."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import text

from storage.database import make_engine
from tests.server.cli.cli_helpers import DREAMFEED, wait_until_up

REDIS_URL = "redis://127.0.0.1:6379/0"


def _terminate(procs: list[subprocess.Popen[str]]) -> list[str]:
    """SIGTERM to all at once (they stop side by side), SIGKILL to any still running 20 s
    later; each process's stderr."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    errors = []
    for proc in procs:
        try:
            _, stderr = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        errors.append(stderr or "")
    return errors


@asynccontextmanager
async def serving(env: dict[str, str], cwd: Path, ports: list[int],
                  **overrides: str) -> AsyncIterator[list[str]]:
    """A `dreamfeed serve` on 127.0.0.1 at each of `ports`, started side by side; yields
    their base URLs once all answer. Each must stop without a traceback."""
    procs = [subprocess.Popen([DREAMFEED, "serve"],
                              env={**env, "DREAMFEED_SERVER_PORT": str(port), **overrides},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              cwd=cwd) for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base, proc in zip(bases, procs, strict=True):
            await wait_until_up(base + "/", proc)
        yield bases
    finally:
        for stderr in _terminate(procs):
            assert "Traceback" not in stderr, stderr


@asynccontextmanager
async def serve(env: dict[str, str], cwd: Path, port: int,
                **overrides: str) -> AsyncIterator[str]:
    """One `dreamfeed serve` on 127.0.0.1:`port`; yields its base URL once it answers."""
    async with serving(env, cwd, [port], **overrides) as [base]:
        yield base


@asynccontextmanager
async def workers(env: dict[str, str], cwd: Path, count: int,
                  concurrency: int = 2) -> AsyncIterator[list[subprocess.Popen[str]]]:
    """`count` `dreamfeed worker` processes (one process each, so a job's `locked_by` names
    the Popen's pid). A test may SIGKILL some; the others must stop without a traceback."""
    procs = [subprocess.Popen([DREAMFEED, "worker", "--concurrency", str(concurrency)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, cwd=cwd) for _ in range(count)]
    try:
        yield procs
    finally:
        killed = [proc.poll() == -signal.SIGKILL for proc in procs]
        for was_killed, stderr in zip(killed, _terminate(procs), strict=True):
            assert was_killed or "Traceback" not in stderr, stderr


async def require_redis() -> None:
    """Skip, with the reason, where no Redis answers at REDIS_URL."""
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        pytest.skip(f"the processes share the bus through Redis at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()


async def within(seconds: float, check: Callable[[], Awaitable[bool]], what: str) -> float:
    """Poll `check` until it holds; fail after `seconds`. Returns how long it took."""
    start = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - start
        if time.monotonic() - start > seconds:
            raise AssertionError(f"{what}: not within {seconds} s")
        await asyncio.sleep(0.05)


async def scalar(database_url: str, sql: str, **params: Any) -> Any:
    """One value from the shared database, read outside every process under test."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()
    finally:
        await engine.dispose()
