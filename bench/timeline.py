"""Median and p99 latency of a 20-post timeline page (home, local, federated) with 1,000,000
posts and 10,000 accounts, of a page of notifications, and of the unread-notifications count
that every signed-in page asks for (the nav's badge), on SQLite and PostgreSQL.

    .venv/bin/python bench/timeline.py [--posts 1000000] [--accounts 10000] [--follows 200]
                                       [--quiet-follows N] [--notifications 100000] [--runs 200]
                                       [--database sqlite|URL] [--reuse] [--explain]

Without --database it runs on SQLite (a temporary file) and then on PostgreSQL at
$DREAMFEED_TEST_POSTGRES_URL when a server answers there; a PostgreSQL URL names the database
to administer from: a fresh database is created beside it and dropped afterwards. With
--reuse the database the URL names is used as it is, loaded only when it holds no accounts yet,
and kept: tries of a query against the same million posts without loading them again.

Data: accounts (a fifth of them remote), the viewer following `--follows` of them; posts spread
evenly over accounts and over the last year (ids from storage.ids.new_id(at=...)), 10% boosts,
5% replies, 80% public / 10% unlisted / 8% private / 2% direct. Rows go in with multi-row
inserts in chunks of 10,000 (SQLite: synchronous=OFF while loading), then ANALYZE. The viewer
is a user with `--notifications` notifications (likes of random posts and follows) from random
accounts over the year.

The floor is timed first in each database: a reader session asking one row by primary key
(what no page can beat on this machine at this moment; the machine may be shared).

Timed, through storage/timelines.py exactly as the service runs it (page ids, then load):
`--runs` first pages, then `--runs` deeper pages, each starting at the last id of the page
before it (so the deep run walks `--runs` x 20 entries back). The unread count
(storage/markers.py, capped at 100 as the badge is) is timed with no read marker (everything
unread: the cap stops it), with the marker 5 notifications below the newest, and with
everything read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import database, postgres_reachable
from sqlalchemy import Select, event, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage import markers, notification_lists, timelines
from storage.database import Database, is_sqlite, make_engine
from storage.ids import id_floor, new_id
from storage.migrate import upgrade
from storage.models import Account, Follow, Notification, Status, User
from storage.pagination import Page

DEFAULT_POSTGRES = os.environ.get("DREAMFEED_TEST_POSTGRES_URL",
                                  "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
CHUNK = 10_000
# The viewer's users.id (a fixed id keeps the loader simple).
VIEWER_USER = 1
VISIBILITIES = ["public"] * 80 + ["unlisted"] * 10 + ["private"] * 8 + ["direct"] * 2


# --- loading ---------------------------------------------------------------------------------


async def _insert(engine: AsyncEngine, table: Any, rows: list[dict[str, Any]]) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(table), rows)


async def load(engine: AsyncEngine, args: argparse.Namespace) -> int:
    """Fill the database; returns the viewer's account id."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    started = time.perf_counter()
    accounts: list[int] = []
    rows: list[dict[str, Any]] = []
    for n in range(args.accounts):
        account_id = new_id(at=now - timedelta(days=400, seconds=n))
        accounts.append(account_id)
        remote = n % 5 == 4
        domain = f"r{n % 50}.example" if remote else None
        rows.append(dict(id=account_id, username=f"u{n}", domain=domain,
                         uri=f"https://{domain or 'bench.test'}/users/u{n}",
                         inbox_url=f"https://{domain or 'bench.test'}/users/u{n}/inbox",
                         fields=[], created_at=now, updated_at=now))
    for i in range(0, len(rows), CHUNK):
        await _insert(engine, Account.__table__, rows[i:i + CHUNK])
    viewer = accounts[0]
    followed = rng.sample(accounts[1:], min(args.follows, len(accounts) - 1))
    if args.quiet_follows:
        followed = await load_quiet_accounts(engine, args.quiet_follows, now)
    await _insert(engine, Follow.__table__, [
        dict(id=new_id(), account_id=viewer, target_account_id=target, state="accepted",
             created_at=now, updated_at=now) for target in followed])
    print(f"  {len(accounts):,} accounts, {len(followed)} follows "
          f"({time.perf_counter() - started:.1f}s)", flush=True)

    recent: list[int] = []
    year = 365 * 24 * 3600
    done = 0
    while done < args.posts:
        count = min(CHUNK, args.posts - done)
        chunk = []
        for k in range(count):
            n = done + k
            at = now - timedelta(seconds=year * (1 - n / args.posts))
            status_id = new_id(at=at)
            author_index = rng.randrange(len(accounts))
            author = accounts[author_index]
            local = author_index % 5 != 4
            roll = rng.random()
            row: dict[str, Any] = dict(
                id=status_id, uri=f"https://bench.test/s/{status_id}", url=None,
                account_id=author, local=local, visibility=rng.choice(VISIBILITIES),
                content=f"<p>post {n}</p>", spoiler_text="", sensitive=False, caption="",
                can_remix=True, replies_count=0, favourites_count=n % 7, reblogs_count=n % 3,
                remixes_count=0, created_at=at, updated_at=at, reblog_of_id=None,
                in_reply_to_id=None, in_reply_to_account_id=None)
            if recent and roll < 0.10:
                row.update(reblog_of_id=rng.choice(recent), visibility="public", content="")
            elif recent and roll < 0.15:
                row.update(in_reply_to_id=rng.choice(recent),
                           in_reply_to_account_id=rng.choice(accounts))
            elif row["visibility"] == "public":
                recent.append(status_id)
                if len(recent) > 5000:
                    recent = recent[-2500:]
            chunk.append(row)
        await _insert(engine, Status.__table__, chunk)
        done += count
        if done % 100_000 == 0 or done == args.posts:
            print(f"  {done:,} posts ({time.perf_counter() - started:.0f}s)", flush=True)
    await load_notifications(engine, args, viewer, accounts, recent, rng)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    print(f"  loaded in {time.perf_counter() - started:.0f}s", flush=True)
    return viewer


