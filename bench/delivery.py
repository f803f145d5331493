"""The time to deliver one activity to 1,000 fake inboxes on 100 hosts, beside the ceiling of
signing and POSTing them with a minimal client, measured in the same run.

    .venv/bin/python bench/delivery.py [--database URL] [--hosts 100] [--inboxes-per-host 10]
                                       [--concurrency 20] [--no-verify] [--profile FILE]

How: a receiver in a separate process (one aiohttp app on one loopback port) answers 202 to
`POST /users/uNN/inbox` for every host name `h000.test`..`h099.test`, which a resolver in the
instance points at 127.0.0.1, so the delivery code sees 100 distinct hosts (one connection pool
and one health row each). Personal inboxes only: no shared inbox to collapse them. The receiver
checks every signature with the sender's public key (--no-verify to skip) and counts them.

- deliver: a real instance (SQLite in a temporary directory, or a fresh database beside the
  PostgreSQL one --database names, dropped afterwards) with one local user; one
  `server.services.federation.outbound.delivery.publish()` transaction queues a Create to the
  1,000 inboxes (timed apart), then a WorkerPool of --concurrency tasks is started and timed
  until the jobs table is empty.
- ceiling: in the same process, `--concurrency` tasks that sign each request (sign_cavage, the
  same key) and POST it with one aiohttp session, with the same connection limits as our HTTP
  client (100 in all, 8 per host) and the same order (the queue's: sorted by inbox).

Figures, not assertions; the machine running it is likely shared, so run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import socket
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from benchdb import database
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from activitypub.signatures import SignatureError, parse_request_signature, sign_cavage
from activitypub.vocab import ACTIVITY_JSON
from server import appkeys
from server.app import create_app
from server.config import build_config
from server.jobs.handlers import default_registry
from server.jobs.worker import WorkerPool
from server.services.accounts.users import create_local_user
from server.services.federation.outbound.delivery import DELIVER, publish
from storage import jobs as job_store
from storage.accounts import signing_key
from storage.models import Job

DOMAIN = "bench.test"


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


# --- the receiver, in a process of its own --------------------------------------------------


class Receiver:
    def __init__(self, verify: bool) -> None:
        self.verify = verify
        self.public_pem = ""
        self.reset()

    def reset(self) -> None:
        self.posts = 0
        self.valid = 0
        self.invalid: Counter[str] = Counter()
        self.hosts: set[str] = set()
        self.inboxes: set[str] = set()
        self.first = self.last = 0.0

    async def inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        self.posts += 1
        host = request.headers.get("Host", "")
        self.hosts.add(host)
        self.inboxes.add(f"{host}{request.path}")
        if self.verify:
            try:
                parse_request_signature(request.method, request.raw_path, request.headers,
                                        f"http://{host}{request.raw_path}",
                                        body).verify(self.public_pem)
                self.valid += 1
            except SignatureError as exc:
                self.invalid[type(exc).__name__] += 1
        return web.Response(status=202)

    def stats(self) -> dict[str, Any]:
        stats = {"posts": self.posts, "valid": self.valid, "invalid": dict(self.invalid),
                 "hosts": len(self.hosts), "inboxes": len(self.inboxes),
                 "span": self.last - self.first}
        self.reset()
        return stats


async def _receive(conn: Connection, verify: bool) -> None:
    receiver = Receiver(verify)
    app = web.Application()
    app.router.add_post("/users/{name}/inbox", receiver.inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    try:
        while (command := await asyncio.to_thread(conn.recv)) is not None:
            if command[0] == "key":
                receiver.public_pem = command[1]
            elif command[0] == "stats":
                conn.send(receiver.stats())
    finally:
        await runner.cleanup()


def receiver_process(conn: Connection, verify: bool) -> None:
    asyncio.run(_receive(conn, verify))


class ReceiverProcess:
    def __init__(self, verify: bool) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=receiver_process, args=(child, verify), daemon=True)
        self._process.start()
        self.port: int = self._conn.recv()

    def set_key(self, public_pem: str) -> None:
        self._conn.send(("key", public_pem))

    async def stats(self) -> dict[str, Any]:
        self._conn.send(("stats",))
        result: dict[str, Any] = await asyncio.to_thread(self._conn.recv)
        return result

    def close(self) -> None:
        self._conn.send(None)
        self._process.join(10)


# --- the databases --------------------------------------------------------------------------


async def deliveries_by_state(session: AsyncSession) -> dict[str, int]:
    """{state: count} of the `deliver` jobs, every state present."""
    rows = await session.execute(select(Job.state, func.count()).where(Job.kind == DELIVER)
                                 .group_by(Job.state))
    return dict.fromkeys(job_store.STATES, 0) | {state: int(n) for state, n in rows.all()}


# --- the two runs ---------------------------------------------------------------------------


@dataclass
class Timed:
    seconds: float
    cpu: float  # CPU seconds of this process (all its threads) meanwhile
    count: int

    def line(self, label: str) -> str:
        return (f"{label:34s} {self.seconds:8.2f} s {self.count / self.seconds:10,.0f} /s "
                f"{self.cpu / self.count * 1000:10.2f}")


def make_activity(actor: str) -> dict[str, Any]:
    note = f"{actor}/statuses/{uuid.uuid4().hex}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note}/activity", "type": "Create", "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{actor}/followers"],
        "object": {"id": note, "type": "Note", "attributedTo": actor,
                   "content": "<p>" + "A dream of a lighthouse in fog. " * 12 + "</p>",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"],
                   "cc": [f"{actor}/followers"]},
    }


async def ceiling(inboxes: list[str], body: bytes, key_id: str, private_pem: str,
                  concurrency: int) -> tuple[Timed, Counter[int | str]]:
    statuses: Counter[int | str] = Counter()
    pending = iter(inboxes)

    async def worker(session: aiohttp.ClientSession) -> None:
        for inbox in pending:
            headers = {"Content-Type": ACTIVITY_JSON}
            headers |= sign_cavage("POST", inbox, headers, body, key_id=key_id,
                                   private_key_pem=private_pem)
            try:
                async with session.post(inbox, data=body, headers=headers) as resp:
                    await resp.read()
                    statuses[resp.status] += 1
            except aiohttp.ClientError as exc:
                statuses[type(exc).__name__] += 1

    connector = aiohttp.TCPConnector(resolver=LoopbackResolver(), limit=100, limit_per_host=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return (Timed(time.perf_counter() - started, time.process_time() - cpu, len(inboxes)),
                statuses)


async def main(args: argparse.Namespace) -> None:
    receiver = ReceiverProcess(verify=not args.no_verify)
    profiler = cProfile.Profile() if args.profile else None
    try:
        inboxes = sorted(f"http://h{h:03d}.test:{receiver.port}/users/u{u:02d}/inbox"
                         for h in range(args.hosts) for u in range(args.inboxes_per_host))
        with tempfile.TemporaryDirectory() as tmp:
            async with database(args.database, Path(tmp)) as url:
                await run(url, Path(tmp), inboxes, receiver, args, profiler)
    finally:
        receiver.close()
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile of the delivery phase written to {args.profile}")


async def run(url: str, tmp: Path, inboxes: list[str], receiver: ReceiverProcess,
              args: argparse.Namespace, profiler: cProfile.Profile | None) -> None:
    config = build_config({
        "instance": {"domain": DOMAIN, "scheme": "http"},
        "database": {"url": url},
        "media": {"path": str(tmp / "media")},
        "federation": {"allow_private_addresses": True},
        "jobs": {"workers": 0},
    })
    app = create_app(config, resolver=LoopbackResolver())
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        db = app[appkeys.DATABASE]
        user = await create_local_user(db.writer, config, username="alice",
                                       password="bench password")
        async with db.reader() as session:
            key = await signing_key(session, user.account_id)
        assert key is not None and key.private_key_pem is not None
        receiver.set_key(key.public_key_pem)
        activity = make_activity(user.actor_uri)
        body = json.dumps(activity).encode()
        print(f"database: {url.split('+')[0]}; {len(inboxes)} inboxes on {args.hosts} hosts; "
              f"concurrency {args.concurrency}; body {len(body)} bytes; signatures "
              f"{'not ' if args.no_verify else ''}verified by the receiver; "
              f"the machine may be shared")

        # The ceiling first, while the instance is idle: sign + POST, nothing else.
        bare, bare_statuses = await ceiling(inboxes, body, key.key_id, key.private_key_pem,
                                            args.concurrency)
        bare_seen = await receiver.stats()

        started, cpu = time.perf_counter(), time.process_time()
        async with db.writer.begin() as session:
            await publish(session, user.account_id, activity, inboxes)
        published = Timed(time.perf_counter() - started, time.process_time() - cpu,
                          len(inboxes))

        pool = WorkerPool(app[appkeys.WORKER_POOL].resources, default_registry(),
                          concurrency=args.concurrency)
        # Deliveries only: the hourly inbox purge is queued beside them, due later.
        pending = select(func.count()).select_from(Job).where(Job.kind == DELIVER,
                                                              Job.state != job_store.DEAD)
        if profiler:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        await pool.start()
        while True:  # poll: the pool has no "queue empty" event
            async with db.reader() as session:
                if not (await session.execute(pending)).scalar_one():
                    break
            await asyncio.sleep(0.02)
        delivered = Timed(time.perf_counter() - started, time.process_time() - cpu,
                          len(inboxes))
        if profiler:
            profiler.disable()
        await pool.stop()
        seen = await receiver.stats()
        async with db.reader() as session:
            counts = await deliveries_by_state(session)
    finally:
        await runner.cleanup()

    print()
    print(f"{'':34s} {'total':>10s} {'deliveries':>13s} {'CPU ms/each':>10s}")
    print(bare.line("ceiling (sign + POST, bare aiohttp)"))
    print(published.line("publish (1 transaction, enqueue)"))
    print(delivered.line("deliver (WorkerPool, our code)"))
    print()
    print("CPU ms/each: CPU seconds of this process (all threads) per delivery; the receiver "
          "runs in another process.")
    for label, got, statuses in (("ceiling", bare_seen, dict(bare_statuses)),
                                 ("deliver", seen, None)):
        verified = "" if args.no_verify else f", {got['valid']} valid signatures"
        invalid = f", invalid: {got['invalid']}" if got["invalid"] else ""
        answers = f", answers {statuses}" if statuses else ""
        print(f"receiver saw for {label}: {got['posts']} POSTs to {got['inboxes']} inboxes on "
              f"{got['hosts']} hosts{verified}{invalid}{answers}")
    print(f"jobs left after delivery: {counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLite (default: a temporary file) or the "
                        "PostgreSQL admin database URL (a fresh database is made beside it)")
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--inboxes-per-host", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=20,
                        help="worker tasks, and the ceiling client's concurrent requests")
    parser.add_argument("--no-verify", action="store_true",
                        help="the receiver does not check signatures")
    parser.add_argument("--profile", help="write a cProfile of the delivery phase to this file")
    asyncio.run(main(parser.parse_args()))
