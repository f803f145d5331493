"""The procedural engine's styles. Each turns a Scene into a Pillow image of its exact size.

Composition follows the prompt: subjects it names (sun, moon, planet, mountains, water, trees,
city, waves, swirl) appear (a lighthouse, cat or flower is drawn over any style, in
generator.engines.subjects), colour words set the palette, and 'centered' or 'symmetric' change
the layout. Everything random comes from scene.rng, so a scene renders the same every time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from generator.engines.prompt import PromptFeatures
from generator.engines.raster import (
    RGB,
    Field,
    Palette,
    blur,
    colorize,
    disc,
    fbm,
    glow,
    grid,
    noise_1d,
    to_image,
)


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    rng: np.random.Generator
    features: PromptFeatures
    palette: Palette
    detail: int  # 0 (low quality) .. 2 (high)

    def has(self, subject: str) -> bool:
        return subject in self.features.subjects


def _mix(a: RGB, b: RGB, t: float | Field) -> RGB:
    weight = t[..., None] if isinstance(t, np.ndarray) else np.float32(t)
    return np.asarray(a + (b - a) * weight, dtype=np.float32)


def _starfield(scene: Scene, per_pixel: float) -> Field:
    """Scattered points of varied brightness with a faint halo."""
    w, h, rng = scene.width, scene.height, scene.rng
    count = int(w * h * per_pixel)
    field = np.zeros((h, w), dtype=np.float32)
    field[rng.integers(0, h, count), rng.integers(0, w, count)] = \
        rng.random(count, dtype=np.float32) ** 3 * 0.85 + 0.15
    return np.clip(field + blur(field * 10.0, 3.0), 0, 1)


def _sphere(img: RGB, scene: Scene, cx: float, cy: float, radius: float, lit: RGB) -> None:
    """A shaded ball (planet or moon) with banded surface and a thin atmosphere, in place."""
    xs, ys = grid(scene.width, scene.height)
    unit = min(scene.width, scene.height)
    x0, x1 = (max(0, int((cx - radius * 1.3) * unit)),
              min(scene.width, int((cx + radius * 1.3) * unit) + 1))
    y0, y1 = (max(0, int((cy - radius * 1.3) * unit)),
              min(scene.height, int((cy + radius * 1.3) * unit) + 1))
    if x0 >= x1 or y0 >= y1:
        return
    sx, sy = xs[:, x0:x1], ys[y0:y1, :]
    dx, dy = (sx - np.float32(cx)) / np.float32(radius), (sy - np.float32(cy)) / np.float32(radius)
    nz = np.sqrt(np.clip(1.0 - dx * dx - dy * dy, 0, 1))
    angle = float(scene.rng.uniform(0, 2 * math.pi))
    lx, ly = math.cos(angle) * 0.7, math.sin(angle) * 0.7
    light = np.clip(dx * lx + dy * ly + nz * 0.7, 0, 1)
    bands = (np.sin((dy * 6.0 + dx * 0.8) * float(scene.rng.uniform(1.5, 3.5))) + 1) / 2
    surface = _mix(scene.palette.pick(2), lit, bands.astype(np.float32))
    shaded = surface * (0.05 + 0.95 * light)[..., None]
    inside = disc(sx, sy, cx, cy, radius, softness=1.5 / unit)
    region = img[y0:y1, x0:x1]
    # A thin atmosphere: a glow that fades out well inside the box drawn in.
    distance = np.sqrt(dx * dx + dy * dy)
    rim = np.exp(-((distance - 1.0) / np.float32(0.06)) ** 2) * (1 - inside) * 0.5
    region[:] = _mix(region, shaded, inside) + rim[..., None] * lit * 0.6


def nebula(scene: Scene) -> Image.Image:
    w, h, rng, pal, f = scene.width, scene.height, scene.rng, scene.palette, scene.features
    xs, ys = grid(w, h)
    density = fbm(rng, w, h, octaves=5 + scene.detail, cells=3)
    density = np.clip((density - 0.3) * 1.7, 0, 1) ** 1.5
    tint = fbm(rng, w, h, octaves=3, cells=2)
    dust = fbm(rng, w, h, octaves=4 + scene.detail, cells=5)
    clouds = colorize(tint, pal.lut()) * (density * (0.7 + 0.9 * f.brightness))[..., None]
    lanes = 0.5 + 0.5 * np.clip(dust * 1.5, 0, 1)
    img = pal.darkest * np.float32(0.3) + clouds * lanes[..., None]
    star_white = _mix(pal.lightest, np.ones(3, dtype=np.float32), 0.6)
    img = img + _starfield(scene, 0.0009 if scene.has("stars") else 0.0004)[..., None] * star_white
    aspect_w, aspect_h = w / min(w, h), h / min(w, h)
    if scene.has("sun"):
        cx, cy = rng.uniform(0.25, 0.75) * aspect_w, rng.uniform(0.25, 0.75) * aspect_h
        img = img + glow(xs, ys, cx, cy, 0.18)[..., None] * pal.lightest * 1.3
    if scene.has("planet") or scene.has("moon") or f.centered:
        cx = 0.5 * aspect_w if f.centered else rng.uniform(0.3, 0.7) * aspect_w
        cy = 0.5 * aspect_h if f.centered else rng.uniform(0.3, 0.7) * aspect_h
        radius = rng.uniform(0.12, 0.22) if scene.has("moon") else rng.uniform(0.18, 0.3)
        _sphere(img, scene, float(cx), float(cy), float(radius), pal.lightest)
    return to_image(img)


def _skyline(rng: np.random.Generator, width: int, base: float, scale: float) -> Field:
    """A city's roofline as a step profile (y of the roof at each column)."""
    profile = np.empty(width, dtype=np.float32)
    x = 0
    while x < width:
        span = int(rng.integers(max(4, width // 40), max(8, width // 12)))
        profile[x:x + span] = base - scale * float(rng.uniform(0.15, 1.0))
        x += span
    return profile


def _treeline(rng: np.random.Generator, width: int, unit: float) -> Field:
    """Pointed tree tops: the highest of many triangular spikes at each column."""
    count = max(8, width // 14)
    centers = rng.uniform(0, width, count).astype(np.float32)[:, None]
    half = rng.uniform(width / 160, width / 60, count).astype(np.float32)[:, None]
    tall = (rng.uniform(0.35, 1.0, count).astype(np.float32) * unit)[:, None]
    columns = np.arange(width, dtype=np.float32)[None, :]
    spikes = tall * np.clip(1 - np.abs(columns - centers) / half, 0, 1)
    return np.asarray(spikes.max(axis=0), dtype=np.float32)


def landscape(scene: Scene) -> Image.Image:
    w, h, rng, pal, f = scene.width, scene.height, scene.rng, scene.palette, scene.features
    xs, ys = grid(w, h)
    bottom = h / min(w, h)
    night = f.brightness < 0.45 or (scene.has("moon") and not scene.has("sun"))
    water = scene.has("water")
    horizon = float(rng.uniform(0.5, 0.6) if water else rng.uniform(0.55, 0.7)) * bottom
    top_color = pal.darkest if night else pal.pick(1)
    sky = _mix(top_color, pal.lightest, np.clip(ys / np.float32(horizon), 0, 1) ** 1.4)
    img = np.broadcast_to(sky, (h, w, 3)).copy()
    streaks = fbm(rng, max(2, w // 4), h, octaves=3 + scene.detail, cells=2)
    streaks = np.asarray(Image.fromarray(streaks).resize((w, h), Image.Resampling.BICUBIC))
    img += (np.clip(streaks - 0.55, 0, 1) * 0.5 * (ys < horizon))[..., None] * pal.lightest
    if night or scene.has("stars"):
        img += (_starfield(scene, 0.0006) * np.clip(1 - ys / horizon, 0, 1))[..., None]
    cx = float(rng.uniform(0.2, 0.8)) * (w / min(w, h))
    if f.centered:
        cx = 0.5 * w / min(w, h)
    if scene.has("sun") or scene.has("moon") or not night:
        # Low over the horizon at dawn and dusk, high at noon.
        low, high = {"dawn": (0.8, 0.95), "dusk": (0.8, 0.95), "noon": (0.12, 0.3)}.get(
            f.time_of_day or "", (0.35, 0.75))
        cy = horizon * float(rng.uniform(low, high))
        radius = float(rng.uniform(0.05, 0.11))
        body = _mix(pal.lightest, np.ones(3, dtype=np.float32), 0.5)
        img += glow(xs, ys, cx, cy, radius * 4)[..., None] * body * (0.35 if night else 0.6)
        img = _mix(img, body, disc(xs, ys, cx, cy, radius, softness=1.5 / min(w, h)))
    # The opaque layers are painted by Pillow, in 8 bits: a fraction of numpy's float work.
    image = to_image(img)
    layers = 3 + scene.detail + (1 if scene.has("mountains") else 0)
    ridge = 0.3 if scene.has("mountains") else 0.14
    for i in range(layers):
        t = i / max(layers - 1, 1)
        depth_base = horizon + (0.0 if water else t * (bottom - horizon) * 0.45)
        profile = depth_base - (ridge * (1 - 0.55 * t)) * noise_1d(
            rng, w, octaves=4 + scene.detail, cells=2 + i)
        if scene.has("city") and i == layers // 2:
            profile = np.minimum(profile, _skyline(rng, w, depth_base, 0.22))
        if scene.has("trees") and i == layers - 1:
            profile = profile - _treeline(rng, w, 0.12)
        color = _mix(pal.lightest, pal.darkest, 0.3 + 0.7 * t ** 0.8)
        mask = np.clip((ys - profile[None, :]) * np.float32(255 * min(w, h)) + 127.5, 0, 255)
        if water:
            mask[int(horizon * min(w, h)):] = 0
        image.paste(_rgb8(color), (0, 0, w, h), Image.fromarray(mask.astype(np.uint8)))
    if water:
        return _reflect(image, scene, int(horizon * min(w, h)))
    return image


def _rgb8(color: RGB) -> tuple[int, int, int]:
    red, green, blue = (int(np.clip(c * 255 + 0.5, 0, 255)) for c in color)
    return red, green, blue


def _reflect(image: Image.Image, scene: Scene, line: int) -> Image.Image:
    """Below `line`, the scene mirrored, rippled and darkened: a lake or the sea."""
    img = np.array(image)
    h, w = img.shape[:2]
    rows = np.arange(line, h)
    source = np.clip(2 * line - rows - 1, 0, line - 1)
    ripple = (np.sin(rows * 0.35 + float(scene.rng.uniform(0, 6.28))) *
              np.clip((rows - line) / 40.0, 0, 3)).astype(np.int64)
    cols = (np.arange(w)[None, :] + ripple[:, None]) % w
    mirrored = img[source[:, None], cols].astype(np.float32) * np.float32(0.8 / 255)
    depth = np.clip((rows - line) / max(h - line, 1), 0, 1).astype(np.float32)[:, None]
    water = _mix(mirrored, scene.palette.pick(1), depth * 0.5)
    img[line:] = np.clip(water * 255 + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(img)


def mosaic(scene: Scene) -> Image.Image:
    w, h, rng, pal, f = scene.width, scene.height, scene.rng, scene.palette, scene.features
    cols = (5 if f.minimal else (7, 11, 16)[scene.detail])
    rows = max(2, round(cols * h / w))
    px = np.linspace(0, w, cols + 1)[None, :].repeat(rows + 1, axis=0)
    py = np.linspace(0, h, rows + 1)[:, None].repeat(cols + 1, axis=1)
    jitter = 0.38
    px[1:-1, 1:-1] += rng.uniform(-jitter, jitter, (rows - 1, cols - 1)) * (w / cols)
    py[1:-1, 1:-1] += rng.uniform(-jitter, jitter, (rows - 1, cols - 1)) * (h / rows)
    tone = fbm(rng, 64, 64, octaves=3, cells=2)
    lut, accent = pal.lut(), pal.lut()[::-1]
    angle = float(rng.uniform(0, 2 * math.pi))
    light = np.array([math.cos(angle), math.sin(angle)])
    shape = _mosaic_subject(scene)
    outline = any(word in f.words for word in ("stained", "glass", "tiles"))
    edge = tuple(int(c * 255) for c in pal.darkest)
    image = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(image)
    for r in range(rows):
        for c in range(cols):
            a, b = (px[r, c], py[r, c]), (px[r, c + 1], py[r, c + 1])
            d, e = (px[r + 1, c], py[r + 1, c]), (px[r + 1, c + 1], py[r + 1, c + 1])
            triangles = ((a, b, e), (a, e, d)) if rng.random() < 0.5 else ((a, b, d), (b, e, d))
            for tri in triangles:
                mx, my = sum(p[0] for p in tri) / 3 / w, sum(p[1] for p in tri) / 3 / h
                value = float(tone[min(int(my * 64), 63), min(int(mx * 64), 63)])
                table = accent if shape(mx, my) else lut
                shade = 0.8 + 0.25 * ((mx - 0.5) * light[0] + (my - 0.5) * light[1])
                rgb = np.clip(table[int(value * 255)] * shade, 0, 1)
                draw.polygon(tri, fill=tuple(int(v * 255) for v in rgb),
                             outline=edge if outline else None)
    return image


def _mosaic_subject(scene: Scene) -> Callable[[float, float], bool]:
    """Which triangles (by centroid, 0..1 coordinates) belong to the prompt's subject."""
    aspect = scene.width / scene.height
    if scene.has("mountains"):
        return lambda x, y: y > 0.35 + abs(x - 0.5) * 1.3
    if scene.features.centered or scene.has("sun") or scene.has("moon") or scene.has("planet"):
        cx, cy = (0.5, 0.5) if scene.features.centered else (
            float(scene.rng.uniform(0.3, 0.7)), float(scene.rng.uniform(0.3, 0.6)))
        radius = 0.28
        return lambda x, y: ((x - cx) * aspect) ** 2 + (y - cy) ** 2 < radius ** 2
    return lambda x, y: False


def marble(scene: Scene) -> Image.Image:
    w, h, rng, pal = scene.width, scene.height, scene.rng, scene.palette
    xs, ys = grid(w, h)
    warp_a = fbm(rng, w, h, octaves=3 + scene.detail, cells=2) - 0.5
    warp_b = fbm(rng, w, h, octaves=3, cells=3)
    angle = math.pi / 2 if scene.has("waves") else float(rng.uniform(0, math.pi))
    frequency = float(rng.uniform(7, 13))
    strength = float(rng.uniform(1.2, 2.4))
    u = xs * np.float32(math.cos(angle)) + ys * np.float32(math.sin(angle))
    phase = frequency * (u + strength * warp_a) + np.float32(2 * math.pi) * warp_b
    if scene.has("swirl"):
        cx, cy = 0.5 * w / min(w, h), 0.5 * h / min(w, h)
        dx, dy = xs - np.float32(cx), ys - np.float32(cy)
        # A whole number of arms keeps the angle's jump at -pi/pi invisible (sin is periodic).
        arms = np.float32(rng.integers(2, 6))
        phase = phase + arms * np.arctan2(dy, dx) + frequency * np.sqrt(dx * dx + dy * dy)
    band = (np.sin(phase) + 1) * np.float32(0.5)
    img = colorize(band, pal.lut(repeat=2))
    veins = np.exp(-(np.sin(phase * np.float32(3.0)) / np.float32(0.08)) ** 2)
    img = img * (1 - np.float32(0.35) * veins)[..., None]
    cx, cy = float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.2, 0.8))
    img = img + glow(xs, ys, cx, cy, 0.5)[..., None] * pal.lightest * np.float32(0.25)
    return to_image(img)


STYLES: dict[str, Callable[[Scene], Image.Image]] = {
    "nebula": nebula,
    "landscape": landscape,
    "mosaic": mosaic,
    "marble": marble,
}
