"""Input image validation: type by content type and magic bytes, size, dimensions, completeness.

Two stages: ``validate_attachment_metadata`` uses only what Discord tells about an attachment, so it
can run before the 3-second interaction deadline; ``validate_image_bytes`` checks the downloaded
bytes. Both raise ``ImageRejected`` with a reason and the parameters a localized message needs.
Nothing here knows about Discord.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO

from PIL import ImageFile, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

MIN_SIDE = 64
MAX_SIDE = 4096

PNG, JPEG, WEBP = "image/png", "image/jpeg", "image/webp"
ACCEPTED_TYPES = frozenset({PNG, JPEG, WEBP})
_TYPE_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG}

# Friendly names for the types we accept and for the ones people most often try instead.
TYPE_LABELS = {
    PNG: "PNG",
    JPEG: "JPEG",
    WEBP: "WebP",
    "image/gif": "GIF",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/heic": "HEIC",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "image/svg+xml": "SVG",
    "application/pdf": "PDF",
    "text/plain": "text",
}

_PNG_END = b"IEND\xaeB`\x82"
_JPEG_END = b"\xff\xd9"


class RejectReason(StrEnum):
    """Why an image was refused; the value is the tail of its catalogue key (``image.<value>``)."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    UNREADABLE = "unreadable"
    TRUNCATED = "truncated"
    MISSING_DIMENSIONS = "missing_dimensions"
    TOO_SMALL = "too_small"
    TOO_BIG_DIMENSIONS = "too_big_dimensions"


class ImageRejected(Exception):  # noqa: N818 (name fixed by the module contract)
    """An image the bot will not animate, with what the user needs to know to fix it."""

    def __init__(self, reason: RejectReason, **params: object) -> None:
        super().__init__(f"image rejected: {reason}")
        self.reason = reason
        self.params: dict[str, object] = params

    @property
    def key(self) -> str:
        """Return the catalogue key of the message that explains this refusal."""
        return f"image.{self.reason}"


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """An accepted image: its real type, dimensions in pixels and size in bytes."""

    mime: str
    width: int
    height: int
    size: int


def normalize_content_type(content_type: str | None) -> str | None:
    """Return the bare, lower-case media type (``image/jpeg; x=y`` → ``image/jpeg``), or None."""
    if content_type is None:
        return None
    bare = content_type.split(";", 1)[0].strip().lower()
    if not bare:
        return None
    return _TYPE_ALIASES.get(bare, bare)


def type_label(mime: str) -> str:
    """Return a short human name for a media type (``image/gif`` → ``GIF``)."""
    return TYPE_LABELS.get(mime, mime)


def megabytes(size: int) -> float:
    """Return ``size`` bytes in MiB, rounded to one decimal, for messages."""
    return round(size / (1024 * 1024), 1)


def validate_attachment_metadata(
    content_type: str | None, size: int, width: int | None, height: int | None, *, max_bytes: int
) -> None:
    """Check what Discord reports about an attachment, before anything is downloaded.

    A missing content type is let through here (embed images have none); ``validate_image_bytes``
    then requires one, taken from the attachment or from the download's ``Content-Type``.
    """
    if size <= 0:
        raise ImageRejected(RejectReason.EMPTY)
    mime = normalize_content_type(content_type)
    if mime is not None:
        _check_declared_type(mime)
    _check_size(size, max_bytes)
    if width is None or height is None or width <= 0 or height <= 0:
        raise ImageRejected(RejectReason.MISSING_DIMENSIONS)
    _check_dimensions(width, height)


def validate_image_bytes(data: bytes, declared_content_type: str | None, *, max_bytes: int) -> ImageInfo:
    """Check downloaded image bytes against the declared type and every limit.

    Only the header is parsed; no pixel data is decoded, so a decompression bomb costs nothing.
    """
    if not data:
        raise ImageRejected(RejectReason.EMPTY)
    _check_size(len(data), max_bytes)
    declared = normalize_content_type(declared_content_type)
    if declared is None:
        raise ImageRejected(RejectReason.UNKNOWN_TYPE)
    _check_declared_type(declared)
    found = sniff_type(data)
    if found != declared:
        raise ImageRejected(
            RejectReason.TYPE_MISMATCH,
            declared=type_label(declared),
            found=type_label(found) if found else "unknown",
        )
    width, height = _read_dimensions(declared, data)
    return ImageInfo(mime=declared, width=width, height=height, size=len(data))


