"""The generator service on a loopback test server, and the official openai client on it."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import openai
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from PIL import Image

from generator.app import create_generator_app
from generator.engines import make_engine
from generator.engines.base import Engine

TOKEN = "test-token"
ServerFactory = Callable[..., Awaitable[TestServer]]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return make_engine()


async def start_generator(aiohttp_server: ServerFactory, engine: Engine,
                          **options: Any) -> str:
    """Serve the generator; returns its base URL (…/v1)."""
    app: web.Application = create_generator_app(TOKEN, engine, **options)
    server = await aiohttp_server(app)
    return str(server.make_url("/v1"))


@pytest.fixture
async def base_url(aiohttp_server: ServerFactory, engine: Engine) -> str:
    return await start_generator(aiohttp_server, engine)


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official client, unchanged, with its retries off so errors surface at once."""
    async with openai.AsyncOpenAI(base_url=base_url, api_key=TOKEN, max_retries=0) as client:
        yield client


def decode_image(b64: str | None) -> Image.Image:
    assert b64 is not None
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


def png_bytes(size: tuple[int, int] = (160, 96), color: tuple[int, int, int] = (200, 40, 40)
              ) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()
