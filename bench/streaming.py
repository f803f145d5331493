"""Mastodon's streaming API under many connections: N streams held open on a real `dreamfeed
serve` process (half WebSocket subscribed to "user", half server-sent events on
/api/v1/streaming/user), a followed account posts through the API, and the time from the
post's commit to its `update` reaching each stream is measured (p50/p99 over every stream
and post), with the serve process's RSS while it holds them.

    .venv/bin/python bench/streaming.py [--counts 100,1000,5000] [--posts 5]
                                        [--viewers 500] [--database sqlite|URL]

The accounts, tokens and images are made first by the real app in this process, on the
database and media directory the server then runs on. The streams belong to --viewers
different accounts (round robin), each following bob, so routing decides for that many
home timelines per post (one viewer's several streams share one decision, as several tabs
would). The clients run in a child process (this file with --client). The commit time is
the status's created_at (set just before its commit, so the figure errs long). Clocks: all
processes read the same machine's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, TCPConnector
from benchapp import loopback_app, make_images
from benchdb import database
from benchserve import dreamfeed, free_port, status_kb, wait_until_up

from server import appkeys
from server.services.accounts.users import create_local_user
from server.services.context import Services
from server.services.oauth import apps, tokens
from server.services.social.follows import follow

PASSWORD = "correct horse battery"  # noqa: S105 (the bench accounts' own)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# --- the clients (child process) -------------------------------------------------------------


# The status id in an update, without decoding the whole entity (the clients must not be
# what is measured): the payload's first "id", plain (SSE) or inside a JSON string (WebSocket).
_STATUS_ID = re.compile(r'\\?"id\\?":\\?"(\d+)')


async def _ws_client(http: ClientSession, base: str, token: str, got: list[str],
                     opened: list[int]) -> None:
    async with http.ws_connect(f"{base.replace('http', 'ws', 1)}/api/v1/streaming"
                               f"?access_token={token}&stream=user") as ws:
        opened.append(1)
        async for message in ws:
            at = time.time()
            if '"event":"update"' in message.data and (found := _STATUS_ID.search(
                    message.data)):
                got.append(f"{at} {found.group(1)}")


async def _sse_client(http: ClientSession, base: str, token: str, got: list[str],
                      opened: list[int]) -> None:
    async with http.get(f"{base}/api/v1/streaming/user",
                        headers={"Authorization": f"Bearer {token}"}) as resp:
        event = ""
        async for line in resp.content:
            text = line.decode().rstrip("\n")
            if text == ":)":
                opened.append(1)  # the server holds the stream
            elif text.startswith("event: "):
                event = text[7:]
            elif text.startswith("data: ") and event == "update" and (
                    found := _STATUS_ID.search(text)):
                got.append(f"{time.time()} {found.group(1)}")


async def clients(base: str, tokens_file: str, count: int) -> None:
    """Open `count` streams, say "ready N" (N open), then on a line "done" print what
    arrived."""
    viewer_tokens = Path(tokens_file).read_text().split()  # noqa: ASYNC240 (before any task)
    got: list[str] = []
    opened: list[int] = []
    connector = TCPConnector(limit=0)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=None)) as http:
        tasks = []
        for n in range(count):
            opener = _ws_client if n % 2 == 0 else _sse_client
            token = viewer_tokens[n % len(viewer_tokens)]
            tasks.append(asyncio.create_task(opener(http, base, token, got, opened)))
            if n % 100 == 99:
                await asyncio.sleep(0.05)  # do not flood the listen backlog
        for _ in range(1200):
            if len(opened) >= count or all(task.done() for task in tasks):
                break
            await asyncio.sleep(0.1)
        print(f"ready {len(opened)}", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        for task in tasks:
            task.cancel()
    print(json.dumps(got), flush=True)


# --- the server and the posts (this process) -------------------------------------------------


async def _seed(args: argparse.Namespace, database_url: str, tmp: Path,
                port: int) -> tuple[str, list[int]]:
    """The accounts, tokens (viewers' in tmp/tokens, bob's returned) and bob's images."""
    async with loopback_app(database_url, tmp, port=port) as (app, _base):
        services: Services = app[appkeys.SERVICES]
        db = app[appkeys.DATABASE]
        bob = await create_local_user(db.writer, services.config, username="bob",
                                      password=PASSWORD)
        client = await apps.register_app(services, name="bench",
                                          redirect_uris=[apps.OOB_REDIRECT],
                                          scopes="read write", website=None)
        domain = services.config.instance.domain

        async def viewer(n: int) -> str:
            made = await create_local_user(db.writer, services.config, username=f"viewer{n}",
                                           password=PASSWORD)
            await follow(services, f"viewer{n}", f"bob@{domain}")
            issued = await tokens.issue_token(services, client.id, made.user_id,
                                              frozenset({"read"}))
            return issued.access_token

        started = time.monotonic()
        issued: list[str] = []
        for first in range(0, args.viewers, 20):
            issued += await asyncio.gather(*(viewer(n) for n in range(
                first, min(args.viewers, first + 20))))
        (tmp / "tokens").write_text("\n".join(issued))
        poster = await tokens.issue_token(services, client.id, bob.user_id,
                                          frozenset({"read", "write"}))
        counts = [int(n) for n in args.counts.split(",")]
        media = await make_images(app, bob.account_id, args.posts * len(counts))
        print(f"{args.viewers} viewers made in {time.monotonic() - started:.0f} s",
              flush=True)
    return poster.access_token, media


