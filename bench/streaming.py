"""Mastodon's streaming API under many connections: N streams held open (half WebSocket
subscribed to "user", half server-sent events on /api/v1/streaming/user), a followed account
posts, and the time from the post's commit to its `update` reaching each stream is measured
(p50/p99 over every stream and post), with the web process's RSS while it holds them.

    .venv/bin/python bench/streaming.py [--counts 100,1000,5000] [--posts 5]
                                        [--viewers 500] [--database sqlite|URL]

The instance is the real app (create_app, the bus of its database) on a loopback port; the
clients run in a child process (this file with --client), so the RSS printed is the web
process's alone. The streams belong to --viewers different accounts (round robin), each
following bob, so routing decides for that many home timelines per post (one viewer's
several streams share one decision, as several tabs would). Clocks: both processes read
time.time() on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from benchapp import loopback_app, make_images
from benchdb import database

from server import appkeys
from server.services.accounts.users import create_local_user
from server.services.context import Services
from server.services.oauth import apps, tokens
from server.services.social.follows import follow
from server.services.statuses.posts import NewStatus, create_status


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# --- the clients (child process) -------------------------------------------------------------


async def _ws_client(http: ClientSession, base: str, token: str, got: list[str]) -> None:
    async with http.ws_connect(f"{base.replace('http', 'ws', 1)}/api/v1/streaming"
                               f"?access_token={token}&stream=user") as ws:
        async for message in ws:
            data = json.loads(message.data)
            if data.get("event") == "update":
                got.append(f"{time.time()} {json.loads(data['payload'])['id']}")


async def _sse_client(http: ClientSession, base: str, token: str, got: list[str]) -> None:
    async with http.get(f"{base}/api/v1/streaming/user",
                        headers={"Authorization": f"Bearer {token}"}) as resp:
        event = ""
        async for line in resp.content:
            text = line.decode().rstrip("\n")
            if text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: ") and event == "update":
                got.append(f"{time.time()} {json.loads(text[6:])['id']}")


async def clients(base: str, tokens_file: str, count: int) -> None:
    """Open `count` streams, say "ready", then on a line "done" print what arrived."""
    tokens = Path(tokens_file).read_text().split()  # noqa: ASYNC240 (before any task)
    got: list[str] = []
    connector = TCPConnector(limit=0)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=None)) as http:
        tasks = []
        for n in range(count):
            opener = _ws_client if n % 2 == 0 else _sse_client
            token = tokens[n % len(tokens)]
            tasks.append(asyncio.create_task(opener(http, base, token, got)))
            if n % 100 == 99:
                await asyncio.sleep(0.05)  # do not flood the listen backlog
        await asyncio.sleep(1.0)
        print("ready", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        for task in tasks:
            task.cancel()
    print(json.dumps(got), flush=True)


# --- the server (this process) ---------------------------------------------------------------


async def _round(app: web.Application, base: str, tokens_file: Path, count: int,
                 media: list[int]) -> None:
    services: Services = app[appkeys.SERVICES]
    streams = app[appkeys.STREAMING]
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", base, str(tokens_file), str(count),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**30)
    assert child.stdout is not None and child.stdin is not None
    assert (await child.stdout.readline()).strip() == b"ready"
    for _ in range(600):
        if streams.connections >= count:
            break
        await asyncio.sleep(0.1)
    held = streams.connections
    rss = _rss_mb()
    committed: dict[str, float] = {}
    for media_id in media:
        view = await create_status(services, "bob", NewStatus(media_ids=[media_id],
                                                              caption="a bench post"))
        committed[str(view.id)] = time.time()
        await asyncio.sleep(max(1.0, count / 1000))  # let the fan-out finish
    await asyncio.sleep(2.0)
    child.stdin.write(b"done\n")
    await child.stdin.drain()
    arrived = json.loads((await child.stdout.readline()).decode())
    await child.wait()
    delays = [float(at) - committed[sid] for at, sid in (line.split() for line in arrived)
              if sid in committed]
    expected = count * len(media)
    if not delays:
        print(f"N={count:>5}: nothing arrived (held {held})")
        return
    print(f"N={count:>5}: held {held}, delivered {len(delays)}/{expected}, "
          f"p50 {statistics.median(delays) * 1000:.0f} ms, "
          f"p99 {_percentile(delays, 0.99) * 1000:.0f} ms, RSS {rss:.0f} MB", flush=True)


async def run(args: argparse.Namespace, database_url: str, tmp: Path) -> None:
    async with loopback_app(database_url, tmp, backlog=4096) as (app, base):
        services: Services = app[appkeys.SERVICES]
        db = app[appkeys.DATABASE]
        bob = await create_local_user(db.writer, services.config, username="bob",
                                      password="correct horse battery")
        client = await apps.register_app(services, name="bench",
                                          redirect_uris=[apps.OOB_REDIRECT],
                                          scopes="read", website=None)

        async def viewer(n: int) -> str:
            made = await create_local_user(db.writer, services.config, username=f"viewer{n}",
                                           password="correct horse battery")
            await follow(services, f"viewer{n}", f"bob@{services.config.instance.domain}")
            issued = await tokens.issue_token(services, client.id, made.user_id,
                                              frozenset({"read"}))
            return issued.access_token

        started = time.monotonic()
        issued: list[str] = []
        for first in range(0, args.viewers, 20):
            issued += await asyncio.gather(*(viewer(n) for n in range(
                first, min(args.viewers, first + 20))))
        tokens_file = tmp / "tokens"
        tokens_file.write_text("\n".join(issued))
        print(f"{args.viewers} viewers made in {time.monotonic() - started:.0f} s",
              flush=True)
        counts = [int(n) for n in args.counts.split(",")]
        media = await make_images(app, bob.account_id, args.posts * len(counts))
        print(f"idle RSS {_rss_mb():.0f} MB", flush=True)
        for n, count in enumerate(counts):
            await _round(app, base, tokens_file, count,
                         media[n * args.posts:(n + 1) * args.posts])


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(args.database, Path(tmp)) as url:
            await run(args, url, Path(tmp))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        asyncio.run(clients(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="100,1000,5000")
    parser.add_argument("--posts", type=int, default=5)
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--database", default=None)
    asyncio.run(main(parser.parse_args()))
