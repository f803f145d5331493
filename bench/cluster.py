"""An instance as a cluster on this machine (issue 20): inbox and home-timeline throughput of
real `dreamfeed serve --processes N` (N = 1, then 2; `[jobs] workers = 0`) on PostgreSQL with
Redis as the bus, the jobs run by a separate `dreamfeed worker`, each beside a ceiling measured
in the same run.

    .venv/bin/python bench/cluster.py [--database URL] [--redis URL] [--activities 2000]
                                      [--concurrency 50] [--senders 20] [--posts 60]
                                      [--seconds 6] [--rounds 3] [--connections 8]
                                      [--client wrk|aiohttp]

--database names the PostgreSQL database to administer from (default
$DREAMFEED_TEST_POSTGRES_URL or postgresql+asyncpg://postgres@127.0.0.1:5432/test): a fresh
database is made beside it and dropped afterwards.

- inbox accepted/s: bench/inbox.py's signed Likes (pre-signed, from `--senders` remote actors
  served on loopback, one warm-up request each first), POSTed by a client in a process of its
  own at `--concurrency`; every answer must be 202. Ceiling: bench/inbox.py's bare aiohttp
  handler that verifies the signature and answers 202, in one process.
- inbox applied/s: the worker (`dreamfeed worker --concurrency 8`, one process) is stopped
  (SIGSTOP) while the Likes are accepted, then continued and timed until no apply job is left.
  It is the same worker for both N: the figure says whether more web processes slow it.
- home timeline req/s: authenticated GET /api/v1/timelines/home?limit=20 (alice follows bob,
  who has `--posts` posts with an image each) by wrk (or an aiohttp client without it) with
  `--connections`, median of `--rounds` runs of `--seconds`; and one page's latency alone
  (median of 5 sequential requests after a warm-up). Ceiling: a bare aiohttp JSON
  handler in N processes on one port (bench/benchserve.py), as bench/metrics.py uses.

Figures, not assertions: the load generator shares the machine's cores; run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from benchapp import make_images
from benchdb import database, postgres_reachable
from benchserve import bare_servers, dreamfeed, free_port, serving
from discovery import client_rate, wrk_rate
from inbox import (
    DEFAULT_POSTGRES,
    DOMAIN,
    Client,
    Fired,
    Prepared,
    Sender,
    actor_document,
    ceiling_app,
    make_senders,
    remote_app,
    serve,
    sign_likes,
)
from sqlalchemy import func, select

from server import appkeys
from server.app import create_app
from server.config import build_config
from server.services.accounts.users import create_local_user
from server.services.federation.inbound.inbox_writer import APPLY_ACTIVITY
from server.services.oauth import apps, tokens
from server.services.social.follows import follow
from server.services.statuses.posts import NewStatus, create_status
from storage.database import make_engine
from storage.migrate import upgrade
from storage.models import Job

HOME = "/api/v1/timelines/home?limit=20"
WORKER_CONCURRENCY = 8


async def load(url: str, media: Path, posts: int) -> str:
    """Migrate; alice follows bob, who posts `posts` images; alice's bearer token."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    config = build_config({
        "instance": {"domain": DOMAIN, "scheme": "http"}, "database": {"url": url},
        "media": {"path": str(media)}, "jobs": {"workers": 0},
        "generator": {"daily_limit": 100_000}, "ratelimits": {"enabled": False}})
    app = create_app(config, migrate=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # the app's startup, no socket: its services and worker pool
    try:
        services = app[appkeys.SERVICES]
        alice = await create_local_user(services.db.writer, config, username="alice",
                                        password="bench password")
        bob = await create_local_user(services.db.writer, config, username="bob",
                                      password="bench password")
        await follow(services, "alice", f"bob@{DOMAIN}")
        for media_id in await make_images(app, bob.account_id, posts):
            await create_status(services, "bob", NewStatus(media_ids=[media_id],
                                                           caption="a cluster bench post"))
        await app[appkeys.WORKER_POOL].run_until_empty()
        client = await apps.register_app(services, name="bench",
                                         redirect_uris=[apps.OOB_REDIRECT],
                                         scopes="read write", website=None)
        issued = await tokens.issue_token(services, client.id, alice.user_id,
                                          frozenset({"read", "write"}))
        return issued.access_token
    finally:
        await runner.cleanup()


async def apply_jobs_left(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            stmt = select(func.count()).select_from(Job).where(Job.kind == APPLY_ACTIVITY)
            return int((await conn.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()


async def drain(url: str) -> None:
    """Returns once no apply job is left."""
    while True:
        if not await apply_jobs_left(url):
            return
        await asyncio.sleep(0.02)


async def warm_up(base: str, warmup: list[Prepared]) -> None:
    """One Like per sender: each sender's key is fetched and stored before timing."""
    async with aiohttp.ClientSession() as session:
        for path, headers, body in warmup:
            async with session.post(base + path, data=body, headers=headers) as resp:
                if resp.status != 202:
                    raise SystemExit(f"warm-up refused: {resp.status} {await resp.text()}")


async def home_rate(base: str, token: str, args: argparse.Namespace) -> tuple[float, float]:
    """(req/s under load, ms of one request alone: the median of 5 after a warm-up)."""
    rate = wrk_rate if use_wrk(args) else client_rate
    auth = {"Authorization": f"Bearer {token}"}
    alone: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(6):
            started = time.perf_counter()
            async with session.get(base, headers=auth) as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise SystemExit(f"home timeline: {resp.status} {body[:300]!r}")
            alone.append((time.perf_counter() - started) * 1000)
    loaded = statistics.median([await rate(base, auth, args.seconds, args.connections)
                                for _ in range(args.rounds)])
    return loaded, statistics.median(alone[1:])


async def bare_rate(processes: int, args: argparse.Namespace) -> float:
    rate = wrk_rate if use_wrk(args) else client_rate
    port = free_port()
    async with bare_servers(port, processes):
        return statistics.median([await rate(f"http://127.0.0.1:{port}/", {}, args.seconds,
                                             args.connections) for _ in range(args.rounds)])


def use_wrk(args: argparse.Namespace) -> bool:
    return args.client == "wrk" and shutil.which("wrk") is not None


def row(name: str, accepted: Fired | None, applied: float | None, home: float,
        alone_ms: float | None = None) -> str:
    acc = f"{accepted.per_second():9,.0f} {accepted.failures:8d}" if accepted else \
        f"{'-':>9s} {'-':>8s}"
    app = f"{applied:10,.0f}" if applied is not None else f"{'-':>10s}"
    ms = f"{alone_ms:10.0f}" if alone_ms is not None else f"{'-':>10s}"
    return f"{name:34s} {acc} {app} {home:10,.1f} {ms}"


async def main(args: argparse.Namespace) -> None:
    reason = await postgres_reachable(args.database)
    if reason is not None:
        raise SystemExit(f"PostgreSQL at {args.database} is not reachable: {reason}")
    try:
        await aioredis.Redis.from_url(args.redis, socket_connect_timeout=2).ping()
    except (OSError, aioredis.RedisError) as exc:
        raise SystemExit(f"Redis at {args.redis} does not answer: {exc}") from None

    docs: dict[str, dict[str, object]] = {}
    remote_runner, remote_port = await serve(remote_app(docs))
    # 127.0.0.1: the web processes resolve names for real, so no *.test host for the senders.
    senders = make_senders(args.senders, f"http://127.0.0.1:{remote_port}")
    docs.update({s.actor.rpartition("/")[2]: actor_document(s) for s in senders})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with database(args.database, Path(tmp)) as url:
                await run(args, url, Path(tmp), senders)
    finally:
        await remote_runner.cleanup()


async def run(args: argparse.Namespace, url: str, tmp: Path, senders: list[Sender]) -> None:
    started = time.perf_counter()
    token = await load(url, tmp / "media", args.posts)
    env = {"DREAMFEED_DATABASE_URL": url, "DREAMFEED_INSTANCE_DOMAIN": DOMAIN,
           "DREAMFEED_INSTANCE_SCHEME": "http", "DREAMFEED_MEDIA_PATH": str(tmp / "media"),
           "DREAMFEED_RATELIMITS_ENABLED": "false", "DREAMFEED_JOBS_WORKERS": "0",
           "DREAMFEED_JOBS_POLL_INTERVAL": "0.1", "DREAMFEED_STREAMING_REDIS_URL": args.redis,
           "DREAMFEED_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true"}
    batches = {n: (sign_likes(senders, args.activities, f"web{n}"),
                   sign_likes(senders, len(senders), f"warm{n}")) for n in (1, 2)}
    print(f"loaded and {2 * args.activities} Likes pre-signed in "
          f"{time.perf_counter() - started:.0f}s; {args.posts} posts in alice's home; "
          f"PostgreSQL {url.rsplit('@', 1)[-1].split('/')[0]}, Redis bus; "
          f"{os.cpu_count()} CPUs shared by the servers, the worker and the load generators; "
          f"home by {'wrk' if use_wrk(args) else 'an aiohttp client in this process'}", flush=True)

    with (tmp / "worker.log").open("wb") as log:
        worker = dreamfeed(None, "worker", "--concurrency", str(WORKER_CONCURRENCY), env=env,
                           stdout=subprocess.DEVNULL, stderr=log)
    lines: list[str] = []
    try:
        ceiling_client = Client(batches[1][0])
        await ceiling_client.ready()
        ceiling_runner, ceiling_port = await serve(ceiling_app(senders))
        try:
            ceiling = await ceiling_client.fire(f"http://127.0.0.1:{ceiling_port}",
                                                args.concurrency)
        finally:
            await ceiling_runner.cleanup()
            ceiling_client.close()
        lines.append(row("ceiling: bare verify, 1 process", ceiling, None,
                         await bare_rate(1, args)))
        for n in (1, 2):
            timed, warmup = batches[n]
            client = Client(timed)
            await client.ready()
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            async with serving(env, port, n, tmp / f"serve{n}.log"):
                await warm_up(base, warmup)
                await drain(url)
                worker.send_signal(signal.SIGSTOP)  # accepted/s first, then applied/s
                try:
                    fired = await client.fire(base, args.concurrency)
                finally:
                    worker.send_signal(signal.SIGCONT)
                continued = time.perf_counter()
                await drain(url)
                applied = len(timed) / (time.perf_counter() - continued)
                client.close()
                home, alone_ms = await home_rate(base + HOME, token, args)
            if n == 2:
                lines.append(row("ceiling: bare aiohttp, 2 processes", None, None,
                                 await bare_rate(2, args)))
            lines.append(row(f"dreamfeed serve, {n} web process{'es' if n > 1 else ''}",
                             fired, applied, home, alone_ms))
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.to_thread(worker.wait, 60)

    print(f"\n{'':34s} {'inbox':>9s} {'non-202':>8s} {'inbox':>10s} {'home':>10s} "
          f"{'home ms':>10s}")
    print(f"{'':34s} {'accept/s':>9s} {'':8s} {'applied/s':>10s} {'req/s':>10s} "
          f"{'alone':>10s}")
    for line in lines:
        print(line)
    print("\nceilings: inbox, bench/inbox.py's handler that only verifies the signature; "
          "home, a bare aiohttp JSON handler (bench/benchserve.py) in as many processes.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default=DEFAULT_POSTGRES)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--posts", type=int, default=60)
    # Long enough for a home page to finish under load on a busy machine (wrk counts only
    # the requests done within the run).
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--client", choices=("wrk", "aiohttp"), default="wrk",
                        help="the home timeline's load (aiohttp: this process's own client)")
    asyncio.run(main(parser.parse_args()))