async def _post(http: ClientSession, base: str, token: str, media_id: int) -> tuple[str, float]:
    """Post through the API: (the status id, its created_at as a Unix time)."""
    async with http.post(f"{base}/api/v1/statuses",
                         headers={"Authorization": f"Bearer {token}"},
                         json={"status": "a bench post", "media_ids": [str(media_id)]}) as resp:
        body = await resp.json()
        if resp.status != 200:
            raise SystemExit(f"posting failed: {resp.status} {body}")
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    return body["id"], created.timestamp()


async def _round(base: str, pid: int, tokens_file: Path, poster: str, count: int,
                 media: list[int]) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", base, str(tokens_file), str(count),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**30)
    assert child.stdout is not None and child.stdin is not None
    ready = (await child.stdout.readline()).decode().split()
    held = int(ready[1])
    await asyncio.sleep(1.0)
    rss = status_kb(pid, "VmRSS") / 1024
    committed: dict[str, float] = {}
    async with ClientSession() as http:
        for media_id in media:
            status_id, at = await _post(http, base, poster, media_id)
            committed[status_id] = at
            await asyncio.sleep(max(1.0, count / 1000))  # let the fan-out finish
    await asyncio.sleep(2.0)
    child.stdin.write(b"done\n")
    await child.stdin.drain()
    arrived = json.loads((await child.stdout.readline()).decode())
    await child.wait()
    delays = [float(at) - committed[sid] for at, sid in (line.split() for line in arrived)
              if sid in committed]
    expected = held * len(media)
    if not delays:
        print(f"N={count:>5}: nothing arrived (held {held})", flush=True)
        return
    print(f"N={count:>5}: held {held}, delivered {len(delays)}/{expected}, "
          f"p50 {statistics.median(delays) * 1000:.0f} ms, "
          f"p99 {_percentile(delays, 0.99) * 1000:.0f} ms, RSS {rss:.0f} MB", flush=True)


async def run(args: argparse.Namespace, database_url: str, tmp: Path) -> None:
    port = free_port()
    poster, media = await _seed(args, database_url, tmp, port)
    base = f"http://127.0.0.1:{port}"
    env = {"DREAMFEED_DATABASE_URL": database_url,
           "DREAMFEED_INSTANCE_DOMAIN": f"127.0.0.1:{port}",
           "DREAMFEED_INSTANCE_SCHEME": "http", "DREAMFEED_INSTANCE_NAME": "Bench",
           "DREAMFEED_MEDIA_PATH": str(tmp / "media"),
           "DREAMFEED_RATELIMITS_ENABLED": "false"}
    # One web process: its RSS and its streams are what this bench reads (PostgreSQL would
    # start one per core).
    server = dreamfeed(None, "serve", "--host", "127.0.0.1", "--port", str(port),
                       "--processes", "1", env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    try:
        await wait_until_up(base, server)
        await asyncio.sleep(1.0)
        print(f"serve process idle RSS {status_kb(server.pid, 'VmRSS') / 1024:.0f} MB",
              flush=True)
        counts = [int(n) for n in args.counts.split(",")]
        for n, count in enumerate(counts):
            await _round(base, server.pid, tmp / "tokens", poster, count,
                         media[n * args.posts:(n + 1) * args.posts])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


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
