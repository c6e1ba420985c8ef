"""Downloading one clip: streamed to a file in small chunks, size-capped, retried, checked to be a video.

``download_clip`` never holds a whole clip in memory, refuses it past a byte cap, retries transient
failures with backoff, and checks it is a video: by the server's Content-Type when it names a kind,
and by the MP4 header. Re-exported by ``bot.media.delivery``, where the upload plan lives.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

import aiohttp
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

MIB = 1024 * 1024
CHUNK_SIZE = 64 * 1024
# Largest clip downloaded to be fitted under the limit: Midjourney clips are a few tens of MiB at most.
MAX_SOURCE_BYTES = 200 * MIB

_GONE_STATUSES = frozenset({403, 404, 410})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 522, 524})
# Types that say nothing about the content (or none at all): the bytes decide whether it is an MP4.
_UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/mp4"})


class UnavailableReason(StrEnum):
    """Why a clip could not be downloaded."""

    GONE = "gone"
    NOT_MP4 = "not_mp4"
    NOT_VIDEO = "not_video"
    FAILED = "failed"


class DeliveryError(Exception):
    """Base class of clip download failures."""


class ClipTooLarge(DeliveryError):  # noqa: N818 (name fixed by the module contract)
    """The clip is over the byte cap; ``size`` is known when the server sent Content-Length."""

    def __init__(self, url: str, size: int | None, limit: int) -> None:
        super().__init__(f"clip over {limit} bytes" + (f" ({size} bytes)" if size is not None else ""))
        self.url = url
        self.size = size
        self.limit = limit


class ClipUnavailable(DeliveryError):  # noqa: N818 (name fixed by the module contract)
    """The clip is gone (404/410/expired), is not an MP4, or kept failing after retries."""

    def __init__(self, url: str, reason: UnavailableReason, detail: str) -> None:
        super().__init__(f"clip unavailable ({reason}): {detail}")
        self.url = url
        self.reason = reason
        self.detail = detail


class _TransientStatus(Exception):  # noqa: N818 (internal retry signal, never escapes)
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


_TRANSIENT_ERRORS = (aiohttp.ClientError, TimeoutError, _TransientStatus)


@dataclass(frozen=True, slots=True)
class DownloadedClip:
    """A clip saved to ``path``, ``size`` bytes long, fetched from ``url``."""

    path: Path
    size: int
    url: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently transient download failures are retried."""

    attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    read_timeout: float = 60.0


async def download_clip(
    session: aiohttp.ClientSession,
    url: str,
    dest: Path,
    *,
    max_bytes: int,
    retry: RetryPolicy | None = None,
    follow_redirects: bool = True,
) -> DownloadedClip:
    """Stream the clip at ``url`` into ``dest`` and return what was saved.

    Raises ``ClipTooLarge`` past ``max_bytes`` (before reading when Content-Length says so) and
    ``ClipUnavailable`` for 403/404/410, a Content-Type that is not a video (an image, a page), a
    body that is not an MP4, or transient errors that outlast the retries. ``dest`` appears only once
    complete; nothing is left behind on failure. Without ``follow_redirects`` a redirect is a failure
    (a Discord link must not lead the bot anywhere else).
    """
    policy = retry or RetryPolicy()
    partial = dest.with_name(dest.name + ".part")
    try:
        size = await _fetch_with_retries(session, url, partial, max_bytes, policy, follow_redirects)
    except BaseException as exc:
        # Synchronous on purpose: the partial file must go even when the download is cancelled.
        partial.unlink(missing_ok=True)
        if isinstance(exc, _TRANSIENT_ERRORS):
            raise ClipUnavailable(url, UnavailableReason.FAILED, _describe(exc)) from exc
        raise
    await asyncio.to_thread(os.replace, partial, dest)
    return DownloadedClip(path=dest, size=size, url=url)


async def _fetch_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    partial: Path,
    max_bytes: int,
    policy: RetryPolicy,
    follow_redirects: bool,
) -> int:
    """Fetch the clip, retrying transient failures; the last one is re-raised when retries run out."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.backoff_base, max=policy.backoff_max),
        retry=retry_if_exception_type(_TRANSIENT_ERRORS),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await _fetch_once(session, url, partial, max_bytes, policy.read_timeout, follow_redirects)
    raise AssertionError("unreachable: tenacity either returns or re-raises")


async def _fetch_once(
    session: aiohttp.ClientSession,
    url: str,
    partial: Path,
    max_bytes: int,
    read_timeout: float,
    follow_redirects: bool,
) -> int:
    """Make one GET and stream its body into ``partial``; return the byte count."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=read_timeout, sock_read=read_timeout)
    async with session.get(url, timeout=timeout, allow_redirects=follow_redirects) as response:
        _check_status(url, response.status)
        _check_video_type(url, response.headers.get(aiohttp.hdrs.CONTENT_TYPE))
        if response.content_length is not None and response.content_length > max_bytes:
            raise ClipTooLarge(url, response.content_length, max_bytes)
        # Opened and closed in this thread so that a cancellation can never leak the handle; the
        # writes, which can stall on a slow disk, go to a worker thread.
        with _open_for_writing(partial) as handle:
            return await _stream_body(url, response, handle, max_bytes)


def _open_for_writing(path: Path) -> BinaryIO:
    return path.open("wb")


def _check_status(url: str, status: int) -> None:
    if status in _GONE_STATUSES:
        raise ClipUnavailable(url, UnavailableReason.GONE, f"HTTP {status}")
    if status in _TRANSIENT_STATUSES:
        raise _TransientStatus(status)
    if status != 200:
        raise ClipUnavailable(url, UnavailableReason.FAILED, f"HTTP {status}")


async def _stream_body(url: str, response: aiohttp.ClientResponse, handle: BinaryIO, max_bytes: int) -> int:
    """Copy the body chunk by chunk, checking the MP4 header first and the cap as it grows."""
    written = 0
    head = b""
    async for chunk in response.content.iter_chunked(CHUNK_SIZE):
        written += len(chunk)
        if written > max_bytes:
            raise ClipTooLarge(url, None, max_bytes)
        if len(head) < 8:
            head += chunk[: 8 - len(head)]
            if len(head) == 8:
                _check_mp4(url, head)
        await asyncio.to_thread(handle.write, chunk)
    if len(head) < 8:
        raise ClipUnavailable(url, UnavailableReason.NOT_MP4, f"only {written} bytes")
    return written


def _check_video_type(url: str, header: str | None) -> None:
    """Refuse a response whose server says it is something else than a video (``image/png``, say).

    A task's ``imageUrl`` stands in for its clip when it has no video field, and it is a video only
    when its server says so (new-api's ``/mj/image/{id}`` relay passes the upstream's type on, and
    says ``image/jpeg`` when the upstream gave none). A HEAD cannot ask first: the relay answers GET
    only. So the check rides on the download itself, costing no request.
    """
    media_type = (header or "").partition(";")[0].strip().lower()
    if not media_type.startswith("video/") and media_type not in _UNTYPED:
        raise ClipUnavailable(url, UnavailableReason.NOT_VIDEO, f"the server sent {media_type}")


def _check_mp4(url: str, head: bytes) -> None:
    """Refuse a body that lacks the ``ftyp`` box every ISO media file has at offset 4."""
    if head[4:8] != b"ftyp":
        raise ClipUnavailable(url, UnavailableReason.NOT_MP4, "no ftyp box at offset 4")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
