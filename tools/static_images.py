"""Draws the static images the client API and the pages point at, once: the default avatar
and header of an account without its own, the instance's thumbnail and its icons.

    .venv/bin/python tools/static_images.py

The PNGs are committed under server/static/; run this again only to change them. Shapes are
drawn four times larger and scaled down, which smooths their edges.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "server" / "static"
# The favicon's gradient (server/static/favicon.svg).
VIOLET = (139, 92, 246)
PINK = (236, 72, 153)
ICON_SIZES = (48, 96, 192, 512)
SCALE = 4


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def gradient(width: int, height: int, start: tuple[int, int, int],
             end: tuple[int, int, int]) -> Image.Image:
    """A diagonal gradient, top left to bottom right: pixel (x, y) takes the colour at x + y
    of one long strip, so each row is the strip shifted by one."""
    span = width + height - 1
    strip = Image.new("RGB", (span, 1))
    strip.putdata([_mix(start, end, k / (span - 1)) for k in range(span)])
    image = Image.new("RGB", (width, height))
    for y in range(height):
        image.paste(strip.crop((y, 0, y + width, 1)), (0, y))
    return image


def avatar(size: int = 400) -> Image.Image:
    """A neutral grey silhouette of a head and shoulders."""
    big = size * SCALE
    image = Image.new("RGB", (big, big), (226, 226, 231))
    draw = ImageDraw.Draw(image)
    figure = (161, 161, 170)
    head = big * 0.19
    cx, cy = big / 2, big * 0.40
    draw.ellipse([cx - head, cy - head, cx + head, cy + head], fill=figure)
    shoulders = big * 0.36
    top = big * 0.66
    draw.ellipse([cx - shoulders, top, cx + shoulders, top + shoulders * 1.6], fill=figure)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def header(width: int = 1500, height: int = 500) -> Image.Image:
    """A soft version of the brand gradient, quiet behind a profile's name."""
    return gradient(width, height, _mix(VIOLET, (255, 255, 255), 0.55),
                    _mix(PINK, (255, 255, 255), 0.55))


def _bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
            p3: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    found = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
        found.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                      a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return found


def _mark(image: Image.Image, box: tuple[float, float, float], *, stroke: float) -> None:
    """The favicon's hill and sun, white, in the square (left, top, side)."""
    left, top, side = box
    draw = ImageDraw.Draw(image)
    unit = side / 32
    # The favicon's path "M9 22 c3-8 6-12 7-12 s4 4 7 12" as its two cubic curves, drawn as
    # a round pen stamped along them (round caps and joins, as the SVG's stroke).
    path = _bezier((9, 22), (12, 14), (15, 10), (16, 10), 200) \
        + _bezier((16, 10), (17, 10), (20, 14), (23, 22), 200)
    radius = stroke * unit / 2
    for x, y in path:
        cx, cy = left + x * unit, top + y * unit
        draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill="white")
    sx, sy = left + 21.5 * unit, top + 10 * unit
    draw.ellipse([sx - 2.5 * unit, sy - 2.5 * unit, sx + 2.5 * unit, sy + 2.5 * unit],
                 fill="white")


def icon(size: int) -> Image.Image:
    """The favicon as a square PNG (launchers and apps round the corners themselves)."""
    big = size * SCALE
    image = gradient(big, big, VIOLET, PINK)
    _mark(image, (0, 0, big), stroke=2.5)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def thumbnail(width: int = 1200, height: int = 630) -> Image.Image:
    """The instance's preview image: the brand gradient with the mark in the middle."""
    image = gradient(width * SCALE, height * SCALE, VIOLET, PINK)
    side = height * SCALE * 0.8
    _mark(image, ((width * SCALE - side) / 2, (height * SCALE - side) / 2, side), stroke=2.0)
    return image.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    made = {"avatar.png": avatar(), "header.png": header(), "thumbnail.png": thumbnail()}
    made.update({f"icon-{size}.png": icon(size) for size in ICON_SIZES})
    for name, image in made.items():
        image.save(STATIC / name, optimize=True)
        print(name, image.size, (STATIC / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
