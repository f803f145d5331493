"""Requests per second for the discovery endpoints remote servers hit most.

    .venv/bin/python bench/discovery.py [--requests 2000] [--concurrency 20] [--database URL]

Starts a real instance on a loopback port (SQLite in a temporary directory unless --database
is given), creates one user, then fires WebFinger, actor and NodeInfo requests and prints the
throughput and latency percentiles of each. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from server import appkeys
from server.app import create_app
from server.config import build_config
from server.services.accounts.users import create_local_user

ENDPOINTS = {
    "webfinger": ("/.well-known/webfinger?resource=acct:alice@bench.test", {}),
    "actor": ("/users/alice", {"Accept": "application/activity+json"}),
    "nodeinfo": ("/nodeinfo/2.1", {}),
}


async def _fire(url: str, headers: dict[str, str], total: int, concurrency: int
                ) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        for _ in queue:
            started = time.perf_counter()
            async with session.get(url, headers=headers) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


async def main(requests: int, concurrency: int, database: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        config = build_config({"instance": {"domain": "bench.test", "scheme": "http"},
                               "database": {"url": url}, "media": {"path": tmp},
                               "jobs": {"workers": 0}})
        app = create_app(config)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        await create_local_user(app[appkeys.DATABASE].writer, config, username="alice",
                                password="bench password")
        print(f"database: {url.split('://')[0]}, {requests} requests per endpoint, "
              f"concurrency {concurrency}")
        for name, (path, headers) in ENDPOINTS.items():
            elapsed, lat = await _fire(f"http://127.0.0.1:{port}{path}", headers, requests,
                                       concurrency)
            lat.sort()
            print(f"{name:10s} {requests / elapsed:8.0f} req/s   "
                  f"p50 {statistics.median(lat) * 1000:6.1f} ms   "
                  f"p99 {lat[int(len(lat) * 0.99) - 1] * 1000:6.1f} ms")
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--database")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency, args.database))
