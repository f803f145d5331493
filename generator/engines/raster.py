"""Numeric building blocks of the procedural engine: noise, palettes, masks.

Fields are float32 arrays of shape (height, width) in 0..1. Anything done per pixel at full size
is a handful of numpy or Pillow operations, never a Python loop, so a 1024x1024 image costs
tens of milliseconds per step.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from generator.engines.prompt import PromptFeatures

# numpy's operators are typed loosely (float64 or Any); the code keeps float32 itself.
Field = NDArray[Any]  # (height, width), float32, 0..1
RGB = NDArray[Any]  # (..., 3), float32, 0..1


def fbm(rng: np.random.Generator, width: int, height: int, *, octaves: int,
        cells: int = 3, persistence: float = 0.5, resolution: float = 0.5) -> Field:
    """Fractal value noise: random grids of growing resolution, smoothly upscaled and summed.
    Pillow's bicubic resize does the interpolation in C. The sum is made at `resolution` of
    the final size and scaled up once: even the finest octave spans several pixels there, so
    nothing visible is lost, and the per-octave work shrinks fourfold."""
    work_w, work_h = max(2, round(width * resolution)), max(2, round(height * resolution))
    total = np.zeros((work_h, work_w), dtype=np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        across = cells * 2 ** octave + 1
        down = max(2, round(across * height / width))
        grid = rng.random((down, across), dtype=np.float32)
        layer = Image.fromarray(grid).resize((work_w, work_h), Image.Resampling.BICUBIC)
        total += np.asarray(layer, dtype=np.float32) * np.float32(amplitude)
        norm += amplitude
        amplitude *= persistence
    total /= np.float32(norm)
    if (work_w, work_h) != (width, height):
        total = np.asarray(Image.fromarray(total).resize((width, height),
                                                         Image.Resampling.BICUBIC))
    return normalize(total)


def normalize(field: Field) -> Field:
    low, high = float(field.min()), float(field.max())
    if high - low < 1e-6:
        return np.zeros_like(field)
    return ((field - np.float32(low)) * np.float32(1.0 / (high - low))).astype(np.float32)


def noise_1d(rng: np.random.Generator, length: int, *, octaves: int, cells: int = 4) -> Field:
    """A 1-D fractal profile in 0..1 (mountain ridges, skylines)."""
    xs = np.linspace(0.0, 1.0, length, dtype=np.float32)
    total = np.zeros(length, dtype=np.float32)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        points = cells * 2 ** octave + 1
        knots = rng.random(points, dtype=np.float32)
        total += np.interp(xs, np.linspace(0.0, 1.0, points), knots).astype(np.float32) \
            * np.float32(amplitude)
        norm += amplitude
        amplitude *= 0.5
    return normalize(total / np.float32(norm))


def grid(width: int, height: int) -> tuple[Field, Field]:
    """Pixel coordinates scaled so the shorter side spans 0..1, as (x row, y column):
    broadcasting them costs nothing until they are combined."""
    scale = np.float32(1.0 / min(width, height))
    xs = (np.arange(width, dtype=np.float32) * scale)[None, :]
    ys = (np.arange(height, dtype=np.float32) * scale)[:, None]
    return xs, ys


def blur(field: Field, radius: float) -> Field:
    """A Gaussian blur done at a quarter of the size (a glow is soft anyway), then upscaled."""
    height, width = field.shape
    small = Image.fromarray(np.clip(field * 255.0, 0, 255).astype(np.uint8))
    small = small.resize((max(1, width // 4), max(1, height // 4)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(max(radius / 4.0, 0.5)))
    big = small.resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float32) * np.float32(1.0 / 255.0)


@dataclass(frozen=True)
class Palette:
    """Colours ordered dark to light, each an (r, g, b) in 0..1."""

    colors: RGB

    def lut(self, *, repeat: int = 1) -> RGB:
        """256 colours interpolated through the palette (`repeat` times, mirrored, for bands)."""
        stops = self.colors
        for _ in range(repeat - 1):
            stops = np.concatenate([stops, stops[::-1][1:]])
        positions = np.linspace(0.0, 1.0, len(stops))
        xs = np.linspace(0.0, 1.0, 256)
        return np.stack([np.interp(xs, positions, stops[:, c]) for c in range(3)],
                        axis=1).astype(np.float32)

    @property
    def darkest(self) -> RGB:
        return np.asarray(self.colors[0], dtype=np.float32)

    @property
    def lightest(self) -> RGB:
        return np.asarray(self.colors[-1], dtype=np.float32)

    def pick(self, index: int) -> RGB:
        return np.asarray(self.colors[index % len(self.colors)], dtype=np.float32)


def make_palette(features: PromptFeatures, rng: np.random.Generator, *, size: int = 5,
                 source: Image.Image | None = None) -> Palette:
    """Colour words set the hues; without any, the prompt's hash picks a harmonious scheme.
    For an edit, the source image's own dominant colours are used instead."""
    if source is not None:
        return _palette_from_image(source, size)
    hues = list(features.hues)
    if not hues:
        base = float(rng.random())
        scheme = int(rng.integers(3))
        offsets = ((0.0, 0.07, -0.07), (0.0, 0.5, 0.04), (0.0, 1 / 3, 2 / 3))[scheme]
        hues = [(base + o) % 1.0 for o in offsets]
    saturation = features.saturation
    if features.sepia:
        hues, saturation = [0.09, 0.07], 0.4
    top = 0.55 + 0.43 * features.brightness
    colors = []
    for i in range(size):
        hue = (hues[i % len(hues)] + float(rng.normal(0.0, 0.015))) % 1.0
        sat = min(1.0, max(0.0, saturation * float(rng.uniform(0.8, 1.1))))
        value = 0.08 + (top - 0.08) * (i / (size - 1)) ** 0.9
        # The lightest colours lose some saturation, as highlights do.
        sat *= 1.0 - 0.35 * (i / (size - 1)) ** 2
        colors.append(colorsys.hsv_to_rgb(hue, sat, value))
    return Palette(np.array(colors, dtype=np.float32))


