"""Posts a finished job's clips: download, fit, the card edit with the first batch, replies with the rest.

``Cards`` hands each SUCCEEDED job here. The clips go on the job's card (a Components V2 gallery) and,
past one request's budget, in replies to it; a clip that cannot be attached is linked instead. A 413
shrinks the plan, other HTTP errors are retried a few times, and a job whose clips cannot be posted
is failed (not charged) with a private note to its requester.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import discord

from bot.delivery import (
    DEFAULT_FILE_LIMIT,
    MAX_SOURCE_BYTES,
    ClipFile,
    DeliveryError,
    UploadPlan,
    archive_clip,
    attachable_size,
    download_clip,
    job_upload_limit,
    plan_uploads,
)
from bot.fit import ClipFitter, FitFailed
from bot.logs import job_fields
from bot.models import FailureKind, Job, JobStatus, utcnow
from cogs.card_editor import CardUnavailable, reply_options
from cogs.card_layout import Card
from cogs.card_render import CardRenderer
from cogs.posted_files import posted_names

if TYPE_CHECKING:
    from bot.bot import MotionBot

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 3
DELIVERY_BACKOFF = 2.0
HTTP_TOO_LARGE = 413
DOWNLOAD_CONCURRENCY = 4
RECONCILE_LOOKBACK = 50


class CardOwner(Protocol):
    """What delivery needs from the cog that owns the cards (``cogs.cards.Cards``)."""

    def renderer(self, locale: str | None) -> CardRenderer:
        """Return a card renderer in the language of ``locale``."""
        ...

    async def show_card(self, job: Job, card: Card, files: Sequence[ClipFile] = ()) -> Job:
        """Make the job's card look like ``card`` with ``files`` attached; return the stored job."""
        ...

    async def direct_message(self, user_id: int, content: str) -> bool:
        """Send a DM to a member; return False when Discord refuses it."""
        ...


