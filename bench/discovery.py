"""Requests per second for what remote servers and anonymous visitors hit most, beside a bare
aiohttp JSON handler measured by the same load generator in the same run (the ceiling).

    .venv/bin/python bench/discovery.py [--seconds 4] [--connections 50] [--database URL]

Starts the real app on a loopback port (SQLite in a temporary directory unless --database
names PostgreSQL; rate limits off; request log lines formatted as `dreamfeed serve` does,
written to /dev/null), creates alice with one post, then loads each endpoint for a few
seconds, each right after the bare handler (its ceiling in that moment): WebFinger, NodeInfo,
the actor, the instance API document, the public profile page, the post page and the RSS
feed. The load generator is wrk (Debian's
`wrk` package) when installed, else this script's own aiohttp client (slower: the figures are
then bounded by the client). Prints req/s of each beside the ceiling, and this process's RSS
(it is the web process: the load comes from outside it) idle and after. Figures, not
assertions.

    .venv/bin/python bench/discovery.py --processes 2 [--rounds 3] [--seconds 2] [--database URL]

compares real `dreamfeed serve --processes 1` and `--processes N` instances on one database
(SQLite gets [streaming] redis_url, --redis), beside the bare handler in 1 and N processes
sharing a port: req/s, the cores the web processes got and their CPU per request, median
of --rounds alternating rounds, and each web process's RSS idle and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from benchapp import loopback_app, make_images
from benchdb import database
from benchserve import bare_servers, cpu_seconds, free_port, serving, status_kb

from server import appkeys
from server.logs import setup_logging
from server.services.accounts.users import create_local_user
from server.services.statuses.posts import NewStatus, create_status

ACTIVITY = {"Accept": "application/activity+json"}


def endpoints(domain: str, post_path: str) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "webfinger": (f"/.well-known/webfinger?resource=acct:alice@{domain}", {}),
        "nodeinfo": ("/nodeinfo/2.1", {}),
        "actor": ("/users/alice", ACTIVITY),
        "instance": ("/api/v2/instance", {}),
        "profile": ("/@alice", {}),
        "post": (post_path, {}),
        "rss": ("/@alice.rss", {}),
    }


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def bare_site() -> tuple[web.AppRunner, str]:
    """The ceiling: a JSON handler with nothing behind it, in this process and loop."""
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"subject": "acct:alice@bench", "links": []})

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/"


_WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_BAD = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


async def wrk_rate(url: str, headers: dict[str, str], seconds: float,
                   connections: int) -> float:
    """req/s by wrk (run as a subprocess, so this process's loop keeps serving)."""
    # A generous timeout: a slow page still counts as done, not as a socket error.
    args = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    proc = await asyncio.create_subprocess_exec(*args, url, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    out = (await proc.communicate())[0].decode()
    bad = _WRK_BAD.search(out)
    found = _WRK_RATE.search(out)
    if found is None or bad is not None:
        raise SystemExit(f"wrk failed on {url}:\n{out}")
    return float(found.group(1))


async def client_rate(url: str, headers: dict[str, str], seconds: float,
                      connections: int) -> float:
    """req/s by this process's own aiohttp client (when wrk is not installed)."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with session.get(url, headers=headers) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            done += 1

    started = time.perf_counter()
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections)) as session:
        await asyncio.gather(*(worker(session) for _ in range(connections)))
    return done / (time.perf_counter() - started)


async def seed(app: web.Application) -> str:
    """alice with one post (one generated image); the post page's path."""
    services = app[appkeys.SERVICES]
    alice = await create_local_user(services.db.writer, services.config, username="alice",
                                    password="bench password")
    media = await make_images(app, alice.account_id, 1)
    view = await create_status(services, "alice",
                               NewStatus(media_ids=media, caption="A bench landscape"))
    return f"/@alice/{view.id}"


def quiet_request_log() -> None:
    """Log each request as `dreamfeed serve` does (INFO, text), into /dev/null: the
    formatting is paid, the terminal is not."""
    setup_logging("INFO", "text")
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the process's life


async def one_process(database_url: str | None, seconds: float, connections: int) -> None:
    use_wrk = shutil.which("wrk") is not None
    rate = wrk_rate if use_wrk else client_rate
    quiet_request_log()
    with tempfile.TemporaryDirectory() as tmp:
        async with database(database_url, Path(tmp)) as url, \
                loopback_app(url, Path(tmp), backlog=1024) as (app, base):
            post_path = await seed(app)
            bare, bare_url = await bare_site()
            print(f"database: {url.split('://')[0]}, load: "
                  f"{'wrk' if use_wrk else 'aiohttp client'}, {connections} connections, "
                  f"{seconds:g} s per endpoint; one process")
            idle = rss_kb()
            # The ceiling is measured again just before each endpoint: on a shared machine
            # the load of others changes from one window to the next.
            print(f"{'':12s} {'req/s':>9s} {'ceiling':>9s}   share")
            domain = app[appkeys.CONFIG].instance.domain
            for name, (path, headers) in endpoints(domain, post_path).items():
                ceiling = await rate(bare_url, {}, seconds, connections)
                got = await rate(base + path, headers, seconds, connections)
                print(f"{name:12s} {got:9.0f} {ceiling:9.0f}   {got / ceiling * 100:5.1f} %")
            await bare.cleanup()
            print(f"web process RSS: idle {idle / 1024:.0f} MiB, after "
                  f"{rss_kb() / 1024:.0f} MiB")


async def compare_processes(database_url: str | None, seconds: float, connections: int,
                            processes: int, redis_url: str, rounds: int) -> None:
    """req/s of each endpoint from a real `dreamfeed serve --processes 1` and one with
    `--processes N`, beside the bare handler in 1 and N processes (the scaling this machine
    allows with the load generator on the same cores), and the CPU the web processes spent:
    cores busy, and ms of CPU per request (what scaling out cannot change). All four run at
    once on ports of their own; each endpoint is loaded on one then the other, `rounds`
    times in alternating order, so a shared machine's drift falls on both sides alike; the
    median round is printed. SQLite gets `redis_url` for its bus, as several processes need."""
    use_wrk = shutil.which("wrk") is not None
    rate = wrk_rate if use_wrk else client_rate
    with tempfile.TemporaryDirectory() as tmp:
        async with database(database_url, Path(tmp)) as url, \
                contextlib.AsyncExitStack() as running:
            port = free_port()
            async with loopback_app(url, Path(tmp), port=port) as (app, _):
                post_path = await seed(app)
                domain = app[appkeys.CONFIG].instance.domain
            # Both instances serve the one database under the domain it was seeded with.
            env = {"DREAMFEED_DATABASE_URL": url, "DREAMFEED_INSTANCE_DOMAIN": domain,
                   "DREAMFEED_INSTANCE_SCHEME": "http", "DREAMFEED_INSTANCE_NAME": "Bench",
                   "DREAMFEED_MEDIA_PATH": str(Path(tmp) / "media"),
                   "DREAMFEED_RATELIMITS_ENABLED": "false"}
            if url.startswith("sqlite"):
                env["DREAMFEED_STREAMING_REDIS_URL"] = redis_url
            counts = (1, processes)
            ports = {("bare", n): free_port() for n in counts}
            ports |= {("serve", n): port if n == 1 else free_port() for n in counts}
            pids: dict[tuple[str, int], list[int]] = {}
            for n in counts:
                pids["bare", n] = await running.enter_async_context(
                    bare_servers(ports["bare", n], n))
                pids["serve", n] = await running.enter_async_context(
                    serving(env, ports["serve", n], n, Path(tmp) / f"serve-{n}.log"))
            idle = {n: [status_kb(pid, "VmRSS") for pid in pids["serve", n]] for n in counts}
            print(f"database: {url.split('://')[0]}, load: "
                  f"{'wrk' if use_wrk else 'aiohttp client'}, {connections} connections, "
                  f"{seconds:g} s per endpoint and round, median of {rounds} rounds; "
                  f"dreamfeed serve --processes 1 and {processes}, on {os.cpu_count()} cores "
                  "shared with the load generator")
            print(f"{'':12s} {'1 process':>26s} {f'{processes} processes':>26s}   "
                  "ratio req/s  CPU/req")
            targets = {"bare aiohttp": ("/", {}), **endpoints(domain, post_path)}
            for name, (path, headers) in targets.items():
                kind = "bare" if name == "bare aiohttp" else "serve"
                runs: dict[int, list[tuple[float, float, float]]] = {n: [] for n in counts}
                for round_ in range(rounds):
                    for n in counts if round_ % 2 == 0 else counts[::-1]:
                        cpu, wall = cpu_seconds(pids[kind, n]), time.perf_counter()
                        got = await rate(f"http://127.0.0.1:{ports[kind, n]}{path}", headers,
                                         seconds, connections)
                        cpu = cpu_seconds(pids[kind, n]) - cpu
                        wall = time.perf_counter() - wall
                        runs[n].append((got, cpu / wall, cpu / max(got * seconds, 1) * 1000))
                one, many = (sorted(runs[n])[len(runs[n]) // 2] for n in counts)
                note = "   (ceiling)" if kind == "bare" else ""
                print(f"{name:12s} " + " ".join(
                    f"{r:7.0f} r/s {c:4.2f} cores {ms:5.2f} ms" for r, c, ms in (one, many))
                    + f"   {many[0] / one[0]:5.2f}x     {many[2] / one[2]:5.2f}x{note}",
                    flush=True)
            for n in counts:
                after = [status_kb(pid, "VmRSS") for pid in pids["serve", n]]
                print(f"--processes {n}: RSS per web process idle "
                      f"{', '.join(f'{kb / 1024:.0f}' for kb in idle[n])} MiB, after "
                      f"{', '.join(f'{kb / 1024:.0f}' for kb in after)} MiB")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--database", help="sqlite (default) or a PostgreSQL URL")
    parser.add_argument("--processes", type=int, metavar="N",
                        help="compare dreamfeed serve --processes 1 and N (real processes)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379",
                        help="[streaming] redis_url for N processes on SQLite")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --processes: rounds per endpoint (the median is shown)")
    args = parser.parse_args()
    if args.processes:
        asyncio.run(compare_processes(args.database, args.seconds, args.connections,
                                      args.processes, args.redis, args.rounds))
    else:
        asyncio.run(one_process(args.database, args.seconds, args.connections))
