"""Input image validation: every accepted format, and every kind of bad file refused with its reason."""

from __future__ import annotations

import base64
import random
import struct
import zlib
from io import BytesIO

import pytest
from PIL import Image

from bot.checks.images import (
    ImageInfo,
    ImageRejected,
    RejectReason,
    sniff_type,
    to_data_uri,
    validate_attachment_metadata,
    validate_image_bytes,
)
from bot.i18n import Lang, catalogue

MIB = 1024 * 1024
LIMIT = 10 * MIB


def encode(fmt: str, size: tuple[int, int], *, mode: str = "RGB", noise: bool = False) -> bytes:
    """Return an image of ``size`` encoded by Pillow; ``noise`` makes the pixel data large."""
    if noise:
        pixels = random.Random(7).randbytes(size[0] * size[1] * 3)
        image = Image.frombytes("RGB", size, pixels)
    else:
        image = Image.new(mode, size, "white" if mode != "1" else 1)
    buffer = BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def forged_png(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header that claims huge dimensions: a decompression bomb's shape."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    )


def forged_webp(width: int, height: int) -> bytes:
    """A VP8X WebP header claiming a canvas of ``width`` x ``height``, with no image data."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def reject(data: bytes, declared: str | None, *, max_bytes: int = LIMIT) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        validate_image_bytes(data, declared, max_bytes=max_bytes)
    return caught.value


def assert_renders(error: ImageRejected) -> None:
    """The refusal's key exists in both languages and its params fill every placeholder."""
    for lang in Lang:
        assert catalogue().text(lang, error.key, **error.params)


PNG_512 = encode("PNG", (512, 512))
JPEG_512 = encode("JPEG", (512, 512))
WEBP_512 = encode("WEBP", (512, 512))
NOISY_JPEG = encode("JPEG", (256, 256), noise=True)
NOISY_PNG = encode("PNG", (256, 256), noise=True)


@pytest.mark.parametrize(
    ("data", "declared", "mime", "size"),
    [
        (PNG_512, "image/png", "image/png", (512, 512)),
        (JPEG_512, "image/jpeg", "image/jpeg", (512, 512)),
        (WEBP_512, "image/webp", "image/webp", (512, 512)),
        (JPEG_512, "image/jpg", "image/jpeg", (512, 512)),
        (PNG_512, "Image/PNG; charset=binary", "image/png", (512, 512)),
        (encode("PNG", (64, 64)), "image/png", "image/png", (64, 64)),
        (encode("WEBP", (4096, 64)), "image/webp", "image/webp", (4096, 64)),
        (encode("PNG", (64, 4096), mode="L"), "image/png", "image/png", (64, 4096)),
        (NOISY_JPEG, "image/jpeg", "image/jpeg", (256, 256)),
        (encode("PNG", (300, 200), mode="RGBA"), "image/png", "image/png", (300, 200)),
    ],
)
def test_accepted_images_report_type_dimensions_and_size(data, declared, mime, size):
    info = validate_image_bytes(data, declared, max_bytes=LIMIT)
    assert info == ImageInfo(mime=mime, width=size[0], height=size[1], size=len(data))


BAD_BYTES = [
    pytest.param(b"", "image/png", RejectReason.EMPTY, {}, id="zero-bytes"),
    pytest.param(
        b"hello, this is text\n", "text/plain", RejectReason.UNSUPPORTED_TYPE, {"found": "text"}, id="text"
    ),
    pytest.param(
        b"%PDF-1.7\n%\xe2\xe3\n1 0 obj",
        "application/pdf",
        RejectReason.UNSUPPORTED_TYPE,
        {"found": "PDF"},
        id="pdf",
    ),
    pytest.param(
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "image/svg+xml",
        RejectReason.UNSUPPORTED_TYPE,
        {"found": "SVG"},
        id="svg",
    ),
    pytest.param(
        encode("GIF", (128, 128)), "image/gif", RejectReason.UNSUPPORTED_TYPE, {"found": "GIF"}, id="gif"
    ),
    pytest.param(
        encode("BMP", (128, 128)), "image/bmp", RejectReason.UNSUPPORTED_TYPE, {"found": "BMP"}, id="bmp"
    ),
    pytest.param(
        encode("TIFF", (128, 128)), "image/tiff", RejectReason.UNSUPPORTED_TYPE, {"found": "TIFF"}, id="tiff"
    ),
    pytest.param(
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
        "image/heic",
        RejectReason.UNSUPPORTED_TYPE,
        {"found": "HEIC"},
        id="heic",
    ),
    pytest.param(
        b"\x00\x01binary",
        "application/octet-stream",
        RejectReason.UNSUPPORTED_TYPE,
        {"found": "application/octet-stream"},
        id="octet-stream",
    ),
    pytest.param(PNG_512, None, RejectReason.UNKNOWN_TYPE, {}, id="no-declared-type"),
    pytest.param(
        PNG_512,
        "image/jpeg",
        RejectReason.TYPE_MISMATCH,
        {"declared": "JPEG", "found": "PNG"},
        id="png-declared-jpeg",
    ),
    pytest.param(
        JPEG_512,
        "image/webp",
        RejectReason.TYPE_MISMATCH,
        {"declared": "WebP", "found": "JPEG"},
        id="jpeg-declared-webp",
    ),
    pytest.param(
        encode("GIF", (128, 128)),
        "image/png",
        RejectReason.TYPE_MISMATCH,
        {"declared": "PNG", "found": "GIF"},
        id="gif-declared-png",
    ),
    pytest.param(
        b"just some text that claims to be an image",
        "image/png",
        RejectReason.TYPE_MISMATCH,
        {"declared": "PNG", "found": "unknown"},
        id="text-declared-png",
    ),
    pytest.param(
        b"%PDF-1.4 fake",
        "image/jpeg",
        RejectReason.TYPE_MISMATCH,
        {"declared": "JPEG", "found": "PDF"},
        id="pdf-declared-jpeg",
    ),
    pytest.param(PNG_512[:20], "image/png", RejectReason.UNREADABLE, {}, id="png-cut-in-header"),
    pytest.param(JPEG_512[:12], "image/jpeg", RejectReason.UNREADABLE, {}, id="jpeg-cut-in-header"),
    pytest.param(WEBP_512[: len(WEBP_512) // 2], "image/webp", RejectReason.UNREADABLE, {}, id="webp-cut"),
    pytest.param(
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/png", RejectReason.UNREADABLE, {}, id="png-garbage"
    ),
    pytest.param(
        NOISY_PNG[: len(NOISY_PNG) * 2 // 3], "image/png", RejectReason.TRUNCATED, {}, id="png-truncated"
    ),
    pytest.param(
        NOISY_JPEG[: len(NOISY_JPEG) * 2 // 3], "image/jpeg", RejectReason.TRUNCATED, {}, id="jpeg-truncated"
    ),
    pytest.param(
        encode("PNG", (1, 1)),
        "image/png",
        RejectReason.TOO_SMALL,
        {"width": 1, "height": 1, "min_side": 64},
        id="1x1",
    ),
    pytest.param(
        encode("JPEG", (63, 500)),
        "image/jpeg",
        RejectReason.TOO_SMALL,
        {"width": 63, "height": 500, "min_side": 64},
        id="63-wide",
    ),
    pytest.param(
        encode("WEBP", (500, 10)),
        "image/webp",
        RejectReason.TOO_SMALL,
        {"width": 500, "height": 10, "min_side": 64},
        id="webp-10-high",
    ),
    pytest.param(
        encode("PNG", (10000, 10000), mode="1"),
        "image/png",
        RejectReason.TOO_BIG_DIMENSIONS,
        {"width": 10000, "height": 10000, "max_side": 4096},
        id="10000x10000",
    ),
    pytest.param(
        encode("PNG", (4097, 64), mode="1"),
        "image/png",
        RejectReason.TOO_BIG_DIMENSIONS,
        {"width": 4097, "height": 64, "max_side": 4096},
        id="4097-wide",
    ),
    pytest.param(
        forged_png(200_000, 200_000),
        "image/png",
        RejectReason.TOO_BIG_DIMENSIONS,
        {"width": 200_000, "height": 200_000, "max_side": 4096},
        id="png-bomb-header",
    ),
    pytest.param(
        forged_webp(16384, 16384),
        "image/webp",
        RejectReason.TOO_BIG_DIMENSIONS,
        {"width": 16384, "height": 16384, "max_side": 4096},
        id="webp-bomb-header",
    ),
    pytest.param(
        PNG_512, "image/png", RejectReason.TOO_LARGE, {"size_mb": 0.0, "limit_mb": 0.0}, id="over-limit"
    ),
]


@pytest.mark.parametrize(("data", "declared", "reason", "params"), BAD_BYTES)
def test_bad_bytes_are_refused_with_a_specific_reason(data, declared, reason, params):
    max_bytes = len(data) - 1 if reason is RejectReason.TOO_LARGE else LIMIT
    error = reject(data, declared, max_bytes=max_bytes)
    assert error.reason is reason
    assert error.params == params
    assert error.key == f"image.{reason.value}"
    assert_renders(error)


def test_too_large_tells_both_sizes_in_megabytes():
    data = PNG_512 + b"\x00" * (3 * MIB)
    error = reject(data, "image/png", max_bytes=2 * MIB)
    assert error.reason is RejectReason.TOO_LARGE
    assert error.params == {"size_mb": 3.0, "limit_mb": 2.0}
    assert "3 MB" in catalogue().text(Lang.EN, error.key, **error.params)
    assert "2 MB" in catalogue().text(Lang.VI, error.key, **error.params)


def test_png_with_trailing_bytes_after_the_end_is_still_accepted():
    info = validate_image_bytes(PNG_512 + b"\x00" * 64, "image/png", max_bytes=LIMIT)
    assert (info.width, info.height) == (512, 512)


METADATA_CASES = [
    pytest.param("image/png", 1000, 512, 512, None, id="png-ok"),
    pytest.param("image/jpeg", LIMIT, 4096, 4096, None, id="jpeg-at-limits"),
    pytest.param("image/webp", 1000, 64, 64, None, id="webp-smallest"),
    pytest.param(None, 1000, 512, 512, None, id="no-type-checked-after-download"),
    pytest.param("image/png", 0, 512, 512, RejectReason.EMPTY, id="empty"),
    pytest.param("image/png", LIMIT + 1, 512, 512, RejectReason.TOO_LARGE, id="too-large"),
    pytest.param("image/gif", 1000, 512, 512, RejectReason.UNSUPPORTED_TYPE, id="gif"),
    pytest.param("application/pdf", 1000, None, None, RejectReason.UNSUPPORTED_TYPE, id="pdf"),
    pytest.param("text/plain; charset=utf-8", 10, None, None, RejectReason.UNSUPPORTED_TYPE, id="text"),
    pytest.param("image/png", 1000, None, None, RejectReason.MISSING_DIMENSIONS, id="no-dimensions"),
    pytest.param("image/png", 1000, 512, None, RejectReason.MISSING_DIMENSIONS, id="no-height"),
    pytest.param("image/png", 1000, 1, 1, RejectReason.TOO_SMALL, id="1x1"),
    pytest.param("image/jpeg", 1000, 10000, 10000, RejectReason.TOO_BIG_DIMENSIONS, id="10000x10000"),
    pytest.param("image/jpeg", 1000, 4096, 4097, RejectReason.TOO_BIG_DIMENSIONS, id="4097-high"),
]


@pytest.mark.parametrize(("content_type", "size", "width", "height", "reason"), METADATA_CASES)
def test_attachment_metadata_check(content_type, size, width, height, reason):
    if reason is None:
        validate_attachment_metadata(content_type, size, width, height, max_bytes=LIMIT)
        return
    with pytest.raises(ImageRejected) as caught:
        validate_attachment_metadata(content_type, size, width, height, max_bytes=LIMIT)
    assert caught.value.reason is reason
    assert_renders(caught.value)


def test_the_tables_cover_every_reject_reason():
    """Each table row above asserts its reason is raised, so together they prove each is reachable."""
    covered = {case.values[2] for case in BAD_BYTES} | {case.values[4] for case in METADATA_CASES}
    assert covered - {None} == set(RejectReason)


def test_every_reject_reason_has_a_message_in_both_languages():
    for reason in RejectReason:
        for lang in Lang:
            assert catalogue().template(lang, f"image.{reason.value}")


def test_data_uri_round_trips_the_bytes():
    uri = to_data_uri(PNG_512, "image/png")
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]) == PNG_512


def test_data_uri_refuses_types_the_provider_does_not_take():
    with pytest.raises(ValueError, match="image/gif"):
        to_data_uri(b"GIF89a", "image/gif")


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG_512, "image/png"),
        (JPEG_512, "image/jpeg"),
        (WEBP_512, "image/webp"),
        (encode("GIF", (8, 8)), "image/gif"),
        (b"plain words", None),
    ],
)
def test_sniff_type_reads_magic_bytes(data, mime):
    assert sniff_type(data) == mime
