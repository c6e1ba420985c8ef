"""A job's clip files: downloaded from the provider or read from the archive, fitted under a limit.

Delivery, the "Post missing clips" button and ``/show`` get their clips here, so each fetches, caps
and fits them the same way; uploads are named ``motionbot-<job>-clip<n>.mp4``.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot.media import (
    MAX_SOURCE_BYTES,
    ArchiveError,
    ClipFile,
    ClipFitter,
    DeliveryError,
    FitFailed,
    archived_clip,
    download_clip,
)
from bot.models import Job

if TYPE_CHECKING:
    from bot.client import Services

log = logging.getLogger(__name__)

DOWNLOAD_CONCURRENCY = 4


class ClipSource:
    """Fetches and fits clips (at most ``DOWNLOAD_CONCURRENCY`` downloads at once)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._downloads = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)
        settings = services.settings
        self.fitter = ClipFitter(
            concurrency=settings.max_concurrent_encodes, timeout=settings.fit_timeout_seconds
        )

    async def download_all(self, job: Job, folder: Path, limit: int) -> list[ClipFile]:
        """Download every clip from the provider (up to MAX_SOURCE_BYTES), fitted under ``limit``."""
        return await self.fetch(job, range(len(job.clip_urls)), folder, limit, archive=False)

    async def fetch(
        self, job: Job, indexes: Iterable[int], folder: Path, limit: int, *, archive: bool = True
    ) -> list[ClipFile]:
        """Return the clips ``indexes``: from the archive when it kept them, else from the provider.

        Each is fitted under ``limit``; one that cannot be had is a clip to link (``failure`` says why).
        """

        async def one(index: int) -> ClipFile:
            kept = await archived_clip(self.services.archive, job, index, folder) if archive else None
            clip = kept or await self._download(job, index, folder, limit)
            return await self.fit_clip(job, clip, limit, folder)

        return list(await asyncio.gather(*(one(index) for index in indexes)))

    async def _download(self, job: Job, index: int, folder: Path, limit: int) -> ClipFile:
        url = job.clip_urls[index]
        async with self._downloads:
            try:
                clip = await download_clip(
                    self.services.http, url, folder / f"{index}.mp4", max_bytes=max(limit, MAX_SOURCE_BYTES)
                )
            except DeliveryError as exc:
                log.info("job %s: clip %d will be linked: %s", job.id, index + 1, exc)
                return ClipFile.refused(index, url, exc)
        return ClipFile.downloaded(index, clip)

    async def fit_clip(self, job: Job, clip: ClipFile, limit: int, folder: Path) -> ClipFile:
        """Return the clip as it is when it fits ``limit``, else its re-encode, else a clip to link.

        The re-encode is written in ``folder`` (a job's temporary folder, never the archive).
        """
        if clip.path is None or clip.size is None or clip.size <= limit:
            return clip
        dest = folder / f"{clip.index}.fit.mp4"
        try:
            size = await self.fitter.fit(clip.path, dest, limit)
        except FitFailed as exc:
            log.warning(
                "job %s: clip %d could not be fitted, it will be linked: %s", job.id, clip.index + 1, exc
            )
            return clip.unfitted()
        log.info("job %s: clip %d fitted from %d to %d bytes", job.id, clip.index + 1, clip.size, size)
        return clip.fitted(dest, size)

    async def archive(self, job: Job, clips: Sequence[ClipFile]) -> None:
        """Keep the provider's bytes of each downloaded clip in ``CLIP_ARCHIVE`` (when set).

        A clip the archive refuses is logged, not raised: the job is delivered all the same, and
        /show still finds the clip on Discord.
        """
        for clip in clips:
            if clip.full_quality is not None:
                try:
                    await self.services.archive.put(job.id, clip.index, clip.full_quality)
                except ArchiveError as exc:
                    log.warning("job %s: %s", job.id, exc)


def clip_name(job: Job, index: int) -> str:
    """Return the file name of a job's clip (``index`` counts from 0)."""
    return f"motionbot-{job.id}-clip{index + 1}.mp4"


def clip_names(job: Job, clips: Sequence[ClipFile]) -> set[str]:
    """Return the file names of ``clips``."""
    return {clip_name(job, clip.index) for clip in clips}


def clip_file(job: Job, clip: ClipFile) -> discord.File:
    """Return a downloaded clip as an upload named after the job and clip number."""
    assert clip.path is not None
    return discord.File(clip.path, filename=clip_name(job, clip.index))


@asynccontextmanager
async def clip_folder(job: Job) -> AsyncIterator[Path]:
    """Yield a temporary folder for one job's clips; remove it afterwards."""
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"motionbot-{job.id}-"))
    try:
        yield folder
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
