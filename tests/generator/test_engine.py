"""The procedural engine: exact sizes, determinism, prompts that steer, and the size rules."""

from __future__ import annotations

import numpy as np
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


def _mean(image: Image.Image) -> list[float]:
    return list(ImageStat.Stat(image).mean)


def _share(mean: list[float], channel: int) -> float:
    return mean[channel] / max(sum(mean), 1.0)


@pytest.mark.parametrize("style", [None, "landscape", "marble", "mosaic", "nebula"])
def test_a_named_colour_shifts_the_palette(engine: Engine, style: str | None) -> None:
    for seed in (1, 2, 3):
        red = _mean(render(engine, "a red lighthouse by the sea", seed=seed, style=style))
        blue = _mean(render(engine, "a blue lighthouse by the sea", seed=seed, style=style))
        green = _mean(render(engine, "a green lighthouse by the sea", seed=seed, style=style))
        assert red[0] > blue[0] + 10 and red[0] > green[0] + 10
        # As shares of each picture's light: a dark style (nebula) has little of any channel.
        assert _share(blue, 2) > _share(red, 2) + 0.08
        assert _share(green, 1) > _share(red, 1) + 0.08


@pytest.mark.parametrize("style", [None, "landscape", "marble", "mosaic", "nebula"])
def test_time_of_day_changes_the_light(engine: Engine, style: str | None) -> None:
    assert read_prompt("a harbour at dusk, then night").time_of_day == "dusk"
    def luma(prompt: str, seed: int) -> float:
        red, green, blue = _mean(render(engine, prompt, seed=seed, style=style))
        return 0.299 * red + 0.587 * green + 0.114 * blue

    for seed in (1, 2, 3):
        night = luma("a quiet harbour at night", seed)
        noon = luma("a quiet harbour at noon", seed)
        dusk = _mean(render(engine, "a quiet harbour at dusk", seed=seed, style=style))
        assert noon > night * 2 and noon - night > 40
        # Dusk is warm: more red than blue.
        assert dusk[0] > dusk[2] + 15


def test_common_subjects_draw_recognisable_elements(engine: Engine) -> None:
    from generator.engines.raster import make_palette
    from generator.engines.subjects import draw_subjects

    canvas = Image.new("RGB", (160, 160), (128, 140, 150))
    for word in ("lighthouse", "cat", "flowers"):
        features = read_prompt(f"a {word} in the park")
        rng = np.random.default_rng(4)
        drawn = draw_subjects(canvas, features, make_palette(features, rng), rng)
        changed = np.asarray(ImageChops.difference(canvas, drawn).convert("L")) > 24
        # A shape of its own: a visible part of the picture, not all of it.
        assert 0.02 < changed.mean() < 0.4, word
    plain = read_prompt("a quiet park")
    rng = np.random.default_rng(4)
    assert draw_subjects(canvas, plain, make_palette(plain, rng), rng) is canvas
    # Through the engine, in every style: each subject changes the picture.
    for style in engine.styles:
        for subject in ("a lighthouse", "a cat", "a flower", "mountains", "the sea",
                        "a forest", "a city", "the moon"):
            with_it = render(engine, f"{subject} under a pale sky", style=style)
            without = render(engine, "under a pale sky", style=style)
            assert difference(with_it, without) > 3, (style, subject)
