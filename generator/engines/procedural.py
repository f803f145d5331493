"""The default engine: pictures drawn by code from the prompt's words, no model weights.

It is no AI model and says so (its name, and IPTC's algorithmicMedia in every image's
provenance). What it honours: colour words set the palette, the time of day the light, and
common subjects (sun, moon, stars, mountains, sea, trees, city, lighthouse, cat, flower)
appear as shapes.

Deterministic for (prompt, seed, style, quality, size): the prompt's words and the seed make the
random generator's seed. Edits take their palette from the first source image and blend a
rendered layer over it.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from generator.engines import PROCEDURAL_NAME
from generator.engines.base import (
    ALGORITHMIC_MEDIA,
    Engine,
    Rendered,
    RenderRequest,
    UnknownStyle,
)
from generator.engines.prompt import PromptFeatures, read_prompt
from generator.engines.raster import fbm, make_palette, mirror
from generator.engines.styles import STYLES, Scene
from generator.engines.subjects import draw_subjects, grade

DETAIL = {"low": 0, "medium": 1, "high": 2}


class ProceduralEngine(Engine):
    name = PROCEDURAL_NAME
    version = "1"
    digital_source_type = ALGORITHMIC_MEDIA
    styles = tuple(STYLES)

    def render(self, request: RenderRequest) -> Rendered:
        features = read_prompt(request.prompt)
        if request.style is not None and request.style not in STYLES:
            raise UnknownStyle(f"unknown style {request.style!r}; "
                               f"this engine has {', '.join(self.styles)}")
        style = request.style or features.pick_style(self.styles)
        material = b"%s:%d:%s:%s" % (features.digest, request.seed, style.encode(),
                                     request.quality.encode())
        entropy = int.from_bytes(hashlib.sha256(material).digest(), "big")
        rng = np.random.default_rng(np.random.SeedSequence(entropy))
        source = request.sources[0] if request.sources else None
        palette = make_palette(features, rng, source=source)
        scene = Scene(width=request.width, height=request.height, rng=rng, features=features,
                      palette=palette, detail=DETAIL.get(request.quality, 1))
        image = STYLES[style](scene)
        if features.symmetric:
            image = Image.fromarray(mirror(np.asarray(image)))
        # After the mirror, so a cat stays one cat.
        image = grade(draw_subjects(image, features, palette, rng), features)
        # A remix blends this layer into the source in fixed proportions: `strength` is a
        # model's image-to-image setting, which this engine does not read.
        if source is not None:
            image = _remix(source, image, rng)
        return Rendered(image=image, style=style,
                        revised_prompt=_describe(request.prompt, style, features))


def _remix(source: Image.Image, layer: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The source keeps its composition; the rendered layer flows through it in soft patches."""
    base = source.convert("RGB").resize(layer.size, Image.Resampling.LANCZOS)
    mask = fbm(rng, layer.width, layer.height, octaves=3, cells=2)
    mask = np.clip((mask - 0.25) * 1.4, 0.15, 0.85)
    alpha = Image.fromarray((mask * 255).astype(np.uint8))
    return Image.composite(layer, base, alpha)


def _describe(prompt: str, style: str, features: PromptFeatures) -> str:
    notes = [f"{style} style"]
    if features.color_words:
        notes.append("palette: " + ", ".join(features.color_words))
    if features.time_of_day:
        notes.append(f"light: {features.time_of_day}")
    if features.subjects:
        notes.append("subjects: " + ", ".join(sorted(features.subjects)))
    return f"{prompt.strip()} ({'; '.join(notes)})"
