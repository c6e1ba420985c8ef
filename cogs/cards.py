"""Keeps every job's card up to date from tracker events, and delivers the finished clips.

Progress edits are coalesced: a card is edited only when something visible changed, and at most
once every few seconds per job, so normal use never draws a 429. Final states are shown at once.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

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
from bot.events import JobEvent, JobEventKind
from bot.fit import ClipFitter, FitFailed
from bot.i18n import resolve_locale
from bot.logs import job_fields
from bot.models import Job, JobStatus, utcnow
from cogs.card_editor import CardEditor, CardUnavailable, reply_options
from cogs.card_layout import Card
from cogs.card_render import CardRenderer

if TYPE_CHECKING:
    from bot.bot import MotionBot

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 3
DELIVERY_BACKOFF = 2.0
HTTP_TOO_LARGE = 413
DOWNLOAD_CONCURRENCY = 4
RECONCILE_LOOKBACK = 50
RESUMED_STATUSES = (JobStatus.QUEUED, JobStatus.SUBMITTED, JobStatus.RUNNING)


class Cards(commands.Cog):
    """Job cards and clip delivery."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.editor = CardEditor(bot)
        self._last_edit: dict[int, float] = {}
        self._last_signature: dict[int, str] = {}
        self._latest: dict[int, Job] = {}
        self._shown: dict[int, Job] = {}
        self._timers: dict[int, asyncio.Task[None]] = {}
        self._editing: set[int] = set()
        self._locks: dict[int, asyncio.Lock] = {}
        self._downloads = asyncio.Semaphore(DOWNLOAD_CONCURRENCY)
        settings = bot.services.settings
        self.fitter = ClipFitter(
            concurrency=settings.max_concurrent_encodes, timeout=settings.fit_timeout_seconds
        )
        # Jobs that finished before this instant were finished under an earlier process.
        self._started_at = utcnow()
        # Jobs an earlier process left waiting or running: their next card edit says so, once.
        self._resumed: set[int] = set()
        self.edits = 0

    async def cog_load(self) -> None:
        """Follow the tracker's events; note the jobs the tracker will resume after a restart."""
        # Loaded before the tracker starts and before any interaction, so these are exactly the jobs an
        # earlier process left in flight. Kept in memory: after a second restart saying it again is true.
        resumed = await self.services.store.jobs_with_status(*RESUMED_STATUSES)
        self._resumed = {job.id for job in resumed}
        self.services.tracker.subscribe(self.on_job_event)

    async def cog_unload(self) -> None:
        """Stop following events and cancel pending edits."""
        self.services.tracker.events.unsubscribe(self.on_job_event)
        for job_id, task in list(self._timers.items()):
            if job_id not in self._editing:
                task.cancel()
        await asyncio.gather(*self._timers.values(), return_exceptions=True)

    def renderer(self, locale: str | None) -> CardRenderer:
        """Return a card renderer in the language of ``locale``."""
        return CardRenderer(self.services.catalogue, resolve_locale(locale))

    async def on_job_event(self, event: JobEvent) -> None:
        """Show the job's new state; deliver the clips once it succeeded."""
        job = event.job
        if event.kind is JobEventKind.SUCCEEDED:
            await self._finish(job, self._deliver)
        elif event.kind is JobEventKind.FAILED:
            await self._finish(job, self._show_failure)
        elif event.kind is JobEventKind.CANCELLED:
            await self._finish(job, self._show_cancelled)
        else:
            await self.progressed(job)

    async def progressed(self, job: Job) -> None:
        """Edit the card for a non-final state, coalescing bursts of changes."""
        newest = self._latest.get(job.id) or self._shown.get(job.id)
        if newest is not None and newest.updated_at > job.updated_at:
            return  # an older version of the job arrived late; a newer one is or will be shown
        self._latest[job.id] = job
        if job.id in self._timers:
            return
        interval = self.services.settings.card_edit_interval_seconds
        wait = self._last_edit.get(job.id, 0.0) + interval - time.monotonic()
        if wait <= 0:
            await self._edit_latest(job.id)
        else:
            self._timers[job.id] = asyncio.create_task(self._edit_later(job.id, wait))

    async def _edit_later(self, job_id: int, wait: float) -> None:
        try:
            await asyncio.sleep(wait)
            self._editing.add(job_id)
            await self._edit_latest(job_id)
        except Exception:
            log.exception("job %s: delayed card edit failed", job_id)
        finally:
            self._editing.discard(job_id)
            self._timers.pop(job_id, None)

    async def _edit_latest(self, job_id: int) -> None:
        async with self._lock(job_id):
            job = self._latest.pop(job_id, None)
            if job is None or job.status.is_final or not await self.services.tracker.holds(job):
                return
            place = self.services.tracker.queue_place(job.id) if job.status is JobStatus.QUEUED else None
            card = self.renderer(job.locale).job(job, place=place, extra_notes=self._resumed_note(job))
            if card.signature() == self._last_signature.get(job_id):
                return
            try:
                await self._show(job, card)
                self._resumed.discard(job.id)
            except CardUnavailable:
                log.warning("job %s: card cannot be shown in channel %s", job.id, job.channel_id)
            except discord.HTTPException as exc:
                log.warning("job %s: card edit failed: %s", job.id, exc)

    def _resumed_note(self, job: Job) -> tuple[str, ...]:
        if job.id not in self._resumed:
            return ()
        return (self.renderer(job.locale).text("card.resumed"),)

    async def _finish(self, job: Job, work: Callable[[Job], Awaitable[None]]) -> None:
        # A final card is the last one: a note there would stay forever, not be said once.
        self._resumed.discard(job.id)
        self._latest.pop(job.id, None)
        timer = self._timers.pop(job.id, None)
        if timer is not None:
            # Cancel a pending edit only while it still sleeps: cancelling discord.py's webhook call
            # during its rate-limit pause leaks the bucket's lock and blocks every later edit.
            if job.id not in self._editing:
                timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
        try:
            async with self._lock(job.id):
                if await self.services.tracker.holds(job):  # else another process shows it now
                    await work(job)
        finally:
            for state in (self._last_edit, self._last_signature, self._locks, self._shown):
                state.pop(job.id, None)

    async def _show(self, job: Job, card: Card, files: Sequence[ClipFile] = ()) -> Job:
        note = self.renderer(job.locale).text("delivery.card_deleted")
        updated = await self.editor.show(
            job, card, lambda: [clip_file(job, clip) for clip in files], note=note
        )
        self._last_edit[job.id] = time.monotonic()
        self._last_signature[job.id] = card.signature()
        self._shown[job.id] = updated
        self.edits += 1
        return updated

    def _lock(self, job_id: int) -> asyncio.Lock:
        return self._locks.setdefault(job_id, asyncio.Lock())

    # -- final states -------------------------------------------------------------------------

    async def _show_failure(self, job: Job) -> None:
        renderer = self.renderer(job.locale)
        try:
            await self._show(job, renderer.job(job))
        except (CardUnavailable, discord.HTTPException) as exc:
            log.warning("job %s: failure card not shown (%s); telling the requester by DM", job.id, exc)
            await self.direct_message(job.requester_id, renderer.failure_reason(job))
        await self.services.store.mark_final_shown(job.id)

    async def _show_cancelled(self, job: Job) -> None:
        try:
            await self._show(job, self.renderer(job.locale).job(job))
        except (CardUnavailable, discord.HTTPException) as exc:
            log.warning("job %s: cancelled card not shown (%s)", job.id, exc)
        await self.services.store.mark_final_shown(job.id)

    async def _deliver(self, job: Job) -> None:
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"motionbot-{job.id}-"))
        try:
            clips = await self._download_all(job, folder, attachable_size(self.plan_limit(job)))
            posted = await self._posted_earlier(job)
            if not await self.services.tracker.claim_delivery(job):
                return  # another process took the job over while this one stalled: it delivers
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
            if not await self.services.tracker.delivered(job):
                return
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
        renderer = self.renderer(job.locale)
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
                    job = await self._show(job, card, first)
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
        return {f.filename for m in (card, *later) for f in m.attachments if f.filename in names}

    async def _undeliverable(self, job: Job, exc: Exception) -> None:
        """Record that the clips cannot be posted (not charged) and tell the requester privately."""
        log.warning("job %s: clips could not be posted: %s", job.id, exc)
        if not await self.services.tracker.delivery_failed(job, str(exc)[:300]):
            return
        renderer = self.renderer(job.locale)
        forbidden = isinstance(exc, CardUnavailable | discord.Forbidden)
        key = "error.missing_permissions_dm" if forbidden else "delivery.failed_dm"
        await self.direct_message(
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

    # -- helpers -----------------------------------------------------------------------------

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

    async def direct_message(self, user_id: int, content: str) -> bool:
        """Send a DM to a member; return False when Discord refuses it."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(content)
        except discord.HTTPException:
            log.info("could not DM user %s", user_id)
            return False
        return True


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


async def setup(bot: MotionBot) -> None:
    """Load the Cards cog."""
    await bot.add_cog(Cards(bot))