class ClipDelivery:
    """Delivers the clips of succeeded jobs (one call of ``deliver`` per job, under the card's lock)."""

    def __init__(self, bot: MotionBot, cards: CardOwner) -> None:
        self.bot = bot
        self.services = bot.services
        self.cards = cards
        self._downloads = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)
        settings = bot.services.settings
        self.fitter = ClipFitter(
            concurrency=settings.max_concurrent_encodes, timeout=settings.fit_timeout_seconds
        )
        # Jobs that finished before this instant were finished under an earlier process.
        self._started_at = utcnow()

    async def deliver(self, job: Job) -> None:
        """Post the clips of a SUCCEEDED job, then record it delivered (or failed, uncharged)."""
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"motionbot-{job.id}-"))
        try:
            clips = await self._download_all(job, folder, attachable_size(self.plan_limit(job)))
            posted = await self._posted_earlier(job)
            for attempt in range(1, DELIVERY_ATTEMPTS + 1):
                try:
                    plan = await self._post_clips(job, clips, posted)
                    break
                except (CardUnavailable, discord.Forbidden, discord.NotFound) as exc:
                    await self._undeliverable(job, exc)
                    return
                except discord.HTTPException as exc:
                    if attempt == DELIVERY_ATTEMPTS:
                        await self._undeliverable(job, exc)
                        return
                    log.warning("job %s: delivery attempt %d failed (%s); retrying", job.id, attempt, exc)
                    await asyncio.sleep(DELIVERY_BACKOFF * attempt)
            await self._archive(job, clips)
            await self.services.store.mark_delivered(job.id)
            attached = sum(len(batch) for batch in plan.messages)
            self.services.metrics.delivered("attachment", attached)
            self.services.metrics.delivered("link", len(plan.links))
            log.info(
                "job %s delivered (%d files, %d links)",
                job.id,
                attached,
                len(plan.links),
                extra=job_fields(job),
            )
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _post_clips(self, job: Job, clips: Sequence[ClipFile], posted: set[str]) -> UploadPlan:
        """Edit the card into its final state with the clips, shrinking the plan on a 413.

        ``posted`` names the clip files already on Discord (from an earlier attempt, or a process that
        stopped before recording the delivery); a batch of only those is not sent again, and every
        batch sent is added to it.
        """
        renderer = self.cards.renderer(job.locale)
        shown = replace(job, status=JobStatus.DELIVERED, delivered_at=utcnow())
        limit = self.plan_limit(job)
        while True:
            plan = plan_uploads(clips, per_file_limit=limit)
            first = plan.messages[0] if plan.messages else ()
            try:
                if not first or not clip_names(job, first) <= posted:
                    card = renderer.job(
                        shown, linked=plan.notes, gallery=[clip_name(job, clip.index) for clip in first]
                    )
                    job = await self.cards.show_card(job, card, first)
                    posted |= clip_names(job, first)
            except discord.HTTPException as exc:
                if exc.status != HTTP_TOO_LARGE or not first:
                    raise
                # Discord's limit here is lower than we were told: link the largest file instead.
                limit = max(clip.size or 0 for clip in first) - 1
                log.info("job %s: upload refused as too large; retrying with a %d-byte limit", job.id, limit)
                continue
            for batch in plan.messages[1:]:
                if not clip_names(job, batch) <= posted:
                    await self._post_more(job, batch, renderer.text("delivery.more_clips", job_id=job.id))
                    posted |= clip_names(job, batch)
            return plan

    async def _posted_earlier(self, job: Job) -> set[str]:
        """Return the job's clip files already on its card or in the bot's newest messages after it.

        Only asked for a job that finished under an earlier process: that process may have posted
        the clips and been killed before recording the delivery, and they must not be posted twice.
        """
        if job.card_message_id is None or job.finished_at is None or job.finished_at >= self._started_at:
            return set()
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        bot_id = self.bot.user.id if self.bot.user is not None else None
        try:
            card = await channel.fetch_message(job.card_message_id)
            recent = [message async for message in channel.history(limit=RECONCILE_LOOKBACK)]
        except discord.HTTPException as exc:
            log.info("job %s: cannot check for clips posted before the restart (%s)", job.id, exc)
            return set()
        later = [m for m in recent if m.id > card.id and m.author.id == bot_id]
        names = {clip_name(job, index) for index in range(len(job.clip_urls))}
        # Read from the card's gallery: Discord leaves the files a component shows out of attachments.
        return posted_names((card, *later)) & names

    async def _undeliverable(self, job: Job, exc: Exception) -> None:
        """Record that the clips cannot be posted (not charged) and tell the requester privately."""
        log.warning("job %s: clips could not be posted: %s", job.id, exc)
        await self.services.store.mark_failed(job.id, FailureKind.DELIVERY, str(exc)[:300])
        renderer = self.cards.renderer(job.locale)
        forbidden = isinstance(exc, CardUnavailable | discord.Forbidden)
        key = "error.missing_permissions_dm" if forbidden else "delivery.failed_dm"
        await self.cards.direct_message(
            job.requester_id, renderer.text(key, job_id=job.id, channel=f"<#{job.channel_id}>")
        )
        await self.services.store.mark_final_shown(job.id)

    async def _post_more(self, job: Job, batch: Sequence[ClipFile], content: str) -> None:
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        await channel.send(
            content=content,
            files=[clip_file(job, clip) for clip in batch],
            **reply_options(job.channel_id, job.card_message_id),
        )

    async def _download_all(self, job: Job, folder: Path, limit: int) -> list[ClipFile]:
        """Download every clip (up to MAX_SOURCE_BYTES), then fit those over ``limit`` under it."""

        async def one(index: int, url: str) -> ClipFile:
            async with self._downloads:
                try:
                    clip = await download_clip(
                        self.services.http,
                        url,
                        folder / f"{index}.mp4",
                        max_bytes=max(limit, MAX_SOURCE_BYTES),
                    )
                except DeliveryError as exc:
                    log.info("job %s: clip %d will be linked: %s", job.id, index + 1, exc)
                    return ClipFile.refused(index, url, exc)
            return await self.fit_clip(job, ClipFile.downloaded(index, clip), limit, folder)

        return list(await asyncio.gather(*(one(i, url) for i, url in enumerate(job.clip_urls))))

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

    async def _archive(self, job: Job, clips: Sequence[ClipFile]) -> None:
        archive_dir = self.services.settings.clip_archive_dir
        if archive_dir is None:
            return
        for clip in clips:
            if clip.full_quality is not None:
                await asyncio.to_thread(archive_clip, clip.full_quality, archive_dir, job.id, clip.index)

    def plan_limit(self, job: Job) -> int:
        """Return the per-file limit to plan a job's uploads with.

        The limit of the interaction that made the job (boosts, Nitro) while its token lives, since
        the card is then edited through that interaction; the server's limit after, or without one.
        """
        return job_upload_limit(job, self.upload_limit(job.guild_id), utcnow())

    def upload_limit(self, guild_id: int | None) -> int:
        """Return the per-file upload limit in a server (higher on boosted servers)."""
        guild = self.bot.get_guild(guild_id) if guild_id else None
        return guild.filesize_limit if guild is not None else DEFAULT_FILE_LIMIT


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
