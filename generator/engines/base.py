"""The one interface every image engine implements, so the service does not care which runs.

An engine turns a prompt (and, for edits, input images) into a Pillow image. It is called in a
worker thread, never on the event loop, and must be safe to call from several threads at once.
"""

from __future__ import annotations

import threading
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
    # Edits only: how far the result may move from the source, 0 (not at all) to 1 (fully);
    # None: the engine's default.
    strength: float | None = None
    # Set when nobody waits for the image any more (the client went away): an engine that
    # queues work skips it, or stops it between steps, instead of spending the GPU on it.
    cancelled: threading.Event | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Rendered:
    image: Image.Image
    style: str
    # What the engine made of the prompt, in words (OpenAI's `revised_prompt`).
    revised_prompt: str


class UnknownStyle(ValueError):
    """The request named a style the engine does not have."""


class Unsupported(ValueError):
    """The request asks for something this engine (or its model) cannot do, e.g. a remix with
    a model that has no image-to-image pipeline."""


class Cancelled(Exception):
    """The request's `cancelled` event was set before its image was finished."""


@dataclass(frozen=True)
class EngineSettings:
    """What the operator configured for an engine ([generator] in config.toml). The
    procedural engine reads none of it; a model engine reads all of it."""

    # A local model directory, or a hub id (then allow_download must be true, or the model
    # must already be in the local hub cache).
    model_path: str = ""
    device: str = "auto"  # auto, cpu, cuda or mps
    dtype: str = "auto"  # auto, float32, float16 or bfloat16
    # Denoising steps; 0: by the request's quality (low 1, medium 2, high 4).
    steps: int = 0
    # Classifier-free guidance scale; 0 turns it off (what distilled turbo models want).
    guidance: float = 0.0
    # Whether a hub id may be fetched from the network when it is not in the local cache.
    allow_download: bool = False
    # Images rendered together in one batch, at most.
    max_batch: int = 4


class Engine(ABC):
    """An image engine. Subclasses set the class attributes and implement render()."""

    # Short name reported to clients and written into image provenance.
    name: str
    version: str
    digital_source_type: str
    styles: tuple[str, ...]
    # Requests the service should hand over at once: an engine that batches needs several
    # render() calls waiting together; the procedural one draws each on its own thread.
    concurrency: int = 1

    @abstractmethod
    def render(self, request: RenderRequest) -> Rendered:
        """Make one image of exactly request.width x request.height pixels. Deterministic for
        equal requests. Raises UnknownStyle for a style not in `styles`."""
