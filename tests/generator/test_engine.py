"""The procedural engine: exact sizes, determinism, prompts that steer, and the size rules."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageStat

from generator.engines import make_engine
from generator.engines.base import Engine, RenderRequest, UnknownStyle
from generator.engines.prompt import read_prompt
from generator.errors import ApiError
from generator.images import size_like
from generator.params import parse_params


def render(engine: Engine, prompt: str, *, seed: int = 1, style: str | None = None,
           size: tuple[int, int] = (128, 128)) -> Image.Image:
    return engine.render(RenderRequest(prompt=prompt, width=size[0], height=size[1],
                                       seed=seed, style=style)).image


def difference(a: Image.Image, b: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


def test_at_least_three_styles_render_at_exact_sizes(engine: Engine) -> None:
    assert len(engine.styles) >= 3
    for style in engine.styles:
        for size in ((160, 96), (96, 160)):
            image = render(engine, "a lake under the moon with trees and a city", style=style,
                           size=size)
            assert (image.size, image.mode) == (size, "RGB")
    with pytest.raises(UnknownStyle):
        render(engine, "x", style="baroque")


def test_deterministic_for_prompt_and_seed(engine: Engine) -> None:
    first = render(engine, "a violet nebula", seed=9)
    assert first.tobytes() == render(make_engine(), "a violet nebula", seed=9).tobytes()
    assert difference(first, render(engine, "a violet nebula", seed=10)) > 3
    assert difference(first, render(engine, "an orange desert", seed=9)) > 3


def test_prompt_words_steer_style_palette_and_subjects(engine: Engine) -> None:
    features = read_prompt("A low-poly crystal, emerald green, centered")
    assert features.pick_style(engine.styles) == "mosaic"
    assert features.centered and features.color_words == ("emerald", "green")
    assert read_prompt("snowy mountains over a lake").subjects >= {"mountains", "water"}
    assert read_prompt("a swirling galaxy in space").pick_style(engine.styles) == "nebula"
    red = ImageStat.Stat(render(engine, "crimson red fire marble", style="marble")).mean
    blue = ImageStat.Stat(render(engine, "cobalt blue ice marble", style="marble")).mean
    assert red[0] > red[2] and blue[2] > blue[0]


def test_engine_registry_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        make_engine("diffusers-sdxl")


@pytest.mark.parametrize(("size", "expected"), [
    ("1024x1024", (1024, 1024)), ("1536x1024", (1536, 1024)), ("1024x1536", (1024, 1536)),
    ("auto", None), ("256x256", (256, 256)),
])
def test_sizes(size: str, expected: tuple[int, int] | None) -> None:
    assert parse_params({"prompt": "x", "size": size}, styles=()).size == expected


def test_form_fields_are_parsed_from_strings() -> None:
    params = parse_params({"prompt": "x", "n": "3", "seed": "7", "quality": "hd"}, styles=())
    assert (params.n, params.seed, params.quality) == (3, 7, "high")
    with pytest.raises(ApiError, match="expected an integer"):
        parse_params({"prompt": "x", "n": "three"}, styles=())


def test_auto_size_for_edits_follows_the_source() -> None:
    assert size_like(Image.new("RGB", (320, 200))) == (320, 192)
    assert size_like(Image.new("RGB", (8000, 1000))) == (2992, 992)  # cut to 3:1
    width, height = size_like(Image.new("RGB", (5000, 5000)))
    assert width == height and width * height <= 3840 * 2160 and width % 16 == 0