async def load_quiet_accounts(engine: AsyncEngine, count: int, now: datetime) -> list[int]:
    """`count` accounts with one public post each, spread over the last year: a home made of
    them never fills a page, so every query window is tried and then the unbounded one."""
    ids = [new_id(at=now - timedelta(days=400, seconds=n)) for n in range(count)]
    await _insert(engine, Account.__table__, [
        dict(id=account_id, username=f"quiet{n}", domain=None,
             uri=f"https://bench.test/users/quiet{n}",
             inbox_url=f"https://bench.test/users/quiet{n}/inbox", fields=[], created_at=now,
             updated_at=now) for n, account_id in enumerate(ids)])
    posts = []
    for n, account_id in enumerate(ids):
        at = now - timedelta(days=365 * (n + 1) / (count + 1))
        status_id = new_id(at=at)
        posts.append(dict(
            id=status_id, uri=f"https://bench.test/s/{status_id}", url=None,
            account_id=account_id, local=True, visibility="public",
            content=f"<p>quiet {n}</p>", spoiler_text="", sensitive=False, caption="",
            can_remix=True, replies_count=0, favourites_count=0, reblogs_count=0,
            remixes_count=0, created_at=at, updated_at=at, reblog_of_id=None,
            in_reply_to_id=None, in_reply_to_account_id=None))
    await _insert(engine, Status.__table__, posts)
    return ids


