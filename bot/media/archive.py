"""The clip archive (``CLIP_ARCHIVE``): a copy of every delivered clip, in a folder or an S3 bucket.

One interface per job: ``put`` a clip, ``get`` it back into a folder, ``delete`` every clip of a job,
and ``check`` (for ``doctor``) that the archive can be reached. A clip is kept under
``<job id>/<index>.mp4`` (the folder's files, the bucket's keys after its prefix), so every process of
one bot, on any machine, finds the clips any other kept: job ids come from the one shared store.
``NoArchive`` stands in when none is set. The S3 archive is in ``bot.media.s3_archive``, the choice
between them in ``bot.media.archives``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol


class ArchiveError(Exception):
    """The archive could not be reached or written; the message says what to fix."""


class ClipArchive(Protocol):
    """Where delivered clips are kept, shared by every process of the bot."""

    def __str__(self) -> str:
        """Return where the archive is, with no secret (a folder, or ``s3://bucket/prefix``)."""

    async def put(self, job_id: int, index: int, source: Path) -> None:
        """Keep the file ``source`` as clip ``index`` (from 0) of job ``job_id``; ``ArchiveError`` if not."""

    async def get(self, job_id: int, index: int, folder: Path) -> Path | None:
        """Return a file holding the kept clip (in ``folder`` or the archive's own), None if not kept.

        An archive that cannot be reached answers None (logged): the caller has other sources.
        """

    async def delete(self, job_id: int) -> int:
        """Remove every kept clip of job ``job_id``; return how many there were. ``ArchiveError`` if not."""

    async def check(self) -> str:
        """Return how the archive was found (for ``doctor``), changing nothing; else ``ArchiveError``."""

    async def close(self) -> None:
        """Release what the archive holds open."""


class NoArchive:
    """No archive (``CLIP_ARCHIVE`` empty): nothing is kept, nothing is found."""

    def __str__(self) -> str:
        return "no archive"

    async def put(self, job_id: int, index: int, source: Path) -> None:
        """Keep nothing."""

    async def get(self, job_id: int, index: int, folder: Path) -> Path | None:
        """Find nothing."""
        return None

    async def delete(self, job_id: int) -> int:
        """Remove nothing."""
        return 0

    async def check(self) -> str:
        """Say that no clips are kept."""
        return "off: no copies of the clips are kept"

    async def close(self) -> None:
        """Hold nothing."""


class FolderArchive:
    """Clips kept as files ``<root>/<job id>/<index>.mp4`` (a folder several processes may share)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __str__(self) -> str:
        return str(self.root)

    async def put(self, job_id: int, index: int, source: Path) -> None:
        """Copy ``source`` into the folder atomically (no reader ever sees half a clip)."""
        try:
            await asyncio.to_thread(_copy_atomically, source, self.root / str(job_id), f"{index}.mp4")
        except OSError as exc:
            raise ArchiveError(f"clip {index + 1} of job {job_id} not kept in {self.root}: {exc}") from exc

    async def get(self, job_id: int, index: int, folder: Path) -> Path | None:
        """Return the kept file itself (read in place, never changed by the caller)."""
        path = self.root / str(job_id) / f"{index}.mp4"
        return path if await asyncio.to_thread(path.is_file) else None

    async def delete(self, job_id: int) -> int:
        """Remove the job's folder with its clips."""
        folder = self.root / str(job_id)
        try:
            return await asyncio.to_thread(_remove_folder, folder)
        except OSError as exc:
            raise ArchiveError(f"the clips of job {job_id} not removed from {self.root}: {exc}") from exc

    async def check(self) -> str:
        """Check the folder (or the nearest existing parent the bot would create it in) is writable."""
        problem = await asyncio.to_thread(folder_problem, self.root)
        if problem:
            raise ArchiveError(problem)
        exists = await asyncio.to_thread(self.root.is_dir)
        return "writable" if exists else "not created yet, the bot creates it at the first delivery"

    async def close(self) -> None:
        """Hold nothing."""


def folder_problem(root: Path) -> str:
    """Return why the bot could not keep clips in ``root`` (empty when it can), creating nothing."""
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        # The folder itself, or one it would be created under: no folder can be made there.
        return f"{existing} is a file; point CLIP_ARCHIVE at a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} cannot be written by this user; check its owner and permissions"
    return ""


def _copy_atomically(source: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(descriptor)
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target


def _remove_folder(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    count = sum(1 for path in folder.iterdir() if path.suffix == ".mp4")
    shutil.rmtree(folder)
    return count
