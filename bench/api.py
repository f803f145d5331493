"""The client API beside the web app, same work, same run: requests per second and p50/p99
latency of the home timeline, creating a status with an image already made, notifications
and verify_credentials, each against its web-page equivalent (/home, POST /compose/post,
/notifications, /settings/profile), over real HTTP on loopback.

    .venv/bin/python bench/api.py [--posts 200] [--runs 200] [--creates 40]
                                  [--database sqlite|URL]

The instance is the real app (create_app) on a loopback port with rate limits off. Data:
alice (the viewer) follows bob; bob posts `--posts` statuses with one generated image each
and likes 40 of alice's statuses (alice's notifications). Requests run one at a time from
one client (latency, not load); rps = requests / wall time. The ratio column is API time
over web time for the same work: the pages render HTML from the same services, so the
ceiling for the API is the page's figure (the API adds JSON entities with more fields,
the page adds templates).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import ClientSession, FormData, web
from benchapp import loopback_app, make_images
from benchdb import database

from server import appkeys
from server.services.accounts import web_sessions
from server.services.accounts.users import create_local_user
from server.services.context import Services
from server.services.oauth import apps, tokens
from server.services.social.follows import follow
from server.services.statuses.favourites import favourite
from server.services.statuses.posts import NewStatus, create_status

Request = Callable[[ClientSession, int], Awaitable[int]]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def _time(http: ClientSession, send: Request, runs: int) -> dict[str, float]:
    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(runs):
        t0 = time.perf_counter()
        status = await send(http, n)
        latencies.append(time.perf_counter() - t0)
        if status >= 400:
            raise SystemExit(f"request failed with {status}")
    wall = time.perf_counter() - started
    return {"rps": runs / wall, "p50": statistics.median(latencies) * 1000,
            "p99": _percentile(latencies, 0.99) * 1000}


async def run(args: argparse.Namespace, database_url: str, tmp: Path) -> None:
    async with loopback_app(database_url, tmp) as (app, base):
        await _measure(args, app, base)


async def _measure(args: argparse.Namespace, app: web.Application, base: str) -> None:
    services: Services = app[appkeys.SERVICES]
    db = app[appkeys.DATABASE]
    domain = services.config.instance.domain
    alice = await create_local_user(db.writer, services.config, username="alice",
                                    password="correct horse battery")
    bob = await create_local_user(db.writer, services.config, username="bob",
                                  password="correct horse battery")
    await follow(services, "alice", f"bob@{domain}")
    started = time.perf_counter()
    for media_id in await make_images(app, bob.account_id, args.posts):
        await create_status(services, "bob", NewStatus(media_ids=[media_id],
                                                       caption="a bench post #bench"))
    for media_id in await make_images(app, alice.account_id, 40):
        view = await create_status(services, "alice", NewStatus(media_ids=[media_id],
                                                                caption="mine"))
        await favourite(services, "bob", str(view.id))
    fresh = await make_images(app, alice.account_id, 2 * args.creates)
    await app[appkeys.WORKER_POOL].run_until_empty()
    print(f"loaded in {time.perf_counter() - started:.0f}s", flush=True)

    client = await apps.register_app(services, name="bench", redirect_uris=[apps.OOB_REDIRECT],
                                      scopes="read write", website=None)
    issued = await tokens.issue_token(services, client.id, alice.user_id,
                                      frozenset({"read", "write"}))
    bearer = {"Authorization": f"Bearer {issued.access_token}"}
    cookie, signed_in = await web_sessions.sign_in(db, "alice", "correct horse battery",
                                                   ip="127.0.0.1", user_agent="bench")
    api_media, web_media = fresh[:args.creates], fresh[args.creates:]

    def get(url: str, headers: dict[str, str]) -> Request:
        async def send(http: ClientSession, n: int) -> int:
            async with http.get(base + url, headers=headers) as resp:
                await resp.read()
                return resp.status
        return send

    async def api_create(http: ClientSession, n: int) -> int:
        async with http.post(f"{base}/api/v1/statuses", headers=bearer, json={
                "status": f"api post {n}", "media_ids": [str(api_media[n])]}) as resp:
            await resp.read()
            return resp.status

    async def web_create(http: ClientSession, n: int) -> int:
        form = FormData({"caption": f"web post {n}", "media_id": str(web_media[n]),
                         "csrf_token": signed_in.csrf_token})
        async with http.post(f"{base}/compose/post", data=form, allow_redirects=False) as resp:
            await resp.read()
            return resp.status

    cases: list[tuple[str, Request, Request, int]] = [
        ("home timeline", get("/api/v1/timelines/home?limit=20", bearer), get("/home", {}),
         args.runs),
        ("notifications", get("/api/v1/notifications?limit=20", bearer),
         get("/notifications", {}), args.runs),
        ("verify_credentials", get("/api/v1/accounts/verify_credentials", bearer),
         get("/settings/profile", {}), args.runs),
        ("status create", api_create, web_create, args.creates),
    ]
    print(f"{'':22}{'API rps':>9}{'p50 ms':>8}{'p99 ms':>8}  |{'web rps':>9}{'p50 ms':>8}"
          f"{'p99 ms':>8}  | API/web p50")
    async with ClientSession(cookies={"dreamfeed_session": cookie}) as http:
        for name, api_send, web_send, runs in cases:
            api = await _time(http, api_send, runs)
            page = await _time(http, web_send, runs)
            print(f"{name:22}{api['rps']:9.0f}{api['p50']:8.1f}{api['p99']:8.1f}  |"
                  f"{page['rps']:9.0f}{page['p50']:8.1f}{page['p99']:8.1f}  | "
                  f"{api['p50'] / page['p50']:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--creates", type=int, default=40)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()

    async def go() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            async with database(args.database, Path(tmp)) as url:
                print(f"database: {url.split('://')[0]}", flush=True)
                await run(args, url, Path(tmp))

    asyncio.run(go())


if __name__ == "__main__":
    main()