async def load_notifications(engine: AsyncEngine, args: argparse.Namespace, viewer: int,
                             accounts: list[int], statuses: list[int],
                             rng: random.Random) -> None:
    """The viewer becomes a user (markers belong to users) with notifications spread over the
    last year: two thirds likes of recent public posts, one third follows."""
    now = datetime.now(UTC)
    await _insert(engine, User.__table__, [dict(id=VIEWER_USER, account_id=viewer,
                                                 password_hash="-", created_at=now)])
    year = 365 * 24 * 3600
    rows = []
    for n in range(args.notifications):
        at = now - timedelta(seconds=year * (1 - n / args.notifications))
        like = n % 3 != 2 and bool(statuses)
        rows.append(dict(id=new_id(at=at), account_id=viewer,
                         from_account_id=rng.choice(accounts[1:]),
                         type="favourite" if like else "follow",
                         status_id=rng.choice(statuses) if like else None, created_at=at))
    for i in range(0, len(rows), CHUNK):
        await _insert(engine, Notification.__table__, rows[i:i + CHUNK])


# --- timing ----------------------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


PageFn = Callable[[AsyncSession, Page], Awaitable[list[int]]]


async def time_pages(db: Database, fetch: PageFn, runs: int) -> dict[str, list[float]]:
    """`fetch` returns the page's ids, newest first."""
    first: list[float] = []
    deep: list[float] = []
    max_id: int | None = None
    for _ in range(runs):
        started = time.perf_counter()
        async with db.reader() as session:
            await fetch(session, Page(limit=20))
        first.append((time.perf_counter() - started) * 1000)
    for _ in range(runs):
        started = time.perf_counter()
        async with db.reader() as session:
            entries = await fetch(session, Page(max_id=max_id, limit=20))
        deep.append((time.perf_counter() - started) * 1000)
        if not entries:
            break
        max_id = entries[-1]
    return {"first": first, "deep": deep}


async def entry_ids_of(entries: Awaitable[list[timelines.Entry]]) -> list[int]:
    return [e.entry.id for e in await entries]


async def notification_ids_of(
        entries: Awaitable[list[notification_lists.NotificationEntry]]) -> list[int]:
    return [e.notification.id for e in await entries]


async def time_floor(db: Database, status_id: int, runs: int) -> list[float]:
    """A reader session asking one row by primary key: no timeline can be faster."""
    values = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.reader() as session:
            await session.execute(select(Status.id).where(Status.id == status_id))
        values.append((time.perf_counter() - started) * 1000)
    return values


async def time_unread(db: Database, viewer: int, runs: int) -> dict[str, list[float]]:
    """The badge's count with no marker, with 5 unread, and with none unread."""
    async with db.reader() as session:
        newest = await markers.newest_notification_id(session, viewer) or 0
        page = await notification_lists.notifications(session, viewer, Page(limit=6))
    timings: dict[str, list[float]] = {}
    for label, marker in (("none read", None),
                          ("5 unread", page[-1].notification.id if len(page) > 5 else None),
                          ("all read", newest)):
        if marker is not None:
            async with db.writer.begin() as session:
                await markers.upsert(session, VIEWER_USER, markers.NOTIFICATIONS, marker)
        values = []
        for _ in range(runs):
            started = time.perf_counter()
            async with db.reader() as session:
                await markers.unread_notifications(session, VIEWER_USER, viewer, cap=100)
            values.append((time.perf_counter() - started) * 1000)
        timings[label] = values
    return timings


