"""Recalling a finished job (``/show``) without Discord: who may, where its clips are, its re-posts.

A re-post's buttons act on the job like its card's. Where a click may come from is checked by
``cogs.buttons``; this module remembers which messages are re-posts of which job, in the store's
meta table (``repost:<message id>`` -> ``<guild id>:<job id>``), so their buttons stay live after a
restart without a schema change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.delivery import ClipFile, DownloadedClip
from bot.intake_records import Refusal
from bot.models import Job, JobStatus

REPOST_PREFIX = "repost:"


class MetaStore(Protocol):
    """The part of the job store that keeps re-posts."""

    async def get_meta(self, key: str) -> str | None:
        """Return a meta value."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store a meta value."""


def check_may_show(job: Job | None, job_id: int, guild_id: int | None, user_id: int, moderator: bool) -> Job:
    """Return the job a member may re-post in ``guild_id``, else raise the ``Refusal`` saying why.

    A job of another server gets the same answer as an id that does not exist, so an id learns
    nothing about other servers. Only the requester or a member with Manage Messages may re-post.
    """
    if job is None or guild_id is None or job.guild_id != guild_id:
        raise Refusal("show.not_found", job_id=job_id)
    if job.requester_id != user_id and not moderator:
        raise Refusal("show.not_yours", job_id=job_id)
    return job


def has_clips(job: Job) -> bool:
    """Return True when the job was delivered, so it has clips to show."""
    return job.status is JobStatus.DELIVERED and bool(job.clip_urls)


def archived_clip(archive_dir: Path | None, job: Job, index: int) -> ClipFile | None:
    """Return the clip ``index`` of ``job`` from the archive (``<dir>/<job id>/<index>.mp4``), if kept.

    Blocking file I/O: call it through ``asyncio.to_thread`` from async code.
    """
    if archive_dir is None:
        return None
    path = archive_dir / str(job.id) / f"{index}.mp4"
    try:
        size = path.stat().st_size
    except OSError:
        return None
    return ClipFile.downloaded(index, DownloadedClip(path=path, size=size, url=job.clip_urls[index]))


async def record_repost(store: MetaStore, message_id: int, job: Job) -> None:
    """Remember that ``message_id`` re-posts ``job``, so its buttons act on the job."""
    await store.set_meta(f"{REPOST_PREFIX}{message_id}", f"{job.guild_id}:{job.id}")


async def is_repost(store: MetaStore, message_id: int, job: Job) -> bool:
    """Return True if ``message_id`` is a re-post of ``job`` made in the job's own server."""
    return await store.get_meta(f"{REPOST_PREFIX}{message_id}") == f"{job.guild_id}:{job.id}"
