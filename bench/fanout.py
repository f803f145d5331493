"""The time to fan one post out to 10,000 followers on 1,000 hosts through the delivery queue
to local fake inboxes, beside the ceiling of signing and POSTing the same requests with a
minimal client, measured in the same run.

    .venv/bin/python bench/fanout.py [--database URL] [--followers 10000] [--hosts 1000]
                                     [--concurrency 20] [--no-shared-inbox] [--no-verify]
                                     [--profile FILE]

How: a real instance (SQLite in a temporary directory, or a fresh database beside the
PostgreSQL one --database names, dropped afterwards) with a local user `alice`, one generated
256x256 image of hers, and --followers remote accounts on --hosts fake hosts
`h0000.test`..`h0999.test` (spread evenly), inserted in bulk (one executemany of Account rows,
one of accepted Follow rows) before anything is timed. Each remote account has a personal inbox
`/users/uN/inbox` and its host's shared inbox `/inbox`, as Mastodon actors do (no shared inbox
with --no-shared-inbox). A resolver in the instance points every *.test name at 127.0.0.1,
where one receiver in a separate process (bench/delivery.py's, answering `/inbox` too) answers
202 to every POST, checks its signature (--no-verify to skip) and counts it.

- post + deliver: a WorkerPool of --concurrency tasks is started and left idle, as in a running
  server; then `create_status()` (one transaction writes the post and queues one `deliver` job
  per distinct inbox, timed apart) wakes it at its commit, and the clock runs until the jobs
  table is empty; "deliver" is that total less create_status.
  Followers share inboxes, so 10,000 followers on 1,000 hosts make 1,000 deliveries; both
  numbers are printed and checked against what the receiver saw.
- ceiling: in the same process, afterwards, --concurrency tasks that sign each request
  (sign_cavage, alice's key) and POST the same Create body to the same inboxes in the same
  order (the queue's: sorted by inbox) with one aiohttp session and the connection limits of
  our HTTP client (100 in all, 8 per host).

It imports bench/delivery.py as `delivery` (run as a script, its folder is on sys.path).
Figures, not assertions (it exits 1 only when the deliveries do not add up); the machine
running it is likely shared, so run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import web
from benchdb import database
from delivery import (
    LoopbackResolver,
    Receiver,
    ReceiverProcess,
    Timed,
    ceiling,
    deliveries_by_state,
)
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server import appkeys
from server.app import create_app
from server.config import build_config
from server.jobs.handlers import default_registry
from server.jobs.worker import WorkerPool
from server.services.accounts.users import create_local_user
from server.services.federation.outbound.delivery import DELIVER
from server.services.generation import generate
from server.services.statuses.posts import NewStatus, create_status
from storage import jobs as job_store
from storage.accounts import signing_key
from storage.follows import count_followers, follower_inboxes
from storage.ids import new_id
from storage.models import Account, Follow, Job, OutgoingActivity
from storage.types import utcnow

DOMAIN = "bench.test"
CAPTION = "A lighthouse in fog, for everyone who follows me. #bench"


# --- the receiver: bench/delivery.py's, with shared inboxes and its CPU time ---------------


async def _receive(conn: Connection, verify: bool) -> None:
    receiver = Receiver(verify)
    app = web.Application()
    app.router.add_post("/inbox", receiver.inbox)
    app.router.add_post("/users/{name}/inbox", receiver.inbox)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
    cpu = time.process_time()
    try:
        while (command := await asyncio.to_thread(conn.recv)) is not None:
            if command[0] == "key":
                receiver.public_pem = command[1]
            elif command[0] == "stats":
                # CPU seconds since the last stats: the receiver idles between the phases.
                now = time.process_time()
                conn.send(receiver.stats() | {"cpu": now - cpu})
                cpu = now
    finally:
        await runner.cleanup()


def receiver_process(conn: Connection, verify: bool) -> None:
    asyncio.run(_receive(conn, verify))


class FanoutReceiver(ReceiverProcess):
    """bench/delivery.py's receiver process, with the target above."""

    def __init__(self, verify: bool) -> None:  # replaces the process target, nothing else
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=receiver_process, args=(child, verify), daemon=True)
        self._process.start()
        self.port: int = self._conn.recv()


# --- setup, untimed ------------------------------------------------------------------------