def to_data_uri(data: bytes, mime: str) -> str:
    """Return the image as a base64 data URI, the form the provider accepts for an inline image."""
    if mime not in ACCEPTED_TYPES:
        raise ValueError(f"not an accepted image type: {mime}")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def sniff_type(data: bytes) -> str | None:
    """Return the media type the first bytes show, for accepted types and common refused ones."""
    head = data[:32]
    signatures: tuple[tuple[bool, str], ...] = (
        (head.startswith(b"\x89PNG\r\n\x1a\n"), PNG),
        (head.startswith(b"\xff\xd8\xff"), JPEG),
        (head.startswith(b"RIFF") and head[8:12] == b"WEBP", WEBP),
        (head.startswith((b"GIF87a", b"GIF89a")), "image/gif"),
        (head.startswith(b"BM"), "image/bmp"),
        (head.startswith((b"II*\x00", b"MM\x00*")), "image/tiff"),
        (head.startswith(b"%PDF"), "application/pdf"),
        (head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1"), "image/heic"),
        (head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"), "image/avif"),
        (b"<svg" in data[:1024].lower(), "image/svg+xml"),
    )
    return next((mime for matched, mime in signatures if matched), None)


def _check_declared_type(mime: str) -> None:
    if mime not in ACCEPTED_TYPES:
        raise ImageRejected(RejectReason.UNSUPPORTED_TYPE, found=type_label(mime))


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageRejected(RejectReason.TOO_LARGE, size_mb=megabytes(size), limit_mb=megabytes(max_bytes))


def _check_dimensions(width: int, height: int) -> None:
    if width < MIN_SIDE or height < MIN_SIDE:
        raise ImageRejected(RejectReason.TOO_SMALL, width=width, height=height, min_side=MIN_SIDE)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageRejected(RejectReason.TOO_BIG_DIMENSIONS, width=width, height=height, max_side=MAX_SIDE)


# Each format's ImageFile class is built directly rather than through Image.open: it reads only the
# header, and skipping Image.open's pixel-count warning lets our far stricter side limit decide.
_OPENERS: dict[str, Callable[[BytesIO], ImageFile.ImageFile]] = {
    PNG: PngImagePlugin.PngImageFile,
    JPEG: JpegImagePlugin.JpegImageFile,
    WEBP: WebPImagePlugin.WebPImageFile,
}


def _read_dimensions(mime: str, data: bytes) -> tuple[int, int]:
    """Parse the header with Pillow, check the sides, then check the file is not cut short."""
    if mime == WEBP:
        # Pillow's WebP decoder allocates the whole canvas when it opens a file, so the sides are
        # checked from the RIFF header first.
        canvas = webp_canvas_size(data)
        if canvas is None:
            raise ImageRejected(RejectReason.UNREADABLE)
        _check_dimensions(*canvas)
    buffer = BytesIO(data)
    try:
        with _OPENERS[mime](buffer) as image:
            width, height = image.size
    except (OSError, SyntaxError, ValueError, EOFError, IndexError) as exc:
        raise ImageRejected(RejectReason.UNREADABLE) from exc
    if width <= 0 or height <= 0:
        raise ImageRejected(RejectReason.MISSING_DIMENSIONS)
    _check_dimensions(width, height)
    if not _is_complete(mime, data, header_end=buffer.tell()):
        raise ImageRejected(RejectReason.TRUNCATED)
    return width, height


def webp_canvas_size(data: bytes) -> tuple[int, int] | None:
    """Return the canvas size written in a WebP file's first chunk, or None if it is not there."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        return width, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _is_complete(mime: str, data: bytes, *, header_end: int) -> bool:
    """Return True if the file's end marker is present after the header Pillow read."""
    if mime == PNG:
        return data.rfind(_PNG_END) >= header_end
    if mime == JPEG:
        # Inside entropy-coded data 0xFF is always stuffed, so FFD9 after the main scan header can
        # only be the end-of-image marker (EXIF thumbnails sit before that header).
        return data.rfind(_JPEG_END) >= header_end
    riff_size = int.from_bytes(data[4:8], "little")
    return riff_size + 8 <= len(data)
