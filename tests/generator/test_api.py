"""The official `openai` client against the generator service: generations, edits, models,
errors in OpenAI's shape, and determinism by seed."""

from __future__ import annotations

import asyncio
import struct
import threading
import zlib
from typing import Literal

import aiohttp
import openai
import pytest

from generator.engines.base import Engine, Rendered, RenderRequest
from tests.generator.conftest import (
    TOKEN,
    ServerFactory,
    decode_image,
    png_bytes,
    start_generator,
)


async def test_generation_answers_like_openai(client: openai.AsyncOpenAI) -> None:
    response = await client.images.generate(prompt="a red moon over a quiet sea",
                                            model="gpt-image-2", size="256x256", n=2,
                                            quality="low")
    assert response.created > 0
    assert response.size == "256x256"
    assert response.output_format == "png"
    assert response.quality == "low"
    assert response.data is not None and len(response.data) == 2
    for item in response.data:
        image = decode_image(item.b64_json)
        assert (image.format, image.size, image.mode) == ("PNG", (256, 256), "RGB")
        assert item.revised_prompt and "a red moon over a quiet sea" in item.revised_prompt
    extra = response.model_extra or {}
    assert extra["dreamfeed"] == {"engine": "dreamfeed-procedural", "engine_version": "1",
                                  "digital_source_type": "algorithmicMedia"}
    seeds = [(item.model_extra or {})["seed"] for item in response.data]
    assert seeds[1] == seeds[0] + 1


async def test_same_prompt_and_seed_same_image(client: openai.AsyncOpenAI) -> None:
    async def make(prompt: str, seed: int) -> str | None:
        response = await client.images.generate(prompt=prompt, size="128x128",
                                                extra_body={"seed": seed})
        assert response.data
        return response.data[0].b64_json

    first = await make("mountains at dawn", 42)
    assert await make("mountains at dawn", 42) == first
    assert await make("mountains at dawn", 43) != first
    assert await make("a galaxy of violet stars", 42) != first


