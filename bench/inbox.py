"""Signed activities accepted (202 after a durable write) and applied per second, beside the
ceiling of a bare aiohttp handler that only verifies one RSA signature, in the same run.

    .venv/bin/python bench/inbox.py [--database URL] [--activities 2000] [--concurrency 50]
                                    [--senders 20] [--workers 8] [--profile FILE]
                                    [--posts-exist]

Without --database it runs on SQLite (a temporary directory) and then on PostgreSQL at
$DREAMFEED_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test) when
a server answers there. `--database sqlite` (a temporary file) or a sqlite+aiosqlite:/// URL runs
on SQLite only; a PostgreSQL URL runs on PostgreSQL only and names the database to connect to
for administration: a fresh database is created beside it for the run and dropped afterwards.

How: a fake remote server (an aiohttp app on loopback, reached as `senders.test:PORT` through a
test resolver) serves `--senders` actors with RSA-2048 keys. Every `Like` of a local post is
signed (cavage, as Mastodon sends) before anything is timed. A client in a separate process
then POSTs them to `/users/alice/inbox` at `--concurrency`:

- ceiling: a bare aiohttp app that parses the Signature header, checks the digest and verifies
  the RSA signature with the key already loaded, then answers 202. No JSON, no database.
- accepted/s: a real instance (jobs.workers = 0), after one warm-up request per sender has put
  every key in its cache; every answer must be 202 (anything else is counted as a failure).
- applied/s: a WorkerPool of `--workers` tasks is started and timed until the queue is empty
  and every stored activity is applied (a Like of a local post is stored and marked ignored:
  the full apply path, no handler work). With --posts-exist the liked posts exist, so every
  Like writes (a favourite, the post's counter, a notification): the handler's own cost.

Figures, not assertions; the machine running it is likely shared, so run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import multiprocessing
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from benchdb import database, postgres_reachable
from sqlalchemy import func, select

from activitypub.keys import generate_rsa_keypair
from activitypub.signatures import load_public_key, parse_request_signature, sign_cavage
from activitypub.vocab import ACTIVITY_JSON
from server import appkeys
from server.app import create_app
from server.config import build_config
from server.jobs.handlers import default_registry
from server.jobs.worker import WorkerPool
from server.services.accounts.users import create_local_user
from server.services.federation.inbound.inbox_writer import APPLY_ACTIVITY
from storage.models import Account, InboxActivity, Job, Status

DOMAIN = "bench.test"  # our instance's public host; requests carry it in Host
INBOX_PATH = "/users/alice/inbox"
DEFAULT_POSTGRES = os.environ.get("DREAMFEED_TEST_POSTGRES_URL",
                                  "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

# One prepared request: (path, headers, body).
Prepared = tuple[str, dict[str, str], bytes]


class LoopbackResolver(AbstractResolver):
    """Every *.test host name resolves to 127.0.0.1."""

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if not host.endswith(".test"):
            raise OSError(f"no such bench host {host}")
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        pass


# --- the client, in a process of its own ---------------------------------------------------


async def _fire(base: str, requests: list[Prepared], concurrency: int) -> dict[str, Any]:
    statuses: collections.Counter[int | str] = collections.Counter()
    latencies: list[float] = []
    pending = iter(requests)

    async def worker(session: aiohttp.ClientSession) -> None:
        for path, headers, body in pending:
            started = time.perf_counter()
            try:
                async with session.post(base + path, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "statuses": dict(statuses), "latencies": latencies}


def client_process(conn: Connection) -> None:
    """Receives the prepared requests once, then fires them at each base URL it is sent."""
    requests: list[Prepared] = conn.recv()
    conn.send("ready")
    while (job := conn.recv()) is not None:
        base, concurrency = job
        conn.send(asyncio.run(_fire(base, requests, concurrency)))


@dataclass
class Fired:
    elapsed: float
    statuses: dict[int | str, int]
    latencies: list[float]
    server_cpu: float  # CPU seconds of the serving process (all its threads) meanwhile

    @property
    def ok(self) -> int:
        return self.statuses.get(202, 0)

    @property
    def failures(self) -> int:
        return sum(self.statuses.values()) - self.ok

    def per_second(self) -> float:
        return len(self.latencies) / self.elapsed

    def cpu_ms(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


class Client:
    def __init__(self, requests: list[Prepared]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=client_process, args=(child,), daemon=True)
        self._process.start()
        self._conn.send(requests)

    async def ready(self) -> None:
        assert await asyncio.to_thread(self._conn.recv) == "ready"

    async def fire(self, base: str, concurrency: int) -> Fired:
        """Fire every request at `base`; also measures this (the server's) process's CPU."""
        cpu = time.process_time()
        self._conn.send((base, concurrency))
        result = await asyncio.to_thread(self._conn.recv)
        return Fired(result["elapsed"], result["statuses"], result["latencies"],
                     time.process_time() - cpu)

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(10)


# --- the remote senders -------------------------------------------------------------------


@dataclass
class Sender:
    actor: str
    key_id: str
    private_pem: str
    public_pem: str


def make_senders(count: int, origin: str) -> list[Sender]:
    senders = []
    for i in range(count):
        keys = generate_rsa_keypair(2048)
        actor = f"{origin}/users/s{i:02d}"
        senders.append(Sender(actor, f"{actor}#main-key", keys.private_pem, keys.public_pem))
    return senders


def actor_document(sender: Sender) -> dict[str, Any]:
    name = sender.actor.rpartition("/")[2]
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": sender.actor, "type": "Person", "preferredUsername": name,
        "inbox": f"{sender.actor}/inbox",
        "publicKey": {"id": sender.key_id, "owner": sender.actor,
                      "publicKeyPem": sender.public_pem},
    }


def remote_app(docs: dict[str, dict[str, Any]]) -> web.Application:
    """Serves /users/{name} from `docs` (filled once the app's port, part of every id, is
    known)."""

    async def actor(request: web.Request) -> web.Response:
        doc = docs.get(request.match_info["name"])
        if doc is None:
            raise web.HTTPNotFound()
        return web.json_response(doc, content_type=ACTIVITY_JSON)

    app = web.Application()
    app.router.add_get("/users/{name}", actor)
    return app


def sign_likes(senders: list[Sender], count: int, tag: str) -> list[Prepared]:
    """`count` Likes of local posts, round-robin over the senders, signed now."""
    base = f"http://{DOMAIN}"
    prepared = []
    for i in range(count):
        sender = senders[i % len(senders)]
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{sender.actor}/likes/{tag}-{i}",
            "type": "Like",
            "actor": sender.actor,
            "object": f"{base}/users/alice/statuses/{i}",
            "to": [f"{base}/users/alice"],
        }
        body = json.dumps(activity).encode()
        headers = {"Content-Type": ACTIVITY_JSON, "Host": DOMAIN}
        headers |= sign_cavage("POST", base + INBOX_PATH, headers, body, key_id=sender.key_id,
                               private_key_pem=sender.private_pem)
        prepared.append((INBOX_PATH, headers, body))
    return prepared


async def serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


# --- the ceiling ----------------------------------------------------------------------------


def ceiling_app(senders: list[Sender]) -> web.Application:
    keys = {s.key_id: s.public_pem for s in senders}
    for pem in keys.values():
        load_public_key(pem)  # preloaded: only the verification is left per request

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        signed = parse_request_signature(request.method, request.raw_path, request.headers,
                                         f"http://{DOMAIN}{request.raw_path}", body)
        signed.verify(keys[signed.key_id])
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post(INBOX_PATH, inbox)
    return app


# --- the databases --------------------------------------------------------------------------


# --- one backend ----------------------------------------------------------------------------


@dataclass
class BackendResult:
    name: str
    fired: Fired
    applied_per_second: float
    apply_cpu_ms: float
    states: dict[str, int]


async def _count(app: web.Application, stmt: Any) -> int:
    async with app[appkeys.DATABASE].reader() as session:
        return int((await session.execute(stmt)).scalar_one())


async def _alices_posts(app: web.Application, base_url: str, count: int) -> None:
    """alice's statuses/0 .. count-1, the posts the timed Likes name."""
    db = app[appkeys.DATABASE]
    async with db.writer.begin() as session:
        alice = await session.scalar(select(Account).where(
            Account.username == "alice", Account.domain.is_(None)))
        assert alice is not None
        session.add_all(Status(uri=f"{base_url}/users/alice/statuses/{i}", account_id=alice.id,
                               local=True, visibility="public", content="<p>a post</p>")
                        for i in range(count))


async def run_backend(url: str, tmp: Path, client: Client, warmup: list[Prepared],
                      args: argparse.Namespace, profiler: cProfile.Profile | None
                      ) -> BackendResult:
    media = tmp / f"media-{uuid.uuid4().hex[:6]}"
    config = build_config({
        "instance": {"domain": DOMAIN, "scheme": "http"},
        "database": {"url": url},
        "media": {"path": str(media)},
        "federation": {"allow_private_addresses": True},
        "jobs": {"workers": 0},
    })
    app = create_app(config, resolver=LoopbackResolver())
    runner, port = await serve(app)
    try:
        await create_local_user(app[appkeys.DATABASE].writer, config, username="alice",
                                password="bench password")
        if args.posts_exist:
            await _alices_posts(app, config.base_url, args.activities)
        base = f"http://127.0.0.1:{port}"
        # Warm-up: one request per sender fetches and caches its key; then apply those.
        async with aiohttp.ClientSession() as session:
            for path, headers, body in warmup:
                async with session.post(base + path, data=body, headers=headers) as resp:
                    if resp.status != 202:
                        raise SystemExit(f"warm-up refused: {resp.status} {await resp.text()}")
        await app[appkeys.WORKER_POOL].run_until_empty()

        if profiler:
            profiler.enable()
        fired = await client.fire(base, args.concurrency)

        pool = WorkerPool(app[appkeys.WORKER_POOL].resources, default_registry(),
                          concurrency=args.workers)
        # Only apply jobs: the instance also keeps its next hourly inbox purge queued.
        pending = select(func.count()).select_from(Job).where(Job.kind == APPLY_ACTIVITY)
        started, cpu = time.perf_counter(), time.process_time()
        await pool.start()
        while True:  # poll: the pool has no "queue empty" event
            if not await _count(app, pending):
                break
            await asyncio.sleep(0.02)
        applied_elapsed = time.perf_counter() - started
        apply_cpu = time.process_time() - cpu
        await pool.stop()
        if profiler:
            profiler.disable()

        rows = await _count(app, select(func.count()).select_from(InboxActivity))
        async with app[appkeys.DATABASE].reader() as session:
            states = dict((await session.execute(
                select(InboxActivity.state, func.count()).group_by(InboxActivity.state))).all())
        timed_rows = rows - len(warmup)
        return BackendResult(url.split("+")[0], fired, timed_rows / applied_elapsed,
                             apply_cpu / timed_rows * 1000,
                             {str(k): int(v) for k, v in states.items()})
    finally:
        await runner.cleanup()


# --- main -----------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    targets: list[str] = []
    if args.database:
        targets.append(args.database)
    else:
        targets.append("sqlite")
        reason = await postgres_reachable(DEFAULT_POSTGRES)
        if reason is None:
            targets.append(DEFAULT_POSTGRES)
        else:
            print(f"(PostgreSQL skipped: {DEFAULT_POSTGRES} is not reachable: {reason})")

    # The remote senders come first: their origin (with its port) is in every keyId.
    docs: dict[str, dict[str, Any]] = {}
    remote_runner, remote_port = await serve(remote_app(docs))
    senders = make_senders(args.senders, f"http://senders.test:{remote_port}")
    docs.update({s.actor.rpartition("/")[2]: actor_document(s) for s in senders})

    started = time.perf_counter()
    timed = sign_likes(senders, args.activities, "timed")
    warmup = sign_likes(senders, len(senders), "warm")
    sign_seconds = time.perf_counter() - started
    print(f"{args.activities} Likes from {len(senders)} senders pre-signed in "
          f"{sign_seconds:.1f}s (not timed below); "
          f"body {len(timed[0][2])} bytes; concurrency {args.concurrency}; "
          f"{args.workers} workers; {os.cpu_count()} CPUs")

    client = Client(timed)
    profiler = cProfile.Profile() if args.profile else None
    results: list[BackendResult] = []
    try:
        await client.ready()
        ceiling_runner, ceiling_port = await serve(ceiling_app(senders))
        try:
            ceiling = await client.fire(f"http://127.0.0.1:{ceiling_port}", args.concurrency)
        finally:
            await ceiling_runner.cleanup()
        with tempfile.TemporaryDirectory() as tmp:
            for target in targets:
                async with database(target, Path(tmp)) as url:
                    # Same signed requests on every backend: each starts from an empty database.
                    results.append(await run_backend(url, Path(tmp), client, warmup, args,
                                                     profiler))
    finally:
        client.close()
        await remote_runner.cleanup()

    print()
    print("CPU ms/req: CPU seconds of the server process (all threads) per request, while "
          "timed; the client runs in another process.")
    print(f"{'':24s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'non-202':>8s} "
          f"{'CPU ms/req':>10s} {'applied/s':>10s} {'CPU ms/apply':>12s}")
    print(f"{'ceiling (bare verify)':24s} {ceiling.per_second():8,.0f} "
          f"{ceiling.percentile(0.5):8.1f} {ceiling.percentile(0.99):8.1f} "
          f"{ceiling.failures:8d} {ceiling.cpu_ms():10.2f} {'-':>10s} {'-':>12s}")
    for result in results:
        fired = result.fired
        print(f"{'accepted: ' + result.name:24s} {fired.per_second():8,.0f} "
              f"{fired.percentile(0.5):8.1f} {fired.percentile(0.99):8.1f} "
              f"{fired.failures:8d} {fired.cpu_ms():10.2f} "
              f"{result.applied_per_second:10,.0f} {result.apply_cpu_ms:12.2f}")
    for result in results:
        extra = {k: v for k, v in result.fired.statuses.items() if k != 202}
        print(f"{result.name}: inbox rows by state {result.states}"
              + (f"; non-202 answers {extra}" if extra else ""))
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"server-side profile (accept + apply phases) written to {args.profile}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="'sqlite', a SQLite URL, or a PostgreSQL admin "
                        "database URL (a fresh database is made beside it); default: both")
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--workers", type=int, default=8, help="worker tasks for applied/s")
    parser.add_argument("--profile", help="write a cProfile of the server side to this file")
    parser.add_argument("--posts-exist", action="store_true",
                        help="the liked posts exist: every Like writes (favourite, counter, "
                        "notification) instead of being ignored")
    asyncio.run(main(parser.parse_args()))
