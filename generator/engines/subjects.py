"""Subjects the procedural engine draws over any style, and the light of the time of day.

The styles make a backdrop (sky, hills, water, clouds); a lighthouse, a cat or a flower is a
recognisable shape on it, drawn with a few Pillow primitives (microseconds, no per-pixel
Python). The time of day then grades the whole picture: dark and blue at night, warm at dawn
and dusk, bright at noon, whichever style drew it.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from generator.engines.prompt import PromptFeatures
from generator.engines.raster import RGB, Palette

# Per-channel gain and lift (added after the gain) of each time of day, in 0..1 units.
GRADES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "dawn": ((1.06, 0.94, 0.96), (0.03, 0.01, 0.02)),
    "noon": ((1.05, 1.05, 1.02), (0.08, 0.08, 0.08)),
    "dusk": ((1.10, 0.82, 0.70), (0.03, 0.0, 0.0)),
    "night": ((0.42, 0.48, 0.68), (0.0, 0.0, 0.02)),
}
DRAWN = ("lighthouse", "cat", "flower")

Color = tuple[int, int, int]


def grade(image: Image.Image, features: PromptFeatures) -> Image.Image:
    if features.time_of_day is None:
        return image
    gains, lifts = GRADES[features.time_of_day]
    gain, lift = np.asarray(gains, dtype=np.float32), np.asarray(lifts, dtype=np.float32)
    if features.color_words:
        # A named colour outweighs the light's tint: "a red boat at night" stays red.
        gain = gain.mean() + (gain - gain.mean()) * np.float32(0.3)
    rgb = np.asarray(image, dtype=np.float32) * np.float32(1 / 255)
    rgb = rgb * gain + lift
    return Image.fromarray(np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8))


def draw_subjects(image: Image.Image, features: PromptFeatures, palette: Palette,
                  rng: np.random.Generator) -> Image.Image:
    """The image with the prompt's drawable subjects on it (a copy; the same image when the
    prompt names none)."""
    wanted = [name for name in DRAWN if name in features.subjects]
    if not wanted:
        return image
    image = image.copy()
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = image.size
    unit = min(width, height)
    dark = _rgb(palette.darkest * 0.5)
    # Left and right thirds, so two subjects do not stand on each other.
    slots = [0.27, 0.73] if len(wanted) > 1 else [0.5]
    rng.shuffle(slots)
    for index, name in enumerate(wanted):
        cx = (slots[index % len(slots)] + float(rng.uniform(-0.05, 0.05))) * width
        if name == "lighthouse":
            _lighthouse(draw, cx, height, unit, dark, lit=features.time_of_day in (
                "night", "dusk") or features.brightness < 0.45)
        elif name == "cat":
            _cat(draw, cx, height, unit, dark, rng)
        else:
            _flowers(draw, cx, height, unit, palette, features, rng)
    return image


def _rgb(color: RGB) -> Color:
    red, green, blue = (int(np.clip(c * 255 + 0.5, 0, 255)) for c in color)
    return red, green, blue


def _lighthouse(draw: ImageDraw.ImageDraw, cx: float, height: int, unit: int, dark: Color,
                *, lit: bool) -> None:
    """A white tower with red bands on a rock, a lantern room and, when dark, its beam."""
    base_y, top_y = height * 0.9, height * 0.9 - unit * 0.5
    base_half, top_half = unit * 0.06, unit * 0.035
    draw.ellipse((cx - unit * 0.16, base_y - unit * 0.04, cx + unit * 0.16, height * 1.02),
                 fill=dark)

    def half_at(y: float) -> float:
        return base_half + (top_half - base_half) * (base_y - y) / (base_y - top_y)

    draw.polygon([(cx - base_half, base_y), (cx + base_half, base_y),
                  (cx + top_half, top_y), (cx - top_half, top_y)], fill=(240, 238, 230))
    bands = 4
    for band in range(bands):
        y0 = base_y - (base_y - top_y) * (2 * band + 1) / (2 * bands)
        y1 = y0 - (base_y - top_y) / (2 * bands)
        draw.polygon([(cx - half_at(y0), y0), (cx + half_at(y0), y0),
                      (cx + half_at(y1), y1), (cx - half_at(y1), y1)], fill=(196, 38, 38))
    room = unit * 0.05
    lamp = (255, 226, 120)
    draw.rectangle((cx - top_half, top_y - room, cx + top_half, top_y), fill=lamp if lit
                   else (90, 96, 104), outline=dark, width=max(1, unit // 160))
    draw.polygon([(cx - top_half * 1.3, top_y - room), (cx + top_half * 1.3, top_y - room),
                  (cx, top_y - room - unit * 0.045)], fill=dark)
    if lit:
        lamp_y = top_y - room / 2
        reach = unit * 1.2
        for side in (-1, 1):
            draw.polygon([(cx, lamp_y), (cx + side * reach, lamp_y - unit * 0.12),
                          (cx + side * reach, lamp_y + unit * 0.08)], fill=(*lamp, 70))


def _cat(draw: ImageDraw.ImageDraw, cx: float, height: int, unit: int, dark: Color,
         rng: np.random.Generator) -> None:
    """A sitting cat's silhouette seen from behind: body, head, two ears and a curled tail."""
    size = unit * float(rng.uniform(0.3, 0.38))
    ground = height * 0.95
    body_w, body_h = size * 0.55, size * 0.62
    draw.ellipse((cx - body_w / 2, ground - body_h, cx + body_w / 2, ground), fill=dark)
    head_r = size * 0.17
    head_y = ground - body_h - head_r * 0.6
    draw.ellipse((cx - head_r, head_y - head_r, cx + head_r, head_y + head_r), fill=dark)
    for side in (-1, 1):
        ear_x = cx + side * head_r * 0.55
        draw.polygon([(ear_x - head_r * 0.45, head_y - head_r * 0.55),
                      (ear_x + head_r * 0.45, head_y - head_r * 0.55),
                      (ear_x + side * head_r * 0.2, head_y - head_r * 1.6)], fill=dark)
    tail = max(2, int(size * 0.07))
    draw.arc((cx, ground - size * 0.35, cx + size * 0.55, ground + size * 0.05),
             start=0, end=200, fill=dark, width=tail)


