"""Opening the image backend a process needs: Dreamfeed's own generator on a loopback port
(the embedded default: no key, no internet), or the configured OpenAI-compatible service.

The one bridge from server to the generator package (an import-linter contract says so):
whatever else needs the generator in-process (its styles, `dreamfeed generator serve`) asks
here, everything else speaks to it over HTTP."""

from __future__ import annotations

import functools
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from generator.engines import ENGINES, make_engine
from generator.engines.base import Engine
from generator.runner import running_generator
from server.config import Config, ConfigError
from server.images.backend import ImageBackend


class EmbeddedBackend(ImageBackend):
    """Dreamfeed's generator on 127.0.0.1, started at the first request, not at start-up: an
    instance that never generates opens no port and no threads, and nothing races for the
    port a test picked for the instance itself."""

    def __init__(self, engine_name: str, *, model: str, timeout: float) -> None:
        # A fresh token per process: only this process knows it, so nothing else on the
        # machine can use the loopback port.
        super().__init__(base_url="http://127.0.0.1/v1", api_key=secrets.token_urlsafe(32),
                         model=model, timeout=timeout)
        self.engine_name = engine_name
        self._stack = AsyncExitStack()

    async def _connect(self) -> None:
        engine = make_engine(self.engine_name)
        self.base_url = await self._stack.enter_async_context(
            running_generator(engine, self.api_key))

    async def close(self) -> None:
        await super().close()
        await self._stack.aclose()


@asynccontextmanager
async def open_image_backend(config: Config) -> AsyncIterator[ImageBackend]:
    gen = config.generator
    backend: ImageBackend
    if gen.embedded:
        if gen.engine not in ENGINES:  # stop the start, rather than fail the first image
            raise ConfigError(f"generator.engine must be one of {', '.join(ENGINES)}, "
                              f"not {gen.engine!r}")
        backend = EmbeddedBackend(gen.engine, model=gen.model, timeout=gen.timeout)
    else:
        backend = ImageBackend(base_url=gen.base_url, api_key=gen.api_key, model=gen.model,
                               timeout=gen.timeout)
    try:
        yield backend
    finally:
        await backend.close()


def load_engine(name: str) -> Engine:
    """An engine of Dreamfeed's generator by name (`generator.engine`)."""
    try:
        return make_engine(name)
    except ValueError as exc:
        raise ConfigError(f"generator.engine: {exc}") from None


@functools.cache
def engine_styles(name: str) -> tuple[str, ...]:
    """The styles an engine of Dreamfeed's generator draws (the compose page lists them)."""
    return tuple(make_engine(name).styles)


@asynccontextmanager
async def serving_alone(engine: Engine, token: str, *, host: str,
                        port: int) -> AsyncIterator[str]:
    """The generator alone on host:port with its access log, until the block ends; yields
    the Images API's base URL."""
    async with running_generator(engine, token, host=host, port=port,
                                 access_log=True) as url:
        yield url
