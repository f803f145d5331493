"""A remote server's inboxes that record what they receive and answer as told."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from tests.federation.harness import free_port


@dataclass
class Received:
    host: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingInbox:
    """POST anywhere -> recorded; answers come from `script` (status, headers) in order,
    then `default_status`."""

    port: int = field(default_factory=free_port)
    default_status: int = 202
    script: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    runner: web.AppRunner | None = None

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.host, request.path, dict(request.headers), body))
        status, headers = self.script.popleft() if self.script else (self.default_status, {})
        return web.Response(status=status, headers=headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
