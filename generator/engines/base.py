"""The one interface every image engine implements, so the service does not care which runs.

An engine turns a prompt (and, for edits, input images) into a Pillow image. It is called in a
worker thread, never on the event loop, and must be safe to call from several threads at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from PIL import Image

# IPTC digital source types (http://cv.iptc.org/newscodes/digitalsourcetype/): what a consumer
# of the image is told about how it was made.
ALGORITHMIC_MEDIA = "algorithmicMedia"  # made by an algorithm with no trained model
TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"  # made by a model trained on samples


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    width: int
    height: int
    seed: int
    # One of the engine's styles, or None to let the prompt choose.
    style: str | None = None
    # "low", "medium" or "high": how much detail the engine spends time on.
    quality: str = "medium"
    # Edits only: the images to remix (RGB, already bounded in size by the caller).
    sources: tuple[Image.Image, ...] = field(default=())


@dataclass(frozen=True)
class Rendered:
    image: Image.Image
    style: str
    # What the engine made of the prompt, in words (OpenAI's `revised_prompt`).
    revised_prompt: str


class UnknownStyle(ValueError):
    """The request named a style the engine does not have."""


class Engine(ABC):
    """An image engine. Subclasses set the class attributes and implement render()."""

    # Short name reported to clients and written into image provenance.
    name: str
    version: str
    digital_source_type: str
    styles: tuple[str, ...]

    @abstractmethod
    def render(self, request: RenderRequest) -> Rendered:
        """Make one image of exactly request.width x request.height pixels. Deterministic for
        equal requests. Raises UnknownStyle for a style not in `styles`."""
