"""Opening the image backend a process needs: Dreamfeed's own generator on a loopback port
(the embedded default: no key, no internet), or the configured OpenAI-compatible service.

The one bridge from server to the generator package (an import-linter contract says so):
whatever else needs the generator in-process (its styles, `dreamfeed generator serve`) asks
here, everything else speaks to it over HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from generator.engines import ENGINES, check_engine, engine_model_name, make_engine
from generator.engines.base import Engine, EngineSettings
from generator.runner import running_generator
from server.config import Config, ConfigError, GeneratorConfig
from server.images.backend import ImageBackend


class EmbeddedBackend(ImageBackend):
    """Dreamfeed's generator on 127.0.0.1, started at the first request, not at start-up: an
    instance that never generates opens no port and no threads, and nothing races for the
    port a test picked for the instance itself."""

    def __init__(self, engine_name: str, *, model: str, timeout: float,
                 settings: EngineSettings | None = None) -> None:
        # A fresh token per process: only this process knows it, so nothing else on the
        # machine can use the loopback port.
        super().__init__(base_url="http://127.0.0.1/v1", api_key=secrets.token_urlsafe(32),
                         model=model, timeout=timeout)
        self.engine_name = engine_name
        self.settings = settings or EngineSettings()
        self._stack = AsyncExitStack()

    async def _connect(self) -> None:
        # A model engine loads its weights here, once, off the event loop.
        engine = await asyncio.to_thread(make_engine, self.engine_name, self.settings)
        base_url = await self._stack.enter_async_context(
            running_generator(engine, self.endpoint.api_key))
        self.endpoint = dataclasses.replace(self.endpoint, base_url=base_url)

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
        settings = engine_settings(gen)
        problem = check_engine(gen.engine, settings)
        if problem:
            raise ConfigError(problem)
        # The engine's own name, not [generator] model (an OpenAI model's, "gpt-image-2" by
        # default): the generator draws with its engine whatever is asked, and a queued
        # generation or the instance's offer must not name a model that is not there.
        backend = EmbeddedBackend(gen.engine, model=engine_model_name(gen.engine, settings),
                                  timeout=gen.timeout, settings=settings)
    else:
        backend = ImageBackend(base_url=gen.base_url, api_key=gen.api_key, model=gen.model,
                               timeout=gen.timeout)
    try:
        yield backend
    finally:
        await backend.close()


def engine_settings(gen: GeneratorConfig) -> EngineSettings:
    """The [generator] settings a model engine reads."""
    return EngineSettings(model_path=gen.model_path, device=gen.device, dtype=gen.dtype,
                          steps=gen.steps, guidance=gen.guidance,
                          allow_download=gen.allow_download)


def load_engine(gen: GeneratorConfig) -> Engine:
    """The configured engine of Dreamfeed's generator, built (a model's weights loaded)."""
    try:
        return make_engine(gen.engine, engine_settings(gen))
    except ValueError as exc:
        raise ConfigError(f"generator.engine {gen.engine}: {exc}") from None


def engine_styles(name: str) -> tuple[str, ...]:
    """The styles an engine of Dreamfeed's generator draws (the compose page lists them),
    known without building it."""
    kind = ENGINES.get(name)
    return kind.styles if kind else ()


@asynccontextmanager
async def serving_alone(engine: Engine, token: str, *, host: str,
                        port: int) -> AsyncIterator[str]:
    """The generator alone on host:port with its access log, until the block ends; yields
    the Images API's base URL."""
    async with running_generator(engine, token, host=host, port=port,
                                 access_log=True) as url:
        yield url
