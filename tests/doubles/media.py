"""Real, small media files made in memory: MP4 clips and PNG/JPEG/WebP images.

The MP4 is a genuine ISO base media file (``ftyp`` brand ``isom``, ``moov`` with one video track,
``mdat``) whose samples are JPEG frames (Motion JPEG, object type 0x6C), so ffprobe/ffmpeg read and
decode it. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct

from PIL import Image, ImageDraw

MP4_TIMESCALE = 1000
_IDENTITY_MATRIX = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def color_for(seed: str, salt: int = 0) -> tuple[int, int, int]:
    """Return an RGB colour derived from ``seed`` (and ``salt``), the same every time."""
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return digest[0], digest[1], digest[2]


def image_bytes(fmt: str = "PNG", *, width: int = 64, height: int = 64, seed: str = "image") -> bytes:
    """Return a real image file (PNG, JPEG, WEBP or GIF) with a seed-derived colour and stripe."""
    image = Image.new("RGB", (width, height), color_for(seed))
    ImageDraw.Draw(image).rectangle((0, 0, width // 3, height), fill=color_for(seed, 1))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def png_bytes(**kwargs: object) -> bytes:
    """Return a small real PNG."""
    return image_bytes("PNG", **kwargs)  # type: ignore[arg-type]


def jpeg_bytes(**kwargs: object) -> bytes:
    """Return a small real JPEG."""
    return image_bytes("JPEG", **kwargs)  # type: ignore[arg-type]


def webp_bytes(**kwargs: object) -> bytes:
    """Return a small real WebP."""
    return image_bytes("WEBP", **kwargs)  # type: ignore[arg-type]


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """Return ``data:<mime>;base64,...`` for ``data``."""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def mp4_bytes(
    seed: str,
    *,
    min_size: int = 0,
    width: int = 64,
    height: int = 64,
    frames: int = 4,
    seconds: float = 5.0,
) -> bytes:
    """Return a playable MP4 (Motion JPEG frames), padded with a ``free`` box to ``min_size`` bytes."""
    samples = [_frame(seed, index, width, height) for index in range(frames)]
    duration = round(seconds * MP4_TIMESCALE)
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    moov_size = len(_moov(samples, width, height, duration, chunk_offset=0))
    payload_size = sum(len(sample) for sample in samples)
    padding = _padding(min_size - (len(ftyp) + moov_size + 8 + payload_size))
    chunk_offset = len(ftyp) + moov_size + len(padding) + 8
    moov = _moov(samples, width, height, duration, chunk_offset=chunk_offset)
    return ftyp + moov + padding + _box(b"mdat", b"".join(samples))


def top_level_boxes(data: bytes) -> list[tuple[str, int]]:
    """Return the (type, size) of each top-level ISO box, raising ValueError on a broken layout."""
    boxes: list[tuple[str, int]] = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 8:
            raise ValueError(f"truncated box header at {offset}")
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size < 8 or offset + size > len(data):
            raise ValueError(f"bad box size {size} at {offset}")
        boxes.append((kind.decode("latin-1"), size))
        offset += size
    return boxes


def _frame(seed: str, index: int, width: int, height: int) -> bytes:
    """Return one JPEG frame: a seed colour with a bar that moves from frame to frame."""
    image = Image.new("RGB", (width, height), color_for(seed))
    left = (index * width // 4) % width
    ImageDraw.Draw(image).rectangle((left, 0, left + width // 4, height), fill=color_for(seed, index + 1))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _padding(missing: int) -> bytes:
    """Return a ``free`` box of at least ``missing`` bytes (nothing when none are missing)."""
    if missing <= 0:
        return b""
    return _box(b"free", bytes(max(0, missing - 8)))


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, payload: bytes, *, version: int = 0, flags: int = 0) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags) + payload)


def _moov(samples: list[bytes], width: int, height: int, duration: int, *, chunk_offset: int) -> bytes:
    mvhd = _full_box(
        b"mvhd",
        struct.pack(">IIIIiH", 0, 0, MP4_TIMESCALE, duration, 0x10000, 0x0100)
        + bytes(10)
        + _IDENTITY_MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    return _box(b"moov", mvhd + _trak(samples, width, height, duration, chunk_offset))


def _trak(samples: list[bytes], width: int, height: int, duration: int, chunk_offset: int) -> bytes:
    tkhd = _full_box(
        b"tkhd",
        struct.pack(">IIIII", 0, 0, 1, 0, duration)
        + bytes(8)
        + struct.pack(">hhhH", 0, 0, 0, 0)
        + _IDENTITY_MATRIX
        + struct.pack(">II", width << 16, height << 16),
        flags=0x7,
    )
    mdhd = _full_box(b"mdhd", struct.pack(">IIIIHH", 0, 0, MP4_TIMESCALE, duration, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", struct.pack(">I4s", 0, b"vide") + bytes(12) + b"VideoHandler\x00")
    minf = _box(b"minf", _vmhd_dinf() + _stbl(samples, width, height, duration, chunk_offset))
    return _box(b"trak", tkhd + _box(b"mdia", mdhd + hdlr + minf))


def _vmhd_dinf() -> bytes:
    vmhd = _full_box(b"vmhd", struct.pack(">HHHH", 0, 0, 0, 0), flags=1)
    dref = _full_box(b"dref", struct.pack(">I", 1) + _full_box(b"url ", b"", flags=1))
    return vmhd + _box(b"dinf", dref)


def _stbl(samples: list[bytes], width: int, height: int, duration: int, chunk_offset: int) -> bytes:
    count = len(samples)
    stsd = _full_box(b"stsd", struct.pack(">I", 1) + _mjpeg_sample_entry(width, height))
    stts = _full_box(b"stts", struct.pack(">III", 1, count, duration // max(count, 1)))
    stsc = _full_box(b"stsc", struct.pack(">IIII", 1, 1, count, 1))
    sizes = b"".join(struct.pack(">I", len(sample)) for sample in samples)
    stsz = _full_box(b"stsz", struct.pack(">II", 0, count) + sizes)
    stco = _full_box(b"stco", struct.pack(">II", 1, chunk_offset))
    return _box(b"stbl", stsd + stts + stsc + stsz + stco)


def _mjpeg_sample_entry(width: int, height: int) -> bytes:
    visual = (
        bytes(6)
        + struct.pack(">H", 1)
        + bytes(16)
        + struct.pack(">HHIIIH", width, height, 0x00480000, 0x00480000, 0, 1)
        + bytes(32)
        + struct.pack(">Hh", 0x0018, -1)
    )
    decoder_config = _descriptor(0x04, struct.pack(">BB3sII", 0x6C, 0x11, bytes(3), 0, 0))
    es = _descriptor(0x03, struct.pack(">HB", 1, 0) + decoder_config + _descriptor(0x06, b"\x02"))
    return _box(b"mp4v", visual + _full_box(b"esds", es))


def _descriptor(tag: int, payload: bytes) -> bytes:
    """Return an MPEG-4 descriptor with a one-byte length (payloads here stay under 128 bytes)."""
    return bytes([tag, len(payload)]) + payload
