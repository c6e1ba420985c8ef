"""Clip delivery without Discord: streamed, size-capped download, the upload plan and the archive.

``download_clip`` streams a clip to a file in small chunks (never the whole clip in memory),
refuses it past a byte cap, retries transient failures with backoff and checks it is an MP4.
``plan_uploads`` decides which clips go as attachments, in which messages, and which go as links.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import aiohttp
from tenacity import (
    AsyncRetrying,
    before_sleep_log,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from bot.delivery_notes import LINKS_EXPIRE, Note, ReducedClip

if TYPE_CHECKING:
    from bot.models import Job

log = logging.getLogger(__name__)

MIB = 1024 * 1024
DEFAULT_FILE_LIMIT = 10 * MIB
REQUEST_LIMIT = 25 * MIB
# Room left in each request for the JSON payload and multipart framing next to the files.
PAYLOAD_MARGIN = 256 * 1024
MAX_FILES_PER_MESSAGE = 10
CHUNK_SIZE = 64 * 1024
# Largest clip downloaded to be fitted under the limit: Midjourney clips are a few tens of MiB at most.
MAX_SOURCE_BYTES = 200 * MIB

_BOOST_TIER_LIMITS = {2: 50 * MIB, 3: 100 * MIB}
_GONE_STATUSES = frozenset({403, 404, 410})
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 522, 524})


class UnavailableReason(StrEnum):
    """Why a clip could not be downloaded."""

    GONE = "gone"
    NOT_MP4 = "not_mp4"
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
) -> DownloadedClip:
    """Stream the clip at ``url`` into ``dest`` and return what was saved.

    Raises ``ClipTooLarge`` past ``max_bytes`` (before reading when Content-Length says so) and
    ``ClipUnavailable`` for 403/404/410, a body that is not an MP4, or transient errors that
    outlast the retries. ``dest`` appears only once complete; nothing is left behind on failure.
    """
    policy = retry or RetryPolicy()
    partial = dest.with_name(dest.name + ".part")
    try:
        size = await _fetch_with_retries(session, url, partial, max_bytes, policy)
    except BaseException as exc:
        # Synchronous on purpose: the partial file must go even when the download is cancelled.
        partial.unlink(missing_ok=True)
        if isinstance(exc, _TRANSIENT_ERRORS):
            raise ClipUnavailable(url, UnavailableReason.FAILED, _describe(exc)) from exc
        raise
    await asyncio.to_thread(os.replace, partial, dest)
    return DownloadedClip(path=dest, size=size, url=url)


async def _fetch_with_retries(
    session: aiohttp.ClientSession, url: str, partial: Path, max_bytes: int, policy: RetryPolicy
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
            return await _fetch_once(session, url, partial, max_bytes, policy.read_timeout)
    raise AssertionError("unreachable: tenacity either returns or re-raises")


async def _fetch_once(
    session: aiohttp.ClientSession, url: str, partial: Path, max_bytes: int, read_timeout: float
) -> int:
    """Make one GET and stream its body into ``partial``; return the byte count."""
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=read_timeout, sock_read=read_timeout)
    async with session.get(url, timeout=timeout) as response:
        _check_status(url, response.status)
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


def _check_mp4(url: str, head: bytes) -> None:
    """Refuse a body that lacks the ``ftyp`` box every ISO media file has at offset 4."""
    if head[4:8] != b"ftyp":
        raise ClipUnavailable(url, UnavailableReason.NOT_MP4, "no ftyp box at offset 4")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def guild_upload_limit(premium_tier: int) -> int:
    """Return the per-file upload limit of a server at a boost tier (10 MiB, 50 MiB or 100 MiB)."""
    return _BOOST_TIER_LIMITS.get(premium_tier, DEFAULT_FILE_LIMIT)


def job_upload_limit(job: Job, guild_limit: int, now: dt.datetime) -> int:
    """Return the per-file limit for a job's uploads at ``now``.

    The limit of the interaction that made the job (boosts, Nitro) while its token lives, since the
    card is then edited through that interaction; ``guild_limit`` after, and for reaction jobs.
    """
    alive = job.token_expires_at is not None and job.token_expires_at > now
    if job.attachment_size_limit is not None and alive:
        return job.attachment_size_limit
    return guild_limit


def attachable_size(per_file_limit: int) -> int:
    """Return the largest file that can be attached: the per-file limit, or one request's budget."""
    return min(per_file_limit, REQUEST_LIMIT - PAYLOAD_MARGIN)