def _palette_from_image(image: Image.Image, size: int) -> Palette:
    small = image.convert("RGB").resize((64, 64), Image.Resampling.BILINEAR)
    quantized = small.quantize(colors=size, method=Image.Quantize.MEDIANCUT)
    raw = quantized.getpalette() or []
    colors = np.array(raw[: size * 3], dtype=np.float32).reshape(-1, 3) / 255.0
    if len(colors) < 2:
        colors = np.array([[0.05, 0.05, 0.08], [0.9, 0.9, 0.85]], dtype=np.float32)
    order = np.argsort(colors @ np.array([0.299, 0.587, 0.114], dtype=np.float32))
    return Palette(colors[order])


def colorize(field: Field, lut: RGB) -> RGB:
    """Map a 0..1 field through a 256-entry colour table."""
    index = np.clip(field * 255.0, 0, 255).astype(np.uint8)
    return lut[index]


def disc(xs: Field, ys: Field, cx: float, cy: float, radius: float,
         softness: float = 0.004) -> Field:
    """1 inside a circle, 0 outside, with an anti-aliased edge (coordinates as from grid())."""
    distance = np.sqrt((xs - np.float32(cx)) ** 2 + (ys - np.float32(cy)) ** 2)
    inside = np.clip((np.float32(radius) - distance) / np.float32(softness) + 0.5, 0, 1)
    return np.asarray(inside, dtype=np.float32)


def glow(xs: Field, ys: Field, cx: float, cy: float, reach: float) -> Field:
    distance2 = (xs - np.float32(cx)) ** 2 + (ys - np.float32(cy)) ** 2
    return np.asarray(np.exp(-distance2 / np.float32(reach * reach)), dtype=np.float32)


def to_image(rgb: RGB) -> Image.Image:
    return Image.fromarray(np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8))


def mirror(rgb: RGB) -> RGB:
    """Left half reflected onto the right: the 'symmetric' composition."""
    width = rgb.shape[1]
    half = rgb[:, : (width + 1) // 2]
    return np.concatenate([half, half[:, : width // 2][:, ::-1]], axis=1)
