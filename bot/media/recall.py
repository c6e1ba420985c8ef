"""Recalling a finished job (``/show``) without Discord: who may, where its clips are, its re-posts.

A job exists for a member only if they can see its channel: anyone else is answered like an id that
does not exist, so ids cannot be probed. Only the requester or a moderator (Manage Messages in the
job's own channel) may re-post it, and once someone other than the bot deleted its card (or a
re-post of it), only a moderator may bring it back.

A re-post's buttons act on the job like its card's. Where a click may come from is checked by
``cogs.buttons``. This module keeps, in the store's meta table, which messages are re-posts of which
job (``repost:<message id>`` -> ``<guild id>:<job id>``) and which jobs had a card removed
(``card_removed:<job id>`` -> the message id), so both survive a restart without a schema change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import aiohttp

from bot.checks import Refusal
from bot.image_hosts import ImageHostPolicy
from bot.media.archive import ClipArchive
from bot.media.delivery import MAX_SOURCE_BYTES, ClipFile, DeliveryError, DownloadedClip, download_clip
from bot.models import Job, JobStatus, utcnow

log = logging.getLogger(__name__)

REPOST_PREFIX = "repost:"
REMOVED_PREFIX = "card_removed:"
# Clip downloads for /show at once in this process (delivery has its own): the archive is preferred.
SHOW_DOWNLOADS = 2
OWN_DELETIONS_KEPT = 1000
OWN_DELETION_MEMORY = dt.timedelta(minutes=10)


class RecallStore(Protocol):
    """The part of the job store /show reads and writes."""

    async def get_job(self, job_id: int) -> Job | None:
        """Return a job by id."""

    async def get_job_by_card(self, message_id: int) -> Job | None:
        """Return the job whose card is ``message_id``."""

    async def get_meta(self, key: str) -> str | None:
        """Return a meta value."""

    async def set_meta(self, key: str, value: str) -> None:
        """Store a meta value."""


@dataclass(frozen=True, slots=True)
class ChannelAccess:
    """What the member asking may do in a job's channel (the surface reads it from Discord's cache)."""

    can_view: bool
    can_moderate: bool  # Manage Messages there
    can_post: bool = False  # Send Messages there (Send Messages in Threads in a thread)


def job_in_guild(job: Job | None, job_id: int, guild_id: int | None) -> Job:
    """Return ``job`` if it belongs to ``guild_id``; else the same refusal as an id that does not exist."""
    if job is None or guild_id is None or job.guild_id != guild_id:
        raise Refusal("show.not_found", job_id=job_id)
    return job


def check_may_show(job: Job, user_id: int, access: ChannelAccess, *, removed: bool) -> None:
    """Raise the ``Refusal`` saying why a member may not re-post ``job``; return if they may.

    ``access`` is the member's in the job's own channel, ``removed`` whether a moderator deleted a
    card of the job. A channel the member cannot see hides the job entirely (``show.not_found``), and
    so does a private job (moderators included: issue 22); its requester is shown it privately
    (``shows_privately``) before this is asked.
    """
    if job.private:
        raise Refusal("show.not_found", job_id=job.id)  # its requester is shown it privately instead
    if not access.can_view:
        raise Refusal("show.not_found", job_id=job.id)
    if job.deleted:
        raise Refusal("delete.gone", job_id=job.id)
    if job.requester_id != user_id and not access.can_moderate:
        raise Refusal("show.not_yours", job_id=job.id)
    if removed and not access.can_moderate:
        raise Refusal("show.removed_by_moderator", job_id=job.id)


def shows_privately(job: Job, user_id: int) -> bool:
    """Return True when ``job`` is shown to ``user_id`` privately, its card and clips seen by them alone.

    A private job, or one started where the bot is not a member (``webhook_only``), is shown again only
    to its requester and only privately (issue 22): never re-posted, whoever asks.
    """
    return job.reaches_through_webhook and job.requester_id == user_id


def check_may_show_privately(job: Job) -> Job:
    """Return ``job`` (one ``shows_privately`` accepts) if it can be shown; ``delete.gone`` once deleted."""
    if job.deleted:
        raise Refusal("delete.gone", job_id=job.id)
    return job


def has_clips(job: Job) -> bool:
    """Return True when the job was delivered, so it has clips to show."""
    return job.status is JobStatus.DELIVERED and bool(job.clip_urls)


async def archived_clip(archive: ClipArchive, job: Job, index: int, folder: Path) -> ClipFile | None:
    """Return the clip ``index`` of ``job`` from the archive (read in place or into ``folder``), if kept."""
    path = await archive.get(job.id, index, folder)
    if path is None:
        return None
    size = (await asyncio.to_thread(path.stat)).st_size
    return ClipFile.downloaded(index, DownloadedClip(path=path, size=size, url=job.clip_urls[index]))


@dataclass(frozen=True, slots=True)
class ClipSource:
    """Where /show takes a job's clips from: the archive, else Discord's copy, else the provider.

    Discord's copy is the file the bot posted with the card (or in a reply to it); its attachment URL
    is signed and expires, so the caller reads it afresh from Discord for each /show (``posted``,
    clip index -> URL). Only a URL ``discord_hosts`` allows is fetched. Downloads share ``slots``.
    """

    http: aiohttp.ClientSession
    archive: ClipArchive
    slots: asyncio.Semaphore
    discord_hosts: ImageHostPolicy | None = None

    async def clip(
        self, job: Job, index: int, folder: Path, limit: int, posted: Mapping[int, str] | None = None
    ) -> ClipFile:
        """Return clip ``index``: archived when kept, else streamed into ``folder`` (size-capped)."""
        kept = await archived_clip(self.archive, job, index, folder)
        return kept or await self.downloaded(job, index, folder, limit, posted)

    async def downloaded(
        self, job: Job, index: int, folder: Path, limit: int, posted: Mapping[int, str] | None = None
    ) -> ClipFile:
        """Return clip ``index`` streamed into ``folder``: Discord's copy (``posted``), else the provider's.

        A URL of ``posted`` is fetched only when ``discord_hosts`` allows it, and its redirects are
        not followed (they could lead anywhere).
        """
        on_discord = (posted or {}).get(index)
        hosts = self.discord_hosts
        if on_discord is not None and hosts is not None and hosts.allows(on_discord):
            target = folder / f"{index}.posted.mp4"
            copy = await self._download(job, index, on_discord, target, limit, follow_redirects=False)
            if copy.path is not None:
                return replace(copy, url=job.clip_urls[index])
        return await self._download(job, index, job.clip_urls[index], folder / f"{index}.mp4", limit)

    async def _download(
        self, job: Job, index: int, url: str, target: Path, limit: int, *, follow_redirects: bool = True
    ) -> ClipFile:
        cap = max(limit, MAX_SOURCE_BYTES)
        async with self.slots:
            try:
                clip = await download_clip(
                    self.http, url, target, max_bytes=cap, follow_redirects=follow_redirects
                )
            except DeliveryError as exc:
                log.info("/show of job %s: clip %d not downloaded: %s", job.id, index + 1, exc)
                return ClipFile.refused(index, job.clip_urls[index], exc)
        return ClipFile.downloaded(index, clip)


async def record_repost(store: RecallStore, message_id: int, job: Job) -> None:
    """Remember that ``message_id`` re-posts ``job``, so its buttons act on the job."""
    await store.set_meta(f"{REPOST_PREFIX}{message_id}", f"{job.guild_id}:{job.id}")


async def is_repost(store: RecallStore, message_id: int, job: Job) -> bool:
    """Return True if ``message_id`` is a re-post of ``job`` made in the job's own server."""
    return await store.get_meta(f"{REPOST_PREFIX}{message_id}") == f"{job.guild_id}:{job.id}"


