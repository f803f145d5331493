"""The media pipeline: bytes from a generator or an upload -> the files we serve.

Decode with a pixel limit read from the header (decompression bombs never reach the decoder),
orient by EXIF, convert to sRGB, drop every piece of embedded metadata, then write a JPEG (what
federates: Pixelfed drops posts with attachments outside jpeg/png/gif) and a WebP, both at most
2048 px on the longest side, a 400 px JPEG thumbnail, and a 4x3 blurhash. Every rendition of an
image we made carries the provenance XMP packet; an upload's carry none (we do not know how it
was made, and claim nothing). CPU-bound: call process_image() off the event loop.

Memory: a decoded image costs width x height x 4 bytes whatever its file size, so every decode
holds one of the process-wide slots (server.images.decode_slots) until its image is dropped,
JPEGs are decoded at a reduced scale when we only need a smaller image (draft), and the full
image is shrunk to the size we keep before any other copy is made.

The one module that uses Pillow (and blurhash) for the server.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass

import blurhash
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from server.images.decode_slots import decode_slot
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


def process_image(data: bytes, provenance: Provenance | None,
                  limits: Limits) -> ProcessedImage:
    """`provenance` None: an upload, whose files get no packet of ours."""
    with decode_slot():
        opened = _open(data, limits)
        fmt = opened.format or "PNG"
        display, (width, height) = _decoded(opened, DISPLAY_MAX)
        xmp = xmp_packet(provenance) if provenance is not None else b""
        flat = _flatten(display)
        thumb = _bounded(flat, THUMB_MAX)
        return ProcessedImage(
            original=data, original_mime=Image.MIME[fmt], original_extension=EXTENSIONS[fmt],
            sha256=hashlib.sha256(data).hexdigest(), width=width, height=height,
            jpeg=_encode(flat, "JPEG", xmp, quality=JPEG_QUALITY, progressive=True),
            webp=_encode(display, "WEBP", xmp, quality=WEBP_QUALITY, method=WEBP_METHOD),
            thumb=_encode(thumb, "JPEG", xmp, quality=THUMB_QUALITY),
            blurhash=_blurhash(thumb))


# What a vision model is shown: OpenAI reads "high" detail at up to 2048 px and tiles 768 px
# squares; 1536 keeps text in images legible at a fraction of the upload.
DESCRIBE_MAX = 1536


def image_for_description(data: bytes, limits: Limits) -> bytes:
    """The image alone, for a vision model: a JPEG of at most DESCRIBE_MAX px with no
    metadata at all (not even our provenance packet). CPU-bound."""
    with decode_slot():
        image, _size = _decoded(_open(data, limits), DESCRIBE_MAX)
        flat = _flatten(image)
        flat.info = {}
        return _encode(flat, "JPEG", b"", quality=JPEG_QUALITY).data


def _open(data: bytes, limits: Limits) -> ImageFile.ImageFile:
    """The image, its header read and nothing decoded; MediaError for what we refuse."""
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
    # Before decoding: the header's claim is what the decoder would allocate.
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        image.close()
        raise MediaError(f"the image is {image.width}x{image.height} = {pixels:,} pixels; the "
                         f"limit is {limits.max_pixels:,} (a decompression bomb?)")
    return image


def _decoded(image: ImageFile.ImageFile, longest: int) -> tuple[Image.Image, tuple[int, int]]:
    """Decoded, upright, sRGB, RGB or RGBA, no metadata, at most `longest` px on its longest
    side; and the upright size of the full image. Call with a decode slot held."""
    size = image.size
    _draft(image, longest)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError):
        image.close()
        raise MediaError("the image is damaged or truncated and cannot be decoded") from None
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    upright = (size[1], size[0]) if orientation in (5, 6, 7, 8) else size
    work = _replaced(image, _rgb(image))
    # In place: the full-size pixels go as soon as the smaller copy exists.
    work.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return _normalize(work), upright


def _draft(image: ImageFile.ImageFile, longest: int) -> None:
    """A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that still leaves `longest` px (the
    decoder does the scaling: 1/4 of the memory and time at 1/2)."""
    if image.format != "JPEG" or max(image.size) <= longest:
        return
    factor = longest / max(image.size)
    image.draft(None, (max(1, math.ceil(image.width * factor)),
                       max(1, math.ceil(image.height * factor))))


def _replaced(old: Image.Image, new: Image.Image) -> Image.Image:
    if new is not old:
        old.close()
    return new


def _rgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if has_alpha else "RGB"
    return image if image.mode == mode else image.convert(mode)


def _normalize(image: Image.Image) -> Image.Image:
    """Upright and sRGB, with no metadata carried over."""
    ImageOps.exif_transpose(image, in_place=True)
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = _replaced(image, ImageCms.profileToProfile(
                image, source, _SRGB, outputMode=image.mode) or image)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: keep the pixels as they are, assumed sRGB
    clean = _replaced(image, image.copy())
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
    with decode_slot():
        opened = _open(data, limits)
        # Shrunk first, but never below what the crop needs: its shortest side covers the box.
        cover = max(box) / max(1, min(opened.size))
        image, _size = _decoded(opened, math.ceil(max(opened.size) * cover) + 1)
        return _fitted(_flatten(image), box, provenance)


def _fitted(flat: Image.Image, box: tuple[int, int], provenance: Provenance | None) -> Rendition:
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
    with decode_slot():
        image, (width, height) = _decoded(_open(data, limits), DISPLAY_MAX)
        flat = _flatten(image)
        thumb = _bounded(flat, THUMB_MAX)
        return RemoteImage(width=width, height=height,
                           jpeg=_encode(flat, "JPEG", b"", quality=JPEG_QUALITY,
                                        progressive=True),
                           thumb=_encode(thumb, "JPEG", b"", quality=THUMB_QUALITY),
                           blurhash=_blurhash(thumb))


def identify(data: bytes, limits: Limits) -> str:
    """The MIME type of an image we accept, read from its header only (nothing is decoded, so
    no decode slot is needed); MediaError for anything else, bombs included. For proxying
    bytes we do not re-encode."""
    with _open(data, limits) as image:
        return Image.MIME[image.format or "PNG"]
