"""Gateway transport encodings: zlib-stream, zstd-stream, or plain text frames."""

from __future__ import annotations

import zlib
from typing import Protocol

import zstandard


class FrameEncoder(Protocol):
    """Turns one gateway message into exactly one websocket frame."""

    mode: str

    def encode(self, text: str) -> str | bytes:
        """Encode one JSON message."""
        ...


class TextEncoder:
    """Plain JSON text frames (what the client gets when it asks for no compression)."""

    mode = "text"

    def encode(self, text: str) -> str:
        """Return the text unchanged."""
        return text


class ZlibStreamEncoder:
    """One zlib stream per connection; every message ends with a Z_SYNC_FLUSH (``00 00 ff ff``)."""

    mode = "zlib-stream"

    def __init__(self) -> None:
        self._compressor = zlib.compressobj()

    def encode(self, text: str) -> bytes:
        """Compress and sync-flush one message."""
        return self._compressor.compress(text.encode()) + self._compressor.flush(zlib.Z_SYNC_FLUSH)


class ZstdStreamEncoder:
    """One zstd stream per connection; every message is flushed as a block, never ending the frame."""

    mode = "zstd-stream"

    def __init__(self) -> None:
        self._compressor = zstandard.ZstdCompressor().compressobj()

    def encode(self, text: str) -> bytes:
        """Compress and block-flush one message."""
        data = self._compressor.compress(text.encode())
        return data + self._compressor.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


def encoder_for(compress: str | None, *, honour_compression: bool) -> FrameEncoder:
    """Pick the encoder the client asked for in ``?compress=`` (text when told to ignore it)."""
    if honour_compression and compress == "zlib-stream":
        return ZlibStreamEncoder()
    if honour_compression and compress == "zstd-stream":
        return ZstdStreamEncoder()
    return TextEncoder()
