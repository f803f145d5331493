"""The diffusers engine on a real pipeline: Stable Diffusion's own classes (UNet, VAE, CLIP
text encoder and tokenizer, Euler scheduler) at a tiny size with random weights, saved to a
directory and loaded through the engine exactly as an operator's model is, then driven
through the Images API with the official `openai` client: text-to-image and image-to-image.

Needs the optional extra (`pip install '.[diffusers]'`): skipped without it, except in CI,
where its absence fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from PIL import Image

try:
    import diffusers  # noqa: F401
    import torch  # noqa: F401
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("the diffusers extra is not installed (pip install '.[diffusers]')",
                allow_module_level=True)

from generator.engines import check_engine, make_engine
from generator.engines.base import Cancelled, Engine, EngineSettings, RenderRequest
from generator.engines.diffusion import DiffusersEngine, random_pipeline
from server.config import ConfigError, GeneratorConfig
from server.images.embedded import load_engine
from tests.generator.conftest import TOKEN, ServerFactory, decode_image, png_bytes, start_generator


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models") / "tiny-sd"
    random_pipeline("tiny").save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def diffusers_engine(model_dir: Path) -> Engine:
    return make_engine("diffusers", EngineSettings(model_path=str(model_dir), device="cpu",
                                                   steps=2))


@pytest.fixture
async def client(aiohttp_server: ServerFactory,
                 diffusers_engine: Engine) -> AsyncIterator[openai.AsyncOpenAI]:
    base_url = await start_generator(aiohttp_server, diffusers_engine)
    async with openai.AsyncOpenAI(base_url=base_url, api_key=TOKEN, max_retries=0) as client:
        yield client


async def test_text_to_image_through_the_images_api(client: openai.AsyncOpenAI,
                                                    diffusers_engine: Engine) -> None:
    calls = _count_batches(diffusers_engine)
    response = await client.images.generate(prompt="a red fox in the snow", size="64x64",
                                            n=3, extra_body={"seed": 7})
    assert response.size == "64x64" and response.data and len(response.data) == 3
    images = [decode_image(item.b64_json) for item in response.data]
    assert all((image.format, image.size) == ("PNG", (64, 64)) for image in images)
    assert len({image.tobytes() for image in images}) == 3  # seeds 7, 8, 9
    extra = response.model_extra or {}
    assert extra["dreamfeed"]["engine"] == "tiny-sd"
    assert extra["dreamfeed"]["digital_source_type"] == "trainedAlgorithmicMedia"
    assert response.model == "tiny-sd"
    # The three images of the request were rendered together, in batches, not one by one.
    assert sum(calls) == 3 and len(calls) < 3

    # The seed makes the image: the same request again gives the same pictures, and so does
    # a seed alone, whatever else shared its batch (up to float rounding in the last bit).
    repeat = await client.images.generate(prompt="a red fox in the snow", size="64x64", n=3,
                                          extra_body={"seed": 7})
    assert repeat.data
    for item, image in zip(repeat.data, images, strict=True):
        assert _same_picture(decode_image(item.b64_json), image)
    alone = await client.images.generate(prompt="a red fox in the snow", size="64x64",
                                         extra_body={"seed": 8})
    assert alone.data and _same_picture(decode_image(alone.data[0].b64_json), images[1])
    other = await client.images.generate(prompt="a red fox in the snow", size="64x64",
                                         extra_body={"seed": 99})
    assert other.data and not _same_picture(decode_image(other.data[0].b64_json), images[1])


def _same_picture(first: Image.Image, second: Image.Image) -> bool:
    difference = np.abs(np.asarray(first, dtype=np.int16) - np.asarray(second, dtype=np.int16))
    return bool(difference.max() <= 2)


async def test_image_to_image_remixes_the_source(client: openai.AsyncOpenAI) -> None:
    source = ("parent.png", png_bytes((96, 64), (20, 200, 40)), "image/png")

    async def remix(strength: float) -> bytes:
        response = await client.images.edit(image=source, prompt="the same, at night",
                                            extra_body={"seed": 3, "strength": strength})
        assert response.size == "96x64" and response.data
        image = decode_image(response.data[0].b64_json)
        assert image.size == (96, 64)
        return image.tobytes()

    gentle = await remix(0.3)
    assert await remix(0.3) == gentle
    assert await remix(1.0) != gentle
    with pytest.raises(openai.BadRequestError) as wrong:
        await client.images.edit(image=source, prompt="x", extra_body={"strength": 1.5})
    assert wrong.value.param == "strength"


def test_a_cancelled_request_frees_the_model(diffusers_engine: Engine, model_dir: Path) -> None:
    gone = threading.Event()
    gone.set()
    with pytest.raises(Cancelled):
        diffusers_engine.render(RenderRequest(prompt="x", width=64, height=64, seed=1,
                                              cancelled=gone))
    # One that goes away while denoising is interrupted between steps: with 500 steps it
    # would otherwise keep the model for a long while.
    busy = make_engine("diffusers", EngineSettings(model_path=str(model_dir), device="cpu",
                                                   steps=500))
    leaving = threading.Event()
    threading.Timer(0.3, leaving.set).start()
    with pytest.raises(Cancelled):
        busy.render(RenderRequest(prompt="x", width=64, height=64, seed=1, cancelled=leaving))


def test_loading_fails_with_one_clear_line(model_dir: Path, tmp_path: Path) -> None:
    def problem(path: str, **options: Any) -> str:
        with pytest.raises(ValueError) as failed:
            make_engine("diffusers", EngineSettings(model_path=path,
                                                    **{"device": "cpu", **options}))
        message = str(failed.value)
        assert "\n" not in message
        return message

    assert "model_path is empty" in problem("")
    assert f"{tmp_path}/absent: no such directory" in problem(str(tmp_path / "absent"))
    assert "no model_index.json" in problem(str(tmp_path))
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    shutil.rmtree(broken / "unet")
    message = problem(str(broken))
    assert message.startswith(f"cannot load the diffusers model at {broken}: ")
    # A hub id is not fetched unless the operator allows it.
    assert "not in the local Hugging Face cache" in problem("nobody-here/no-such-model")
    assert "generator.device must be one of" in problem(str(model_dir), device="tpu")
    # The same line stops `dreamfeed serve` (embedded) and `dreamfeed generator serve`.
    assert check_engine("diffusers", EngineSettings(model_path=str(tmp_path))) \
        == problem(str(tmp_path))
    with pytest.raises(ConfigError, match="no such directory"):
        load_engine(GeneratorConfig(engine="diffusers", model_path=str(tmp_path / "absent")))


def _count_batches(engine: Engine) -> list[int]:
    """Record the batch size of each pipeline call the engine makes."""
    assert isinstance(engine, DiffusersEngine)
    calls: list[int] = []
    pipeline = engine._text2image

    class Counting:
        def __call__(self, **options: Any) -> Any:
            calls.append(len(options["prompt"]))
            return pipeline(**options)

    engine._text2image = Counting()
    return calls