async def make_image(app: web.Application, account_id: int) -> list[int]:
    """One small image through the real pipeline (as tests/federation/harness.py does)."""
    images = app[appkeys.SERVICES]
    view = await generate.request_generation(images, account_id, "a lighthouse in fog",
                                               size="256x256", n=1)
    await app[appkeys.WORKER_POOL].run_until_empty()
    done = await generate.get_generation(images, view.id)
    assert done.state == "done", done.error
    return [media.id for media in done.media]


def host_name(host: int, hosts: int, port: int) -> str:
    return f"h{host:0{max(4, len(str(hosts - 1)))}d}.test:{port}"


async def add_followers(writer: async_sessionmaker[AsyncSession], target_id: int, *,
                        followers: int, hosts: int, port: int, shared_inbox: bool) -> None:
    """`followers` remote accounts, follower n on host n % hosts, each following `target_id`
    (accepted): one bulk INSERT per table, every row given (an executemany of one prepared
    statement; as multi-row VALUES, SQLAlchemy would spend ~10 s compiling them)."""
    now = utcnow()
    accounts: list[dict[str, Any]] = []
    follows: list[dict[str, Any]] = []
    for n in range(followers):
        base = f"http://{host_name(n % hosts, hosts, port)}"
        actor = f"{base}/users/u{n}"
        account_id = new_id()
        accounts.append({
            "id": account_id, "username": f"u{n}", "domain": base.removeprefix("http://"),
            "actor_type": "Person", "uri": actor, "url": f"{base}/@u{n}",
            "inbox_url": f"{actor}/inbox",
            "shared_inbox_url": f"{base}/inbox" if shared_inbox else None,
            "outbox_url": f"{actor}/outbox", "followers_url": f"{actor}/followers",
            "following_url": f"{actor}/following", "fields": [],
            "created_at": now, "updated_at": now, "fetched_at": now})
        follows.append({"id": new_id(), "account_id": account_id, "target_account_id": target_id,
                        "uri": f"{actor}#follows/{target_id}", "state": "accepted",
                        "created_at": now, "updated_at": now})
    async with writer.begin() as session:
        for model, rows in ((Account, accounts), (Follow, follows)):
            await session.execute(insert(model.__table__), rows)


# --- the run ---------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> int:
    receiver = FanoutReceiver(verify=not args.no_verify)
    profiler = cProfile.Profile() if args.profile else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            async with database(args.database, Path(tmp)) as url:
                ok = await run(url, Path(tmp), receiver, args, profiler)
    finally:
        receiver.close()
    if profiler:
        profiler.dump_stats(args.profile)
        print(f"profile of the post + deliver phase written to {args.profile}")
    return 0 if ok else 1


