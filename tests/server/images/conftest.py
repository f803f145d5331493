"""Backends for the image tests: Dreamfeed's generator on a loopback test server, and a fake
OpenAI that answers what a test tells it to (moderation refusals, spent quotas, slowness)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from generator.app import create_generator_app
from generator.engines import make_engine
from server.app import create_app, make_http_client
from server.config import Config
from server.images.backend import ImageBackend
from server.services.accounts.users import create_local_user
from server.services.context import Services
from storage.database import Database
from storage.media_files import LocalMediaStore

TOKEN = "test-token"
ServerFactory = Callable[..., Awaitable[TestServer]]
Client = TestClient[Any, Any]


@pytest.fixture
async def generator_url(aiohttp_server: ServerFactory) -> str:
    server = await aiohttp_server(create_generator_app(TOKEN, make_engine()))
    return str(server.make_url("/v1"))


@pytest.fixture
async def backend(generator_url: str) -> AsyncIterator[ImageBackend]:
    backend = ImageBackend(base_url=generator_url, api_key=TOKEN, model="gpt-image-2",
                           timeout=30)
    yield backend
    await backend.close()


def png(size: tuple[int, int] = (64, 48), color: tuple[int, ...] = (30, 120, 220),
        mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class FakeOpenAI:
    """Answers POST /v1/images/* with `status` and `body`, after `delay` seconds, and keeps
    the JSON bodies it was sent."""

    status: int = 200
    body: dict[str, Any] = field(default_factory=lambda: {
        "created": 1, "data": [{"b64_json": base64.b64encode(png()).decode()}]})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)

    def refuse(self, status: int, code: str | None, message: str,
               type: str = "invalid_request_error") -> None:
        self.status = status
        self.body = {"error": {"message": message, "type": type, "param": None,
                               "code": code}}

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_type == "application/json":
            self.received.append(json.loads(await request.read()))
        else:
            await request.read()
        await asyncio.sleep(self.delay)
        return web.json_response(self.body, status=self.status, headers=self.headers)


@pytest.fixture
async def fake_openai(aiohttp_server: ServerFactory) -> tuple[FakeOpenAI, str]:
    fake = FakeOpenAI()
    app = web.Application()
    app.router.add_post("/v1/images/generations", fake.handle)
    app.router.add_post("/v1/images/edits", fake.handle)
    server = await aiohttp_server(app)
    return fake, str(server.make_url("/v1"))


@pytest.fixture
async def app_client(config: Config, aiohttp_client: Callable[..., Awaitable[Client]]
                     ) -> Client:
    """A running instance on each database, with its in-process generator."""
    return await aiohttp_client(create_app(config))


async def make_user(db: Database, config: Config, name: str = "alice") -> int:
    user = await create_local_user(db.writer, config, username=name, password="correct horse")
    return user.account_id


@asynccontextmanager
async def services_with(config: Config, database: Database, backend: ImageBackend,
                        media_dir: Path) -> AsyncIterator[Services]:
    """The app's Services, with `backend` as its image backend and media in `media_dir`."""
    async with make_http_client(config) as http:
        yield Services(config=config, db=database, http=http,
                       media=LocalMediaStore(media_dir), image_backend=backend)


@pytest.fixture
async def fake_images(config: Config, database: Database, fake_openai: tuple[FakeOpenAI, str],
                      tmp_path: Path) -> AsyncIterator[tuple[Services, FakeOpenAI]]:
    """Services whose image backend is the fake OpenAI."""
    fake, url = fake_openai
    backend = ImageBackend(base_url=url, api_key=TOKEN, model="gpt-image-2", timeout=5)
    async with services_with(config, database, backend, tmp_path / "media") as services:
        yield services, fake
    await backend.close()