async def job_of_message(store: RecallStore, message_id: int) -> Job | None:
    """Return the job whose card, or a re-post of it, is ``message_id``; None for any other message."""
    repost = await store.get_meta(f"{REPOST_PREFIX}{message_id}")
    if repost is not None:
        _, _, job_id = repost.partition(":")
        return await store.get_job(int(job_id)) if job_id.isdecimal() else None
    return await store.get_job_by_card(message_id)


async def record_removal(store: RecallStore, job: Job, message_id: int) -> None:
    """Remember that someone other than the bot deleted ``message_id``, a card of ``job``."""
    await store.set_meta(f"{REMOVED_PREFIX}{job.id}", str(message_id))


async def was_removed(store: RecallStore, job: Job) -> bool:
    """Return True if a card of ``job`` was deleted by someone else and no moderator brought it back."""
    return bool(await store.get_meta(f"{REMOVED_PREFIX}{job.id}"))


async def clear_removal(store: RecallStore, job: Job) -> None:
    """Forget a removal once a moderator brought the job back (an empty value reads as none)."""
    if await was_removed(store, job):
        await store.set_meta(f"{REMOVED_PREFIX}{job.id}", "")


class OwnDeletions:
    """The messages this process deleted itself lately, so their MESSAGE_DELETE is not a moderator's.

    Bounded in number and age: an entry is dropped when its event arrives, or after a while.
    """

    def __init__(self, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._clock = clock
        self._deleted: OrderedDict[int, dt.datetime] = OrderedDict()

    def expect(self, message_id: int) -> None:
        """Note that the bot is about to delete ``message_id``."""
        self._deleted[message_id] = self._clock()
        self._deleted.move_to_end(message_id)
        while len(self._deleted) > OWN_DELETIONS_KEPT:
            self._deleted.popitem(last=False)

    def was_ours(self, message_id: int) -> bool:
        """Return True (once) if the bot deleted ``message_id`` itself within the last minutes."""
        at = self._deleted.pop(message_id, None)
        return at is not None and self._clock() - at <= OWN_DELETION_MEMORY