async def run(url: str, tmp: Path, receiver: FanoutReceiver, args: argparse.Namespace,
              profiler: cProfile.Profile | None) -> bool:
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

        started = time.perf_counter()
        media_ids = await make_image(app, user.account_id)
        image_s = time.perf_counter() - started
        started = time.perf_counter()
        await add_followers(db.writer, user.account_id, followers=args.followers,
                            hosts=args.hosts, port=receiver.port,
                            shared_inbox=not args.no_shared_inbox)
        insert_s = time.perf_counter() - started
        async with db.reader() as session:
            followers = await count_followers(session, user.account_id)
            inboxes = sorted(await follower_inboxes(session, user.account_id))
        expected = min(args.hosts, args.followers) if not args.no_shared_inbox \
            else args.followers
        print(f"database: {url.split('+')[0]}; {followers:,} followers on {args.hosts:,} hosts "
              f"({'personal inboxes only' if args.no_shared_inbox else 'shared inboxes'}); "
              f"concurrency {args.concurrency}; signatures "
              f"{'not ' if args.no_verify else ''}verified by the receiver; "
              f"the machine may be shared")
        print(f"setup (untimed): image {image_s:.2f} s; {args.followers:,} accounts + follows "
              f"inserted in {insert_s:.2f} s")

        pool = WorkerPool(app[appkeys.WORKER_POOL].resources, default_registry(),
                          concurrency=args.concurrency)
        await pool.start()
        await asyncio.sleep(0.5)  # every worker has found the queue empty and idles
        # Deliveries only: the hourly inbox purge is queued beside them, due later.
        pending = select(func.count()).select_from(Job).where(Job.kind == DELIVER,
                                                              Job.state != job_store.DEAD)
        if profiler:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        view = await create_status(app[appkeys.SERVICES], "alice", NewStatus(
            media_ids=media_ids, caption=CAPTION))
        posted_at, posted_cpu = time.perf_counter(), time.process_time()
        while True:  # poll: the pool has no "queue empty" event
            async with db.reader() as session:
                if not (await session.execute(pending)).scalar_one():
                    break
            await asyncio.sleep(0.05)  # each poll costs this process ~1 ms of CPU
        ended, ended_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.disable()
        await pool.stop()
        count = len(inboxes)
        posted = Timed(posted_at - started, posted_cpu - cpu, count)
        delivered = Timed(ended - posted_at, ended_cpu - posted_cpu, count)
        total = Timed(ended - started, ended_cpu - cpu, count)
        seen = await receiver.stats()
        async with db.reader() as session:
            jobs_left = await deliveries_by_state(session)
            outgoing = (await session.execute(
                select(OutgoingActivity).where(OutgoingActivity.account_id == user.account_id)
                .order_by(OutgoingActivity.id.desc()).limit(1))).scalar_one()
        body = json.dumps(outgoing.body).encode()  # the bytes the deliver job sends

        bare, bare_statuses = await ceiling(inboxes, body, key.key_id, key.private_key_pem,
                                            args.concurrency)
        bare_seen = await receiver.stats()
    finally:
        await runner.cleanup()

    print(f"post {view.uri}: Create body {len(body):,} bytes")
    print()
    print(f"{'':34s} {'total':>10s} {'deliveries':>13s} {'CPU ms/each':>10s}")
    print(bare.line("ceiling (sign + POST, bare aiohttp)"))
    print(posted.line("create_status (1 txn, queues jobs)"))
    print(delivered.line("deliver (WorkerPool, our code)"))
    print(total.line("post + deliver (end to end)"))
    print()
    print(f"fan-out: {followers:,} followers reached through {count:,} deliveries "
          f"(expected {expected:,}) in {total.seconds:.2f} s: "
          f"{followers / total.seconds:,.0f} followers/s, {total.seconds / bare.seconds:.1f}x "
          f"the ceiling's {bare.seconds:.2f} s")
    print("CPU ms/each: CPU seconds of this process (all threads) per delivery; the receiver "
          "runs in another process (its CPU below).")
    for label, got, statuses in (("deliver", seen, None),
                                 ("ceiling", bare_seen, dict(bare_statuses))):
        verified = "" if args.no_verify else f", {got['valid']:,} valid signatures"
        invalid = f", invalid: {got['invalid']}" if got["invalid"] else ""
        answers = f", answers {statuses}" if statuses else ""
        print(f"receiver saw for {label}: {got['posts']:,} POSTs to {got['inboxes']:,} inboxes "
              f"on {got['hosts']:,} hosts{verified}{invalid}{answers}; receiver CPU "
              f"{got['cpu']:.2f} s")
    print(f"jobs left after delivery: {jobs_left}")

    problems = []
    if count != expected:
        problems.append(f"{count:,} distinct inboxes, expected {expected:,}")
    for label, got in (("deliver", seen), ("ceiling", bare_seen)):
        if got["posts"] != count or got["inboxes"] != count:
            problems.append(f"{label}: the receiver saw {got['posts']:,} POSTs to "
                            f"{got['inboxes']:,} inboxes, not {count:,}")
        if not args.no_verify and got["valid"] != got["posts"]:
            problems.append(f"{label}: {got['posts'] - got['valid']:,} bad signatures")
    if any(jobs_left.values()):
        problems.append(f"jobs left: {jobs_left}")
    print("check: " + ("; ".join(problems) if problems else
                       f"OK, {followers:,} followers -> {count:,} deliveries, each received once"))
    return not problems


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLite (default: a temporary file) or the "
                        "PostgreSQL admin database URL (a fresh database is made beside it)")
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=20,
                        help="worker tasks, and the ceiling client's concurrent requests")
    parser.add_argument("--no-shared-inbox", action="store_true",
                        help="followers have personal inboxes only: one delivery per follower")
    parser.add_argument("--no-verify", action="store_true",
                        help="the receiver does not check signatures")
    parser.add_argument("--profile", help="write a cProfile of the post + deliver phase here")
    sys.exit(asyncio.run(main(parser.parse_args())))
