"""Dreamfeed instances on loopback that federate with each other for real.

Each instance listens on 127.0.0.1 under its own test host name (`a.test:PORT`); a resolver
points every `*.test` name at 127.0.0.1, so requests carry real Host headers, real signatures
and real deliveries. Workers do not run by themselves: `settle()` runs every instance's queue
until all are empty, so a test reads "do X, settle, assert Y".
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.typedefs import Middleware

from server import appkeys
from server.app import create_app
from server.config import Config, build_config
from server.services.accounts.users import NewUser, create_local_user
from server.services.context import Services
from server.services.generation import generate


class TestResolver(AbstractResolver):
    """Every *.test host name resolves to 127.0.0.1; anything else does not resolve."""

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        if not (host.endswith(".test") or host in ("localhost", "127.0.0.1")):
            raise OSError(f"no such test host {host}")
        return [ResolveResult(hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET,
                              proto=0, flags=socket.AI_NUMERICHOST)]

    async def close(self) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Instance:
    name: str
    domain: str
    config: Config
    app: web.Application
    runner: web.AppRunner

    @property
    def base(self) -> str:
        return self.config.base_url

    @property
    def services(self) -> Services:
        return self.app[appkeys.SERVICES]

    async def add_user(self, username: str, **kwargs: Any) -> NewUser:
        return await create_local_user(self.app[appkeys.DATABASE].writer, self.config,
                                       username=username, password="correct horse", **kwargs)

    async def make_images(self, account_id: int, prompt: str, n: int = 1) -> list[int]:
        """Generate n small images for a local account through the real pipeline."""
        images = self.app[appkeys.SERVICES]
        view = await generate.request_generation(images, account_id, prompt,
                                                   size="256x256", n=n)
        await self.run_jobs()
        done = await generate.get_generation(images, view.id)
        assert done.state == "done", done.error
        return [media.id for media in done.media]

    async def run_jobs(self) -> int:
        # One job per round (workers = 0 runs them here): a test with dozens of accounts
        # caches an avatar and a header for each, so allow well past the default.
        return await self.app[appkeys.WORKER_POOL].run_until_empty(max_rounds=1000)

    def actor(self, username: str) -> str:
        return f"{self.base}/users/{username}"

    def handle(self, username: str) -> str:
        return f"{username}@{self.domain}"


async def start_instance(name: str, database_url: str, tmp_path: Path, *,
                         host: str | None = None,
                         middlewares: Sequence[Middleware] = (),
                         **sections: dict[str, Any]) -> Instance:
    """`host` replaces the `NAME.test` host name (e.g. 127.0.0.1, for a subprocess that has
    no test resolver); `middlewares` are added in front of the app's own."""
    # Bind first and keep the socket: a port picked and released could be taken meanwhile.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    domain = f"{host or name + '.test'}:{port}"
    raw: dict[str, dict[str, Any]] = {
        "instance": {"domain": domain, "scheme": "http", "name": f"Instance {name}"},
        "database": {"url": database_url},
        "media": {"path": str(tmp_path / name / "media")},
        # Every instance of a test shares one event loop; on a loaded CI machine an answer can
        # take seconds, and a timed-out delivery pauses its host for 25 s, past what a test
        # waits. Nothing here relies on a remote timing out, so the production default stands.
        "federation": {"allow_private_addresses": True},
        "jobs": {"workers": 0, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05},
        # Every instance of a test shares 127.0.0.1 and tests loop fast: limits stay on (the
        # code path runs) but far above what any test does, unless a test passes its own.
        "ratelimits": {name: "100000 per minute" for name in
                       ("signup", "login", "generation", "posting", "inbox", "fetch",
                        "lookup", "api")},
    }
    for section, values in sections.items():
        raw.setdefault(section, {}).update(values)
    config = build_config(raw)
    app = create_app(config, resolver=TestResolver())
    app.middlewares[:0] = list(middlewares)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return Instance(name, domain, config, app, runner)


async def settle(instances: Sequence[Instance], rounds: int = 20) -> None:
    """Run every instance's queue until a full pass finds nothing left to do."""
    for _ in range(rounds):
        if sum([await instance.run_jobs() for instance in instances]) == 0:
            return
    raise AssertionError("queues did not settle")
