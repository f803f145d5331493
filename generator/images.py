"""Reading uploaded images (edits) and writing results, with limits against hostile input."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from generator.errors import invalid
from generator.params import MAX_PIXELS, MAX_SIDE, MIN_SIDE

MAX_SOURCE_BYTES = 50 * 1024 * 1024  # OpenAI's own limit per input image
MAX_SOURCE_PIXELS = 4096 * 4096
SOURCE_FORMATS = ["PNG", "JPEG", "WEBP"]


def decode_source(data: bytes, param: str = "image") -> Image.Image:
    """An uploaded image as RGB. The pixel count is checked from the header, before any
    decoding, so a decompression bomb costs nothing."""
    if not data:
        raise invalid("The uploaded image is empty.", param)
    try:
        image = Image.open(io.BytesIO(data), formats=SOURCE_FORMATS)
    except Image.DecompressionBombError:
        # Pillow's own guard, for sizes far past ours: the same answer as below.
        raise invalid(f"The uploaded image declares more than {MAX_SOURCE_PIXELS} pixels.",
                      param, "image_too_large") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise invalid("Invalid image file. Supported formats are png, jpeg and webp.", param,
                      "invalid_image_format") from None
    if image.width * image.height > MAX_SOURCE_PIXELS:
        raise invalid(f"The uploaded image is {image.width}x{image.height} pixels; at most "
                      f"{MAX_SOURCE_PIXELS} pixels are accepted.", param, "image_too_large")
    try:
        image.load()
    except (OSError, ValueError):
        raise invalid("The uploaded image is damaged and cannot be decoded.", param,
                      "invalid_image") from None
    return image.convert("RGB")


def size_like(image: Image.Image) -> tuple[int, int]:
    """The output size for an edit with size 'auto': the source's, made valid (multiples of
    16, within the side and pixel limits, aspect ratio at most 3:1)."""
    width, height = float(image.width), float(image.height)
    width, height = min(width, 3 * height), min(height, 3 * width)
    scale = min(1.0, MAX_SIDE / max(width, height), (MAX_PIXELS / (width * height)) ** 0.5)

    def fit(side: float) -> int:
        return max(MIN_SIDE, min(MAX_SIDE, int(side * scale) // 16 * 16))

    return fit(width), fit(height)


def encode(image: Image.Image, fmt: str, compression: int | None) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        # Fast compression: the receiver (Dreamfeed's pipeline) re-encodes anyway.
        image.save(buffer, "PNG", compress_level=3)
    elif fmt == "jpeg":
        image.save(buffer, "JPEG", quality=92 if compression is None else compression)
    else:
        image.save(buffer, "WEBP", quality=90 if compression is None else compression)
    return buffer.getvalue()
