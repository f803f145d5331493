"""Draws the sample thumbnail of each style of the procedural engine, once: the compose page
shows them on its style chips, so they must cost no quota and no drawing at page load.

    .venv/bin/python tools/style_samples.py

The WebP files are committed as server/static/style-<style>.webp (flat, as every static file
is: server.handlers.static_files serves one folder); run this again when the engine's styles
or their drawing change. Each is drawn at four times its size and scaled down, which keeps the
small picture's detail readable.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from generator.engines.base import RenderRequest
from generator.engines.procedural import ProceduralEngine

STATIC = Path(__file__).resolve().parent.parent / "server" / "static"
SIDE = 96
SCALE = 4
# One prompt for every style, so the chips differ by style alone; its words name subjects
# (sun, mountains, water) that every style draws in its own way.
PROMPT = "a golden sun over violet mountains and a calm lake"
SEED = 7


def sample(engine: ProceduralEngine, style: str) -> Image.Image:
    rendered = engine.render(RenderRequest(prompt=PROMPT, width=SIDE * SCALE,
                                           height=SIDE * SCALE, seed=SEED, style=style))
    return rendered.image.resize((SIDE, SIDE), Image.Resampling.LANCZOS)


def main() -> None:
    engine = ProceduralEngine()
    for style in engine.styles:
        path = STATIC / f"style-{style}.webp"
        sample(engine, style).save(path, "WEBP", quality=80, method=6)
        print(path.name, path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
