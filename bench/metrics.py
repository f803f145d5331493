"""What /metrics costs a request: CPU per request of real `dreamfeed serve` processes with
[metrics] enabled = false and = true, side by side, beside a bare aiohttp handler (the
ceiling of the same load in the same run).

    .venv/bin/python bench/metrics.py [--seconds 3] [--rounds 3] [--connections 20]
                                      [--database URL] [--redis URL]

Starts, on one database (SQLite in a temporary directory unless --database names
PostgreSQL), `dreamfeed serve` with metrics off and with metrics on, each as one process and
as `--processes 2` (the latter counts into prometheus-client's multiprocess files; SQLite
gets [streaming] redis_url, as two processes need), and the bare handler. Each endpoint
(/livez: the cheapest answer, where the middleware's share is largest; /nodeinfo/2.1) is
loaded by wrk (or this script's aiohttp client) on each server in turn, `rounds` times in
alternating order; the median round's CPU per request (the servers' user + system time from
/proc) is printed. Then the recording call alone (metrics.observe_request), in memory and in
multiprocess mode, timed in a loop. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchserve import bare_servers, cpu_seconds, free_port, serving
from discovery import client_rate, wrk_rate

ENDPOINTS = ("/livez", "/nodeinfo/2.1")
SERVERS = (("metrics off", "false", 1), ("metrics on", "true", 1),
           ("metrics off", "false", 2), ("metrics on", "true", 2))

_MICRO = """
import sys, time
from server import metrics
n = int(sys.argv[1])
started = time.perf_counter()
for _ in range(n):
    metrics.observe_request("/users/{username}", "GET", 200, 0.0042)
print((time.perf_counter() - started) / n * 1e6)
"""


def micro(calls: int, multiproc_dir: str | None) -> float:
    """Microseconds per observe_request call, in a fresh interpreter (the multiprocess
    mode is chosen when prometheus-client is imported)."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    out = subprocess.run([sys.executable, "-c", _MICRO, str(calls)], env=env, check=True,
                         capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    return float(out.stdout)


async def main(database_url: str | None, seconds: float, rounds: int, connections: int,
               redis_url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as running:
            await _measure(running, tmp, database_url, seconds, rounds, connections,
                           redis_url)


async def _measure(running: contextlib.AsyncExitStack, tmp: str, database_url: str | None,
                   seconds: float, rounds: int, connections: int, redis_url: str) -> None:
    use_wrk = shutil.which("wrk") is not None
    rate = wrk_rate if use_wrk else client_rate
    url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
    env = {"DREAMFEED_DATABASE_URL": url, "DREAMFEED_INSTANCE_DOMAIN": "bench.test",
           "DREAMFEED_INSTANCE_SCHEME": "http", "DREAMFEED_MEDIA_PATH": f"{tmp}/media",
           "DREAMFEED_RATELIMITS_ENABLED": "false", "DREAMFEED_METRICS_TOKEN": "bench"}
    if url.startswith("sqlite"):
        env["DREAMFEED_STREAMING_REDIS_URL"] = redis_url
    ports: dict[str, int] = {"bare aiohttp": free_port()}
    pids = {"bare aiohttp": await running.enter_async_context(
        bare_servers(ports["bare aiohttp"], 1))}
    # One after the other: the first migrates the database.
    for name, enabled, processes in SERVERS:
        key = f"{name}, {processes} process{'es' if processes > 1 else ''}"
        ports[key] = free_port()
        pids[key] = await running.enter_async_context(serving(
            {**env, "DREAMFEED_METRICS_ENABLED": enabled}, ports[key], processes,
            Path(tmp) / f"{len(ports)}.log"))
    print(f"database: {url.split('://')[0]}, load: {'wrk' if use_wrk else 'aiohttp'}, "
          f"{connections} connections, {seconds:g} s per run, median of {rounds} rounds, "
          f"{os.cpu_count()} cores shared with the load generator")
    for path in ENDPOINTS:
        runs: dict[str, list[tuple[float, float]]] = {key: [] for key in ports}
        for round_ in range(rounds):
            order = list(ports) if round_ % 2 == 0 else list(ports)[::-1]
            for key in order:
                target = "/" if key == "bare aiohttp" else path
                cpu = cpu_seconds(pids[key])
                got = await rate(f"http://127.0.0.1:{ports[key]}{target}", {}, seconds,
                                 connections)
                cpu = cpu_seconds(pids[key]) - cpu
                runs[key].append((cpu / max(got * seconds, 1) * 1e6, got))
        median = {key: sorted(r)[len(r) // 2] for key, r in runs.items()}
        print(f"\n{path}:")
        for key, (us, got) in median.items():
            off = median.get(key.replace("metrics on", "metrics off"))
            extra = f"   {us - off[0]:+6.0f} us/req beside off ({us / off[0]:4.2f}x)" \
                if off is not None and key.startswith("metrics on") else ""
            note = "   (ceiling)" if key == "bare aiohttp" else ""
            print(f"  {key:28s} {got:7.0f} req/s {us:6.0f} us CPU/req{extra}{note}",
                  flush=True)
    with tempfile.TemporaryDirectory() as directory:
        calls = 200_000
        started = time.perf_counter()
        in_memory, in_files = micro(calls, None), micro(calls, directory)
        print(f"\nobserve_request alone ({calls} calls, "
              f"{time.perf_counter() - started:.1f} s): {in_memory:.2f} us in memory, "
              f"{in_files:.2f} us in multiprocess mode (memory-mapped file)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379",
                        help="[streaming] redis_url for two processes on SQLite")
    args = parser.parse_args()
    asyncio.run(main(args.database, args.seconds, args.rounds, args.connections, args.redis))