@pytest.mark.parametrize(("fmt", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP")])
async def test_output_formats(client: openai.AsyncOpenAI, fmt: Literal["jpeg", "webp"],
                              pil_format: str) -> None:
    response = await client.images.generate(prompt="blue marble swirl", size="192x128",
                                            output_format=fmt, output_compression=70)
    assert response.output_format == fmt and response.data
    image = decode_image(response.data[0].b64_json)
    assert (image.format, image.size) == (pil_format, (192, 128))


async def test_style_extension(client: openai.AsyncOpenAI, engine: Engine) -> None:
    for style in engine.styles:
        response = await client.images.generate(prompt="anything", size="64x64",
                                                extra_body={"style": style})
        assert response.data and (response.data[0].model_extra or {})["style"] == style


async def test_edit_single_image_keeps_its_size(client: openai.AsyncOpenAI) -> None:
    response = await client.images.edit(image=("source.png", png_bytes((320, 192)), "image/png"),
                                        prompt="make it a nebula", extra_body={"seed": 1})
    assert response.size == "320x192" and response.data
    assert decode_image(response.data[0].b64_json).size == (320, 192)


async def test_edit_several_images(client: openai.AsyncOpenAI) -> None:
    sources = [("a.png", png_bytes((128, 128), (10, 200, 10)), "image/png"),
               ("b.png", png_bytes((64, 64)), "image/png")]
    response = await client.images.edit(image=sources, prompt="remix", size="128x128", n=2)
    assert response.data and len(response.data) == 2
    # The first source's colours lead the palette: a green source gives a green remix.
    red, green, blue = decode_image(response.data[0].b64_json).convert("RGB").resize(
        (1, 1)).getpixel((0, 0))  # type: ignore[misc]
    assert green > red and green > blue


async def test_edit_refuses_masks_and_bad_images(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as masked:
        await client.images.edit(image=("a.png", png_bytes(), "image/png"),
                                 mask=("m.png", png_bytes(), "image/png"), prompt="x")
    assert masked.value.param == "mask" and "not supported" in masked.value.message
    with pytest.raises(openai.BadRequestError) as garbage:
        await client.images.edit(image=("a.png", b"not an image at all", "image/png"),
                                 prompt="x")
    assert garbage.value.code == "invalid_image_format"
    with pytest.raises(openai.BadRequestError) as bomb:
        await client.images.edit(image=("bomb.png", png_header(60000, 60000), "image/png"),
                                 prompt="x")
    assert bomb.value.code == "image_too_large"


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size: a decompression bomb's calling card."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("params", "param", "code"), [
    ({"prompt": ""}, "prompt", "empty_string"),
    ({"prompt": "x", "size": "100x100"}, "size", "invalid_value"),
    ({"prompt": "x", "size": "4096x4096"}, "size", "invalid_value"),
    ({"prompt": "x", "size": "1024x256"}, "size", "invalid_value"),
    ({"prompt": "x", "n": 11}, "n", "invalid_value"),
    ({"prompt": "x", "background": "transparent"}, "background", "unsupported_value"),
    ({"prompt": "x", "output_format": "gif"}, "output_format", "invalid_value"),
    ({"prompt": "x", "response_format": "url"}, "response_format", "unsupported_value"),
    ({"prompt": "x", "extra_body": {"style": "baroque"}}, "style", "invalid_value"),
    ({"prompt": "x", "extra_body": {"seed": -1}}, "seed", "invalid_value"),
    ({"prompt": "x", "extra_body": {"colour": "red"}}, "colour", "unknown_parameter"),
])
async def test_bad_parameters_raise_bad_request(client: openai.AsyncOpenAI,
                                                params: dict[str, object], param: str,
                                                code: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.images.generate(**params)  # type: ignore[call-overload]
    assert caught.value.status_code == 400
    assert (caught.value.param, caught.value.code) == (param, code)
    assert caught.value.type == "invalid_request_error"
    assert caught.value.message


async def test_wrong_or_missing_token(base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=base_url, api_key="wrong", max_retries=0) as bad:
        with pytest.raises(openai.AuthenticationError) as caught:
            await bad.images.generate(prompt="x", size="64x64")
    assert caught.value.code == "invalid_api_key"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/images/generations", json={"prompt": "x"}) as resp:
            assert resp.status == 401
            body = await resp.json()
        async with session.get(base_url.removesuffix("/v1") + "/health") as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "ok"
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert "API key" in body["error"]["message"]


async def test_models_and_unknown_paths(client: openai.AsyncOpenAI, base_url: str) -> None:
    models = [model.id async for model in await client.models.list()]
    assert models == ["dreamfeed-procedural"]
    assert (await client.models.retrieve("dreamfeed-procedural")).owned_by == "dreamfeed"
    with pytest.raises(openai.NotFoundError):
        await client.models.retrieve("dall-e-9")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        async with session.post(f"{base_url}/images/variations") as resp:
            assert resp.status == 404
            assert "Invalid URL" in (await resp.json())["error"]["message"]
        async with session.post(f"{base_url}/images/generations", data=b"{oops") as resp:
            assert resp.status == 400
            assert "JSON" in (await resp.json())["error"]["message"]
        # tests/data/hostile/deep-nesting.txt: RecursionError in json.loads, once a 500.
        async with session.post(f"{base_url}/images/generations",
                                data=b"[" * 100_000) as resp:
            assert resp.status == 400


class _Gate(Engine):
    """Holds every render until released, to fill the generator up."""

    name, version, digital_source_type, styles = "gate", "1", "algorithmicMedia", ("plain",)

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.release = threading.Event()

    def render(self, request: RenderRequest) -> Rendered:
        self.entered.set()
        self.release.wait(10)
        return self.inner.render(RenderRequest(prompt=request.prompt, width=request.width,
                                               height=request.height, seed=request.seed))


async def test_busy_generator_answers_429(aiohttp_server: ServerFactory, engine: Engine) -> None:
    gate = _Gate(engine)
    url = await start_generator(aiohttp_server, gate, max_pending_images=2)
    async with openai.AsyncOpenAI(base_url=url, api_key=TOKEN, max_retries=0) as client:
        first = asyncio.create_task(client.images.generate(prompt="x", size="64x64", n=2))
        await asyncio.get_running_loop().run_in_executor(None, gate.entered.wait, 10)
        with pytest.raises(openai.RateLimitError) as caught:
            await client.images.generate(prompt="y", size="64x64")
        assert caught.value.response.headers["retry-after"] == "1"
        gate.release.set()
        assert (await first).data
