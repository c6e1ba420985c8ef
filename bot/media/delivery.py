"""Clip delivery without Discord: the download (``bot.media.clip_download``), the upload plan and the archive.

``download_clip`` (re-exported here) streams a clip to a file, size-capped and retried, and checks it
is a video. ``plan_uploads`` decides which clips go as attachments, in which messages, and which go as
links; a clip whose content is not a video goes nowhere.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from bot.media.clip_download import (
    CHUNK_SIZE,
    MAX_SOURCE_BYTES,
    MIB,
    ClipTooLarge,
    ClipUnavailable,
    DeliveryError,
    DownloadedClip,
    RetryPolicy,
    UnavailableReason,
    download_clip,
)
from bot.media.delivery_notes import LINKS_EXPIRE, LeftOutClip, Note, ReducedClip

if TYPE_CHECKING:
    from bot.models import Job

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_FILE_LIMIT",
    "MAX_FILES_PER_MESSAGE",
    "MAX_SOURCE_BYTES",
    "MIB",
    "NOT_A_VIDEO",
    "NO_VIDEO_REASON",
    "PAYLOAD_MARGIN",
    "REQUEST_LIMIT",
    "ClipFile",
    "ClipTooLarge",
    "ClipUnavailable",
    "DeliveryError",
    "DownloadedClip",
    "LinkReason",
    "LinkedClip",
    "RetryPolicy",
    "UnavailableReason",
    "UploadPlan",
    "archive_clip",
    "attachable_size",
    "delete_archived",
    "download_clip",
    "job_upload_limit",
    "plan_uploads",
]

DEFAULT_FILE_LIMIT = 10 * MIB
REQUEST_LIMIT = 25 * MIB
# Room left in each request for the JSON payload and multipart framing next to the files.
PAYLOAD_MARGIN = 256 * 1024
MAX_FILES_PER_MESSAGE = 10
# What the provider served instead of a video: never attached, never linked.
NOT_A_VIDEO = frozenset({UnavailableReason.NOT_VIDEO, UnavailableReason.NOT_MP4})
# Why a job fails when none of its clip URLs served a video (its imageUrl was an image, say).
NO_VIDEO_REASON = "the provider finished without any clip: what it sent is not a video"


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
    as too large keeps its ``size`` when the server told it). ``not_video`` marks a clip whose server
    sent something else than a video: it is left out of the card, never linked.
    """

    index: int
    url: str
    size: int | None = None
    path: Path | None = None
    failure: LinkReason | None = None
    original: Path | None = None
    original_size: int | None = None
    not_video: bool = False

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
        not_video = isinstance(error, ClipUnavailable) and error.reason in NOT_A_VIDEO
        return cls(index=index, url=url, failure=LinkReason.UNAVAILABLE, not_video=not_video)


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
    """Attachment batches (one message each, in clip order), links, and clips left out (not videos)."""

    messages: tuple[tuple[ClipFile, ...], ...]
    links: tuple[LinkedClip, ...]
    limit: int = DEFAULT_FILE_LIMIT
    left_out: tuple[ClipFile, ...] = ()

    @property
    def notes(self) -> tuple[Note, ...]:
        """Return the card's notes: clips left out, each link's reason, each reduced clip, links expire."""
        reduced = sorted(
            (clip for batch in self.messages for clip in batch if clip.reduced), key=lambda c: c.index
        )
        notes: list[Note] = [LeftOutClip(clip.index) for clip in self.left_out]
        notes += self.links
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
    the next clip would break its byte budget or its file count. A clip that is not a video is left
    out: its URL served something else (an image), and posting it would pass that off as a clip.
    """
    budget = request_limit - payload_margin
    file_limit = min(per_file_limit, budget)  # attachable_size with the defaults
    ordered = sorted(clips, key=lambda item: item.index)
    messages: list[list[ClipFile]] = []
    links: list[LinkedClip] = []
    batch_bytes = 0
    for clip in (clip for clip in ordered if not clip.not_video):
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
        messages=tuple(tuple(batch) for batch in messages),
        links=tuple(links),
        limit=file_limit,
        left_out=tuple(clip for clip in ordered if clip.not_video),
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


def delete_archived(archive_dir: Path, job_id: int) -> bool:
    """Remove every archived clip of ``job_id`` (its folder); return False when none was kept.

    Blocking file I/O: call it through ``asyncio.to_thread`` from async code.
    """
    try:
        shutil.rmtree(archive_dir / str(job_id))
    except FileNotFoundError:
        return False
    return True
