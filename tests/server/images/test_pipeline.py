"""The media pipeline: renditions, blurhash, dimensions, metadata stripped, provenance
written, and clear errors for what it refuses."""

from __future__ import annotations

import io
import struct
import zlib

import blurhash
import pytest
from PIL import Image

from server.images.pipeline import Limits, MediaError, process_image
from server.images.provenance import Provenance, xmp_packet
from tests.server.images.conftest import png

LIMITS = Limits(max_pixels=33_177_600, max_size=16_777_216)
PROCEDURAL = Provenance("algorithmicMedia", "dreamfeed-procedural 1", "Dreamfeed 0.1.0")
MODEL = Provenance("trainedAlgorithmicMedia", "gpt-image-2", "Dreamfeed 0.1.0")


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_renditions_dimensions_and_blurhash() -> None:
    result = process_image(png((300, 200)), PROCEDURAL, LIMITS)
    assert (result.width, result.height) == (300, 200)
    assert result.original_mime == "image/png" and result.original_extension == "png"
    jpeg, webp, thumb = (open_image(r.data) for r in (result.jpeg, result.webp, result.thumb))
    assert (jpeg.format, jpeg.size, result.jpeg.mime) == ("JPEG", (300, 200), "image/jpeg")
    assert (webp.format, webp.size, result.webp.mime) == ("WEBP", (300, 200), "image/webp")
    assert (thumb.format, thumb.size) == ("JPEG", (300, 200))
    assert blurhash.is_valid_blurhash(result.blurhash)
    # 4x3 components: the first character encodes (4 - 1) + (3 - 1) * 9 = 21, "L" in base 83.
    assert result.blurhash[0] == "L" and len(result.blurhash) == 6 + 2 * (4 * 3 - 1)


def test_large_images_are_bounded() -> None:
    result = process_image(png((3000, 1000)), MODEL, LIMITS)
    assert (result.width, result.height) == (3000, 1000)
    assert (result.jpeg.width, result.jpeg.height) == (2048, 683)
    assert (result.webp.width, result.webp.height) == (2048, 683)
    assert (result.thumb.width, result.thumb.height) == (400, 133)


@pytest.mark.parametrize("provenance", [PROCEDURAL, MODEL])
def test_every_rendition_carries_provenance(provenance: Provenance) -> None:
    result = process_image(png(), provenance, LIMITS)
    for rendition in (result.jpeg, result.webp, result.thumb):
        xmp = open_image(rendition.data).info["xmp"]
        assert (b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/'
                b'digitalsourcetype/' + provenance.digital_source_type.encode() + b'"') in xmp
        assert f"<Iptc4xmpExt:AISystemUsed>{provenance.generator}<".encode() in xmp
        assert b"AIPromptInformation" not in xmp  # the prompt is private by default


def test_a_published_prompt_is_escaped_into_the_packet() -> None:
    packet = xmp_packet(Provenance("trainedAlgorithmicMedia", "m", "s", prompt="cats & <dogs>"))
    assert b"<Iptc4xmpExt:AIPromptInformation>cats &amp; &lt;dogs&gt;<" in packet


def test_camera_metadata_is_stripped_and_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (250, 0, 0)).save(buffer, "JPEG", exif=exif.tobytes(),
                                                  comment=b"secret")
    result = process_image(buffer.getvalue(), MODEL, LIMITS)
    assert (result.width, result.height) == (80, 120)
    for rendition in (result.jpeg, result.webp, result.thumb):
        image = open_image(rendition.data)
        assert b"CameraMaker" not in rendition.data and b"secret" not in rendition.data
        assert "exif" not in image.info and "comment" not in image.info
        assert image.size == (80, 120)


def test_transparent_images_are_flattened_for_jpeg() -> None:
    result = process_image(png((32, 32), (0, 0, 0, 0), mode="RGBA"), MODEL, LIMITS)
    assert open_image(result.jpeg.data).convert("RGB").getpixel((16, 16)) == (255, 255, 255)
    assert open_image(result.webp.data).mode == "RGBA"


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "limits", "message"), [
    (b"", LIMITS, "empty"),
    (b"GIF89a? no, just text pretending", LIMITS, "not an image"),
    (png((64, 64)), Limits(max_pixels=1000, max_size=10**6), "4,096 pixels"),
    (png_claiming(7000, 7000), LIMITS, "decompression bomb"),
    (png_claiming(100_000, 100_000), LIMITS, "decompression bomb"),
    (png((64, 64)), Limits(max_pixels=10**6, max_size=100), "the limit is 0.0 MB"),
    (png((300, 300))[:-40], LIMITS, "damaged"),
])
def test_bad_input_gets_a_clear_error(data: bytes, limits: Limits, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        process_image(data, MODEL, limits)


def test_unknown_source_type_is_refused() -> None:
    with pytest.raises(ValueError, match="digital source type"):
        Provenance("digitalCapture", "camera", "Dreamfeed")


def test_large_jpeg_is_decoded_at_reduced_scale_upright() -> None:
    """A JPEG is decoded at the scale we keep (draft): sizes and orientation come out as
    from a full decode."""
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    Image.new("RGB", (5000, 3000), (10, 200, 30)).save(buffer, "JPEG", exif=exif)
    result = process_image(buffer.getvalue(), MODEL, LIMITS)
    assert (result.width, result.height) == (3000, 5000)
    assert (result.jpeg.width, result.jpeg.height) == (1229, 2048)
    assert (result.thumb.width, result.thumb.height) == (240, 400)
    assert "exif" not in open_image(result.jpeg.data).info
