"""The media pipeline: bytes from a generator (or, later, an upload) -> the files we serve.

Decode with a pixel limit read from the header (decompression bombs never reach the decoder),
orient by EXIF, convert to sRGB, drop every piece of embedded metadata, then write a JPEG (what
federates: Pixelfed drops posts with attachments outside jpeg/png/gif) and a WebP, both at most
2048 px on the longest side, a 400 px JPEG thumbnail, and a 4x3 blurhash. Every rendition
carries the provenance XMP packet. CPU-bound: call process_image() off the event loop.

The one module that uses Pillow (and blurhash) for the server.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import blurhash
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from server.images.provenance import Provenance, xmp_packet

DISPLAY_MAX = 2048
THUMB_MAX = 400
BLURHASH_COMPONENTS = (4, 3)
JPEG_QUALITY = 88
WEBP_QUALITY = 85
# libwebp effort 2 of 6: files within ~6% of the default (4) at about 2.5x the speed, on
# generated images; WebP only serves our own pages, JPEG is what federates.
WEBP_METHOD = 2
THUMB_QUALITY = 82
ACCEPTED_FORMATS = ["PNG", "JPEG", "WEBP", "GIF"]
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class MediaError(ValueError):
    """The image cannot be accepted; the message says why, for the user."""


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_size: int


@dataclass(frozen=True)
class Rendition:
    data: bytes
    width: int
    height: int
    mime: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ProcessedImage:
    original: bytes
    original_mime: str
    original_extension: str
    sha256: str
    width: int
    height: int
    jpeg: Rendition
    webp: Rendition
    thumb: Rendition
    blurhash: str


def process_image(data: bytes, provenance: Provenance, limits: Limits) -> ProcessedImage:
    image, fmt = decode(data, limits)
    image = _normalize(image)
    xmp = xmp_packet(provenance)
    display = _bounded(image, DISPLAY_MAX)
    flat = _flatten(display)
    thumb = _bounded(flat, THUMB_MAX)
    return ProcessedImage(
        original=data, original_mime=Image.MIME[fmt], original_extension=EXTENSIONS[fmt],
        sha256=hashlib.sha256(data).hexdigest(), width=image.width, height=image.height,
        jpeg=_encode(flat, "JPEG", xmp, quality=JPEG_QUALITY, progressive=True),
        webp=_encode(display, "WEBP", xmp, quality=WEBP_QUALITY, method=WEBP_METHOD),
        thumb=_encode(thumb, "JPEG", xmp, quality=THUMB_QUALITY),
        blurhash=_blurhash(thumb))


def decode(data: bytes, limits: Limits) -> tuple[Image.Image, str]:
    """The first frame, fully decoded, and its format name; MediaError for anything else."""
    if not data:
        raise MediaError("the image is empty")
    if len(data) > limits.max_size:
        raise MediaError(f"the image is {_megabytes(len(data))}; the limit is "
                         f"{_megabytes(limits.max_size)}")
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise MediaError("the image declares more pixels than allowed "
                         "(a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise MediaError("this is not an image Dreamfeed can read (PNG, JPEG, WebP or GIF)") \
            from None
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        raise MediaError(f"the image is {image.width}x{image.height} = {pixels:,} pixels; the "
                         f"limit is {limits.max_pixels:,} (a decompression bomb?)")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        raise MediaError("the image is damaged or truncated and cannot be decoded") from None
    fmt = image.format or "PNG"
    return image, fmt


def _normalize(image: Image.Image) -> Image.Image:
    """Upright, sRGB, RGB or RGBA, with no metadata carried over."""
    image = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, _SRGB,
                                              outputMode=image.mode) or image
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: keep the pixels as they are, assumed sRGB
    clean = image.copy()
    # EXIF (camera, GPS), XMP, ICC, comments: nothing of the source goes into our files.
    clean.info = {}
    return clean


def _bounded(image: Image.Image, longest: int) -> Image.Image:
    if max(image.size) <= longest:
        return image
    scaled = image.copy()
    scaled.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    scaled.info = {}
    return scaled


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: put transparent images on white."""
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _encode(image: Image.Image, fmt: str, xmp: bytes, **options: object) -> Rendition:
    buffer = io.BytesIO()
    image.save(buffer, fmt, xmp=xmp, **options)
    return Rendition(data=buffer.getvalue(), width=image.width, height=image.height,
                     mime=Image.MIME[fmt])


def _blurhash(image: Image.Image) -> str:
    small = image.convert("RGB")
    small.thumbnail((64, 64), Image.Resampling.BILINEAR)
    # blurhash.encode closes the image it is given; this copy is ours to lose.
    return str(blurhash.encode(small, *BLURHASH_COMPONENTS))


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


def process_profile_image(data: bytes, limits: Limits, box: tuple[int, int],
                          provenance: Provenance | None = None) -> Rendition:
    """An avatar or header: cropped around the centre to the box's aspect ratio and scaled
    down to the box (never up), as one JPEG. The provenance packet goes only into images we
    generated; an upload keeps none of its metadata and gets none of ours. CPU-bound."""
    image, _fmt = decode(data, limits)
    flat = _flatten(_normalize(image))
    factor = min(1.0, flat.width / box[0], flat.height / box[1])
    size = (max(1, round(box[0] * factor)), max(1, round(box[1] * factor)))
    fitted = ImageOps.fit(flat, size, method=Image.Resampling.LANCZOS)
    fitted.info = {}
    xmp = xmp_packet(provenance) if provenance is not None else b""
    return _encode(fitted, "JPEG", xmp, quality=JPEG_QUALITY, progressive=True)


@dataclass(frozen=True)
class RemoteImage:
    """Our copy of an image from another server: a JPEG at most DISPLAY_MAX px, a thumbnail,
    our blurhash, and the source's dimensions. No provenance packet: we did not make it."""

    width: int
    height: int
    jpeg: Rendition
    thumb: Rendition
    blurhash: str


def process_remote(data: bytes, limits: Limits) -> RemoteImage:
    """Decode (same limits and refusals as our own media) and re-encode: nothing of the
    remote file's bytes or metadata is served. CPU-bound: call off the event loop."""
    image, _fmt = decode(data, limits)
    image = _normalize(image)
    flat = _flatten(_bounded(image, DISPLAY_MAX))
    thumb = _bounded(flat, THUMB_MAX)
    return RemoteImage(width=image.width, height=image.height,
                       jpeg=_encode(flat, "JPEG", b"", quality=JPEG_QUALITY, progressive=True),
                       thumb=_encode(thumb, "JPEG", b"", quality=THUMB_QUALITY),
                       blurhash=_blurhash(thumb))


def identify(data: bytes, limits: Limits) -> str:
    """The MIME type of an image we accept, read from its header only (no full decode);
    MediaError for anything else, bombs included. For proxying bytes we do not re-encode."""
    if not data:
        raise MediaError("the image is empty")
    if len(data) > limits.max_size:
        raise MediaError(f"the image is {_megabytes(len(data))}; the limit is "
                         f"{_megabytes(limits.max_size)}")
    try:
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            fmt, pixels = image.format or "PNG", image.width * image.height
    except Image.DecompressionBombError:
        raise MediaError("the image declares more pixels than allowed "
                         "(a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise MediaError("this is not an image Dreamfeed can read (PNG, JPEG, WebP or GIF)") \
            from None
    if pixels > limits.max_pixels:
        raise MediaError(f"the image has {pixels:,} pixels; the limit is "
                         f"{limits.max_pixels:,} (a decompression bomb?)")
    return Image.MIME[fmt]
