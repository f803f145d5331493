"""ImageBackend over the official openai client: against Dreamfeed's generator, and against a
fake OpenAI for the failures only a real service produces (moderation, quota, slowness)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from generator.app import create_generator_app
from generator.engines.base import Rendered, RenderRequest
from generator.engines.procedural import ProceduralEngine
from server.config import ConfigError, build_config
from server.images.backend import BackendError, ImageBackend, ImageRequest
from server.images.embedded import EmbeddedBackend, open_image_backend
from tests.server.cli.cli_helpers import free_port
from tests.server.images.conftest import TOKEN, FakeOpenAI, png


async def test_generates_through_the_generator_service(backend: ImageBackend) -> None:
    images = await backend.generate(ImageRequest(prompt="a city at night", size="128x96",
                                                 n=2, seed=5, style="landscape"))
    assert [image.seed for image in images] == [5, 6]
    for image in images:
        assert image.data.startswith(b"\x89PNG")
        assert image.generator == "dreamfeed-procedural 1"
        assert image.digital_source_type == "algorithmicMedia"
        assert image.style == "landscape" and image.revised_prompt


async def test_remixes_through_the_generator_service(backend: ImageBackend) -> None:
    images = await backend.edit(ImageRequest(prompt="marble", size="64x64"),
                                [("source.png", png(), "image/png")])
    assert len(images) == 1 and images[0].data.startswith(b"\x89PNG")


async def test_a_bad_key_is_not_retried(generator_url: str) -> None:
    backend = ImageBackend(base_url=generator_url, api_key="wrong", model="m", timeout=5)
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(ImageRequest(prompt="x", size="64x64"))
    finally:
        await backend.close()
    assert caught.value.code == "auth" and not caught.value.retryable
    assert "api_key" in caught.value.message


async def test_model_output_is_labelled_trained(fake_openai: tuple[FakeOpenAI, str]) -> None:
    fake, url = fake_openai
    for model, sends_format in (("gpt-image-2", False), ("sd-turbo", True)):
        backend = ImageBackend(base_url=url, api_key=TOKEN, model=model, timeout=5)
        images = await backend.generate(ImageRequest(prompt="x", size="1024x1024",
                                                     quality="high"))
        await backend.close()
        assert images[0].digital_source_type == "trainedAlgorithmicMedia"
        assert images[0].generator == model
        sent = fake.received[-1]
        assert (sent["model"], sent["size"], sent["quality"]) == (model, "1024x1024", "high")
        assert ("response_format" in sent) is sends_format
        assert "seed" not in sent and "style" not in sent  # extensions only when asked


@pytest.mark.parametrize(("status", "code", "type", "message", "expected", "retryable"), [
    (400, "moderation_blocked", "image_generation_user_error",
     "Your request was rejected by the safety system.", "refused", False),
    (400, "content_policy_violation", "invalid_request_error", "no", "refused", False),
    (429, "insufficient_quota", "insufficient_quota", "You exceeded your current quota.",
     "quota", False),
    (400, "billing_hard_limit_reached", "invalid_request_error", "Billing hard limit",
     "quota", False),
    (429, "rate_limit_exceeded", "requests", "Rate limit reached", "rate_limited", True),
    (500, None, "server_error", "The server had an error", "unavailable", True),
    (503, None, "server_error", "Overloaded", "unavailable", True),
    (403, None, "invalid_request_error", "Organization must be verified", "auth", False),
    (404, "model_not_found", "invalid_request_error", "No such model", "invalid", False),
    (400, "invalid_value", "invalid_request_error", "Invalid size '7x7'", "invalid", False),
])
async def test_service_errors_become_clear_backend_errors(
        fake_openai: tuple[FakeOpenAI, str], status: int, code: str | None, type: str,
        message: str, expected: str, retryable: bool) -> None:
    fake, url = fake_openai
    fake.refuse(status, code, message, type)
    fake.headers = {"retry-after": "7"}
    backend = ImageBackend(base_url=url, api_key=TOKEN, model="gpt-image-2", timeout=5)
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(ImageRequest(prompt="x"))
    finally:
        await backend.close()
    assert (caught.value.code, caught.value.retryable) == (expected, retryable)
    assert len(fake.received) == 1  # the client itself never retries
    if expected == "rate_limited":
        assert caught.value.retry_after == 7.0
    if expected == "invalid":
        assert message in caught.value.message


async def test_timeouts_and_unreachable_services_are_retryable(
        fake_openai: tuple[FakeOpenAI, str]) -> None:
    fake, url = fake_openai
    fake.delay = 2.0
    slow = ImageBackend(base_url=url, api_key=TOKEN, model="m", timeout=0.3)
    gone = ImageBackend(base_url=f"http://127.0.0.1:{free_port()}/v1", api_key="k",
                        model="m", timeout=5)
    try:
        with pytest.raises(BackendError) as timed_out:
            await slow.generate(ImageRequest(prompt="x"))
        with pytest.raises(BackendError) as unreachable:
            await gone.generate(ImageRequest(prompt="x"))
    finally:
        await slow.close()
        await gone.close()
    assert (timed_out.value.code, timed_out.value.retryable) == ("timeout", True)
    assert "0.3 seconds" in timed_out.value.message
    assert (unreachable.value.code, unreachable.value.retryable) == ("unavailable", True)


@pytest.mark.parametrize("data", [
    [{"url": "https://images.example/1.png"}],
    [{"b64_json": "%%% not base64 %%%"}],
    [],
])
async def test_unusable_answers_are_reported(fake_openai: tuple[FakeOpenAI, str],
                                             data: list[dict[str, str]]) -> None:
    fake, url = fake_openai
    fake.body = {"created": 1, "data": data}
    backend = ImageBackend(base_url=url, api_key=TOKEN, model="m", timeout=5)
    try:
        with pytest.raises(BackendError) as caught:
            await backend.generate(ImageRequest(prompt="x"))
    finally:
        await backend.close()
    assert caught.value.code == "bad_response" and not caught.value.retryable


async def test_embedded_generator_starts_at_first_use_on_loopback() -> None:
    async with open_image_backend(build_config({})) as backend:
        assert isinstance(backend, EmbeddedBackend)
        assert backend.base_url == "http://127.0.0.1/v1"  # nothing bound yet
        # Named for the engine that draws, before any image: never [generator] model's
        # OpenAI default (gpt-image-2), which is not what runs here.
        assert backend.model == "dreamfeed-procedural"
        images = await backend.generate(ImageRequest(prompt="a nebula", size="64x64"))
        assert backend.base_url.startswith("http://127.0.0.1:")
        assert images[0].generator == "dreamfeed-procedural 1"
        url = backend.base_url
    with pytest.raises(aiohttp.ClientError):  # closed with the backend
        async with aiohttp.ClientSession() as session:
            await session.get(url.removesuffix("/v1") + "/health")


async def test_unknown_engine_stops_the_start() -> None:
    with pytest.raises(ConfigError, match=r"generator\.engine must be one of procedural"):
        async with open_image_backend(build_config({"generator": {"engine": "sdxl"}})):
            pass
    key = build_config({"generator": {"api_key": "sk-test"}})
    async with open_image_backend(key) as backend:
        assert not isinstance(backend, EmbeddedBackend)
        assert backend.base_url == "https://api.openai.com/v1"


async def test_a_remix_strength_reaches_the_generator_engine(
        aiohttp_server: Callable[..., Awaitable[TestServer]]) -> None:
    """Through the openai client and our generator's HTTP API, into the engine's request."""
    seen: list[float | None] = []

    class Recording(ProceduralEngine):
        def render(self, request: RenderRequest) -> Rendered:
            seen.append(request.strength)
            return super().render(request)

    server = await aiohttp_server(create_generator_app(TOKEN, Recording()))
    backend = ImageBackend(base_url=str(server.make_url("/v1")), api_key=TOKEN, model="m",
                           timeout=30)
    try:
        for strength in (0.35, None):
            await backend.edit(ImageRequest(prompt="a cat", size="64x64", strength=strength),
                               [("source.png", png(), "image/png")])
    finally:
        await backend.close()
    assert seen == [0.35, None]


def test_generator_extensions_are_not_sent_to_openai() -> None:
    """Seed and style are our generator's; OpenAI refuses an unknown seed and reads `style`
    as vivid or natural. Any other server gets them."""
    request = ImageRequest(prompt="a cat", size="1024x1024", seed=7, style="watercolor")
    openai = ImageBackend(base_url="https://api.openai.com/v1", api_key="k",
                          model="gpt-image-2", timeout=30)
    other = ImageBackend(base_url="http://127.0.0.1:8080/v1", api_key="k", model="m",
                         timeout=30)
    assert "extra_body" not in openai.request_options(request)
    assert other.request_options(request)["extra_body"] == {"seed": 7, "style": "watercolor"}