class LinkReason(StrEnum):
    """Why a clip is delivered as a link rather than a file; the tail of ``delivery.<value>``."""

    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class ClipFile:
    """One clip to deliver: its 0-based ``index``, source ``url`` and, when downloaded, its file.

    ``path`` is None for a clip that was not downloaded; ``failure`` then says why (a clip refused
    as too large keeps its ``size`` when the server told it).
    """

    index: int
    url: str
    size: int | None = None
    path: Path | None = None
    failure: LinkReason | None = None
    original: Path | None = None
    original_size: int | None = None

    @property
    def reduced(self) -> bool:
        """Return True when ``path`` is a smaller re-encode of the original, not the original itself."""
        return self.original_size is not None and self.path is not None

    @property
    def full_quality(self) -> Path | None:
        """Return the file with the provider's bytes (what the archive keeps), if one was downloaded."""
        return self.original or self.path

    def fitted(self, path: Path, size: int) -> ClipFile:
        """Return this downloaded clip replaced by its re-encode at ``path`` (``size`` bytes)."""
        return replace(self, path=path, size=size, original=self.path, original_size=self.size)

    def unfitted(self) -> ClipFile:
        """Return this downloaded clip as one to link: it is over the limit and could not be fitted."""
        return replace(self, path=None, original=self.path, failure=LinkReason.TOO_LARGE)

    @classmethod
    def downloaded(cls, index: int, clip: DownloadedClip) -> ClipFile:
        """Return a clip that was saved to disk."""
        return cls(index=index, url=clip.url, size=clip.size, path=clip.path)

    @classmethod
    def refused(cls, index: int, url: str, error: DeliveryError) -> ClipFile:
        """Return a clip that could not be downloaded (its size kept when the server told it)."""
        if isinstance(error, ClipTooLarge):
            return cls(index=index, url=url, size=error.size, failure=LinkReason.TOO_LARGE)
        return cls(index=index, url=url, failure=LinkReason.UNAVAILABLE)


@dataclass(frozen=True, slots=True)
class LinkedClip:
    """A clip sent as a link: why, and for TOO_LARGE the size (if known) and the limit it broke."""

    clip: ClipFile
    reason: LinkReason
    limit: int

    @property
    def key(self) -> str:
        """Return the catalogue key of the note that explains the link."""
        if self.reason is LinkReason.UNAVAILABLE:
            return "delivery.unavailable"
        return "delivery.too_large" if self.clip.size is not None else "delivery.too_large_no_size"

    @property
    def params(self) -> dict[str, object]:
        """Return the ``delivery.<reason>`` message parameters (1-based clip number, sizes in MiB)."""
        params: dict[str, object] = {"clip": self.clip.index + 1, "limit_mb": round(self.limit / MIB, 1)}
        if self.clip.size is not None:
            params["size_mb"] = round(self.clip.size / MIB, 1)
        return params


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """Attachment batches (one message each, in clip order) and the clips to send as links."""

    messages: tuple[tuple[ClipFile, ...], ...]
    links: tuple[LinkedClip, ...]
    limit: int = DEFAULT_FILE_LIMIT

    @property
    def notes(self) -> tuple[Note, ...]:
        """Return the card's notes: each link's reason, each reduced clip, then that links expire."""
        reduced = sorted(
            (clip for batch in self.messages for clip in batch if clip.reduced), key=lambda c: c.index
        )
        notes: list[Note] = [*self.links]
        notes += [ReducedClip(clip.index, clip.original_size or 0, self.limit) for clip in reduced]
        if self.links:
            notes.append(LINKS_EXPIRE)
        return tuple(notes)


def plan_uploads(
    clips: Sequence[ClipFile],
    *,
    per_file_limit: int,
    request_limit: int = REQUEST_LIMIT,
    max_files_per_message: int = MAX_FILES_PER_MESSAGE,
    payload_margin: int = PAYLOAD_MARGIN,
) -> UploadPlan:
    """Split clips into messages of attachments that respect Discord's limits, the rest as links.

    A clip is attached when it was downloaded and fits both the per-file limit and one request's
    budget (``request_limit - payload_margin``). Clips keep their order; a message is closed when
    the next clip would break its byte budget or its file count.
    """
    budget = request_limit - payload_margin
    file_limit = min(per_file_limit, budget)  # attachable_size with the defaults
    messages: list[list[ClipFile]] = []
    links: list[LinkedClip] = []
    batch_bytes = 0
    for clip in sorted(clips, key=lambda item: item.index):
        link_reason = _link_reason(clip, file_limit)
        if link_reason is not None:
            links.append(LinkedClip(clip=clip, reason=link_reason, limit=file_limit))
            continue
        size = clip.size or 0  # never None here: _link_reason refuses a file without a size
        if not messages or len(messages[-1]) >= max_files_per_message or batch_bytes + size > budget:
            messages.append([])
            batch_bytes = 0
        messages[-1].append(clip)
        batch_bytes += size
    return UploadPlan(
        messages=tuple(tuple(batch) for batch in messages), links=tuple(links), limit=file_limit
    )


def _link_reason(clip: ClipFile, file_limit: int) -> LinkReason | None:
    """Return why the clip cannot be attached, or None if it can."""
    if clip.path is None:
        return clip.failure or LinkReason.UNAVAILABLE
    if clip.size is None:
        raise ValueError(f"clip {clip.index} has a file but no size")
    return LinkReason.TOO_LARGE if clip.size > file_limit else None


def archive_clip(path: Path, archive_dir: Path, job_id: int, index: int) -> Path:
    """Copy a clip to ``archive_dir/<job_id>/<index>.mp4`` atomically and return the new path.

    Blocking file I/O: call it through ``asyncio.to_thread`` from async code.
    """
    folder = archive_dir / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{index}.mp4"
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{index}.", suffix=".part")
    os.close(descriptor)
    try:
        shutil.copyfile(path, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target