def _flowers(draw: ImageDraw.ImageDraw, cx: float, height: int, unit: int, palette: Palette,
             features: PromptFeatures, rng: np.random.Generator) -> None:
    """One to three flowers: stem, leaf, a ring of petals in the prompt's colour, a centre."""
    stem_color, centre = (46, 120, 52), (250, 204, 60)
    # A named colour colours the petals; otherwise the palette's brightest tone.
    petal = _rgb(palette.pick(3) * 0.4 + palette.lightest * 0.6) if features.color_words \
        else (226, 72, 110)
    count = int(rng.integers(1, 4))
    for i in range(count):
        x = cx + (i - (count - 1) / 2) * unit * 0.16
        bloom_y = height - unit * float(rng.uniform(0.35, 0.5))
        line = max(2, unit // 80)
        draw.line((x, height, x, bloom_y), fill=stem_color, width=line)
        draw.ellipse((x, height - unit * 0.16, x + unit * 0.09, height - unit * 0.12),
                     fill=stem_color)
        radius, petals = unit * 0.045, int(rng.integers(5, 9))
        for k in range(petals):
            angle = 2 * math.pi * k / petals
            px, py = x + math.cos(angle) * radius, bloom_y + math.sin(angle) * radius
            draw.ellipse((px - radius * 0.75, py - radius * 0.75, px + radius * 0.75,
                          py + radius * 0.75), fill=petal)
        draw.ellipse((x - radius * 0.55, bloom_y - radius * 0.55, x + radius * 0.55,
                      bloom_y + radius * 0.55), fill=centre)
