"""Validating Images API parameters, as OpenAI does: each error names its parameter.

Only what Dreamfeed and ordinary clients use is accepted; parameters that change the kind of
output we cannot make (transparent backgrounds, masks, URLs, streaming) get a clear 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.errors import invalid

MAX_PROMPT_LENGTH = 32_000
MAX_IMAGES = 10
MIN_SIDE, MAX_SIDE = 64, 3840
MAX_PIXELS = 3840 * 2160
DEFAULT_SIZE = (1024, 1024)
FORMATS = ("png", "webp", "jpeg")
# OpenAI's quality names -> the engine's three levels of detail.
QUALITIES = {"auto": "medium", "low": "low", "medium": "medium", "high": "high",
             "xhigh": "high", "max": "high", "standard": "medium", "hd": "high"}
# DALL-E 3's old `style` values mean nothing to our engines: treated as "let the prompt choose".
LEGACY_STYLES = frozenset({"vivid", "natural"})

COMMON_FIELDS = frozenset({"prompt", "model", "n", "size", "quality", "output_format",
                           "output_compression", "background", "response_format", "user",
                           "safety_identifier", "stream", "partial_images", "moderation",
                           "seed", "style"})
# `strength` (an extension, 0 to 1): how far a remix moves from its source image.
EDIT_FIELDS = COMMON_FIELDS | {"input_fidelity", "strength"}


@dataclass(frozen=True)
class ImageParams:
    prompt: str
    model: str | None
    n: int
    # None: "auto" (1024x1024 for generations, the source's size for edits).
    size: tuple[int, int] | None
    quality: str  # low, medium or high
    output_format: str
    compression: int | None
    seed: int | None
    style: str | None
    # Edits: how far the result moves from the source (0 to 1); None: the engine's default.
    strength: float | None = None


def parse_params(values: Mapping[str, Any], *, styles: tuple[str, ...],
                 allowed: frozenset[str] = COMMON_FIELDS) -> ImageParams:
    """Check a generation's JSON body, or an edit's form fields (all strings then)."""
    for key in values:
        if key not in allowed:
            raise invalid(f"Unknown parameter: '{key}'.", key, "unknown_parameter")
    if "prompt" not in values or values["prompt"] is None:
        raise invalid("Missing required parameter: 'prompt'.", "prompt",
                      "missing_required_parameter")
    prompt = values["prompt"]
    if not isinstance(prompt, str):
        raise invalid("Invalid type for 'prompt': expected a string.", "prompt", "invalid_type")
    if not prompt.strip():
        raise invalid("Invalid 'prompt': empty string. Expected a string with minimum length 1.",
                      "prompt", "empty_string")
    if len(prompt) > MAX_PROMPT_LENGTH:
        raise invalid(f"Invalid 'prompt': string too long. Expected a string with maximum "
                      f"length {MAX_PROMPT_LENGTH}, but got a string with length "
                      f"{len(prompt)} instead.", "prompt", "string_above_max_length")
    _refuse(values)
    model = values.get("model")
    if model is not None and not isinstance(model, str):
        raise invalid("Invalid type for 'model': expected a string.", "model", "invalid_type")
    fmt = _choice(values, "output_format", FORMATS, "png")
    compression = _integer(values, "output_compression", 0, 100)
    if compression is not None and fmt == "png":
        raise invalid("output_compression is only supported for the webp and jpeg formats.",
                      "output_compression")
    quality = QUALITIES[_choice(values, "quality", tuple(QUALITIES), "auto")]
    style = values.get("style")
    if style is not None:
        if not isinstance(style, str):
            raise invalid("Invalid type for 'style': expected a string.", "style", "invalid_type")
        if style in LEGACY_STYLES:
            style = None
        elif style not in styles:
            raise invalid(f"Invalid 'style': {style!r}. This engine has {', '.join(styles)}.",
                          "style")
    return ImageParams(prompt=prompt, model=model, n=_integer(values, "n", 1, MAX_IMAGES) or 1,
                       size=_size(values.get("size")), quality=quality, output_format=fmt,
                       compression=compression, seed=_integer(values, "seed", 0, 2 ** 32 - 1),
                       style=style, strength=_strength(values.get("strength")))


def _refuse(values: Mapping[str, Any]) -> None:
    background = _choice(values, "background", ("auto", "opaque", "transparent"), "auto")
    if background == "transparent":
        raise invalid("Transparent backgrounds are not supported by this generator; use "
                      "'opaque' or 'auto'.", "background", "unsupported_value")
    if _choice(values, "response_format", ("b64_json", "url"), "b64_json") == "url":
        raise invalid("response_format 'url' is not supported: this generator returns "
                      "b64_json only.", "response_format", "unsupported_value")
    if _flag(values.get("stream")):
        raise invalid("Streaming is not supported by this generator.", "stream",
                      "unsupported_value")


def _choice(values: Mapping[str, Any], key: str, options: tuple[str, ...], default: str) -> str:
    value = values.get(key)
    if value is None:
        return default
    if value not in options:
        raise invalid(f"Invalid value: {value!r}. Supported values are: "
                      + ", ".join(repr(o) for o in options) + ".", key)
    return str(value)


def _integer(values: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = values.get(key)
    if value is None:
        return None
    if isinstance(value, str):  # multipart form fields are strings
        try:
            value = int(value)
        except ValueError:
            raise invalid(f"Invalid type for '{key}': expected an integer.", key,
                          "invalid_type") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"Invalid type for '{key}': expected an integer.", key, "invalid_type")
    if not low <= value <= high:
        raise invalid(f"Invalid '{key}': {value} is not between {low} and {high}.", key)
    return value


def _strength(value: Any) -> float | None:
    if value is None:
        return None
    try:
        strength = float(value)  # multipart form fields are strings
    except (TypeError, ValueError):
        raise invalid("Invalid type for 'strength': expected a number.", "strength",
                      "invalid_type") from None
    if isinstance(value, bool) or not 0.0 < strength <= 1.0:
        raise invalid(f"Invalid 'strength': {value!r} is not a number above 0 and at most 1.",
                      "strength")
    return strength


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _size(value: Any) -> tuple[int, int] | None:
    if value is None or value == "auto":
        return None
    if not isinstance(value, str):
        raise invalid("Invalid type for 'size': expected a string such as '1024x1024'.", "size",
                      "invalid_type")
    width_text, sep, height_text = value.partition("x")
    if not sep or not width_text.isdigit() or not height_text.isdigit():
        raise invalid(f"Invalid size {value!r}: use WIDTHxHEIGHT such as '1024x1024', "
                      "'1536x1024', '1024x1536', or 'auto'.", "size")
    width, height = int(width_text), int(height_text)
    problem = check_dimensions(width, height)
    if problem:
        raise invalid(f"Invalid size {value!r}: {problem}.", "size")
    return width, height


def check_dimensions(width: int, height: int) -> str | None:
    """Why a size is refused, or None when it is fine."""
    if width % 16 or height % 16:
        return "width and height must both be multiples of 16"
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        return f"each side must be between {MIN_SIDE} and {MAX_SIDE} pixels"
    if width * height > MAX_PIXELS:
        return f"at most {MAX_PIXELS} pixels ({MAX_SIDE}x2160)"
    if max(width, height) > 3 * min(width, height):
        return "the aspect ratio must be between 1:3 and 3:1"
    return None