async def explain(db: Database, query: Select[int], *, paged: bool = False) -> str:
    """The plan of a page query (`paged`: already ordered and limited, as home_merge is)."""
    stmt = query if paged else query.order_by(Status.id.desc()).limit(20)
    if not paged and "follows" in str(query):  # home: as its first try runs, within a day
        stmt = stmt.where(Status.id >= id_floor(datetime.now(UTC) - timedelta(days=1)))
    async with db.reader() as session:
        sql = str(stmt.compile(session.bind, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if is_sqlite(db.url) else "EXPLAIN "
        rows = (await session.execute(text(prefix + sql))).all()
    return "\n".join("    " + str(row[-1]) for row in rows)


async def _loaded_viewer(engine: AsyncEngine) -> int | None:
    """The viewer of a database loaded before (--reuse), or None when it is empty."""
    async with engine.connect() as conn:
        found = await conn.execute(select(User.account_id).where(User.id == VIEWER_USER))
        return found.scalar_one_or_none()


def _fast_load(dbapi_connection: Any, _record: Any) -> None:
    """SQLite while loading: no fsync (a crash only loses the bench database)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


async def run_backend(url: str, args: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    name = "sqlite" if is_sqlite(url) else "postgresql"
    print(f"{name}: loading {args.posts:,} posts", flush=True)
    engine = make_engine(url, pool_size=1)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _fast_load)
    try:
        await upgrade(engine)
        viewer = await _loaded_viewer(engine) if args.reuse else None
        if viewer is None:
            viewer = await load(engine, args)
    finally:
        await engine.dispose()
    db = Database(url)
    queries: dict[str, Callable[[], Select[int]]] = {
        "home": lambda: timelines.home_query(viewer),
        "local": lambda: timelines.local_query(viewer),
        "federated": lambda: timelines.federated_query(viewer),
    }
    fetchers: dict[str, PageFn] = {
        "home": lambda session, page: entry_ids_of(timelines.home_page(session, viewer, page)),
        "local": lambda session, page: entry_ids_of(
            timelines.timeline(session, queries["local"](), page)),
        "federated": lambda session, page: entry_ids_of(
            timelines.timeline(session, queries["federated"](), page)),
        "notifications": lambda session, page: notification_ids_of(
            notification_lists.notifications(session, viewer, page)),
    }
    results = []
    try:
        # The floor any page stands on, measured in the same run: a session and one query
        # for one row by primary key (the figures above it are read against this).
        async with db.reader() as session:
            some_id = (await session.execute(select(Status.id).limit(1))).scalar_one()
        floor = await time_floor(db, some_id, args.runs)
        results.append((name, "floor (1-row query)", statistics.median(floor),
                        _percentile(floor, 0.99)))
        for label, fetch in fetchers.items():
            if args.explain and label in queries:
                print(f"  plan of {label}:\n{await explain(db, queries[label]())}")
            if args.explain and label == "home" and not is_sqlite(url):
                merge = timelines.home_merge(viewer, Page(limit=20))
                print(f"  plan of home (merge):\n{await explain(db, merge, paged=True)}")
            timings = await time_pages(db, fetch, args.runs)
            for depth, values in timings.items():
                results.append((name, f"{label} ({depth})", statistics.median(values),
                                _percentile(values, 0.99)))
        for state, values in (await time_unread(db, viewer, args.runs)).items():
            results.append((name, f"unread ({state})", statistics.median(values),
                            _percentile(values, 0.99)))
    finally:
        await db.dispose()
    return results


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
    results: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            if args.reuse:
                results.extend(await run_backend(target, args))
                continue
            async with database(target, Path(tmp)) as url:
                results.extend(await run_backend(url, args))
    print()
    follows = (f"{args.quiet_follows} accounts with one post each" if args.quiet_follows
               else args.follows)
    print(f"20-post pages, {args.posts:,} posts, {args.accounts:,} accounts, viewer follows "
          f"{follows}; {args.runs} pages each; {os.cpu_count()} CPUs")
    print(f"{'backend':12s} {'timeline':24s} {'median ms':>10s} {'p99 ms':>10s}")
    for backend, label, median, p99 in results:
        print(f"{backend:12s} {label:24s} {median:10.2f} {p99:10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database", help="'sqlite', a SQLite URL, or a PostgreSQL admin "
                        "database URL (a fresh database is made beside it); default: both")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--follows", type=int, default=200)
    parser.add_argument("--notifications", type=int, default=100_000)
    parser.add_argument("--quiet-follows", type=int, default=0,
                        help="follow only this many accounts with one post each (instead of "
                        "--follows): home never fills a page")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="use the --database URL as it "
                        "is (SQLite or PostgreSQL), loading it only when empty, and keep it")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    asyncio.run(main(parser.parse_args()))
