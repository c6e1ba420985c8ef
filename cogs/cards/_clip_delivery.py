"""Posts a finished job's clips: the card edit with the first batch, replies with the rest.

``Cards`` hands each SUCCEEDED job here. The clips go on the job's card (a Components V2 gallery) and,
past one request's budget, in replies to it; a clip that cannot be attached is linked instead. A 413
shrinks the plan and other HTTP errors are retried a few times. Then:
- every clip arrived: the job is delivered;
- none did: it fails (not charged) and its requester is told privately;
- some did (a later batch kept failing): it is delivered in part, charged for what arrived, and the
  card names the missing clips under a "Post missing clips" button (``repost_missing``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

import discord

from bot.media import (
    DEFAULT_FILE_LIMIT,
    NO_VIDEO_REASON,
    ClipFile,
    LinkReason,
    UploadPlan,
    attachable_size,
    job_upload_limit,
    plan_uploads,
)
from bot.models import FailureKind, Job, JobStatus, utcnow
from bot.ops import job_fields
from cogs.cards._clip_files import ClipSource, clip_file, clip_folder, clip_name, clip_names
from cogs.cards._editor import CardEditor, CardUnavailable, reply_options
from cogs.cards._layout import Card
from cogs.cards._posted_clips import dm_messages, job_messages
from cogs.cards._posted_files import card_notes, kept_attachments, posted_files, posted_names
from cogs.cards._private_posts import clips_posted_privately
from cogs.cards._render import CardRenderer, clip_numbers

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 3
DELIVERY_BACKOFF = 2.0
HTTP_TOO_LARGE = 413


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

    async def show_failure(self, job: Job) -> None:
        """Show a failed job's card (or tell its requester by DM)."""
        ...


@dataclass
class Posting:
    """What a delivery put on Discord: the names of the clip files posted, and the plan last tried."""

    posted: set[str]
    plan: UploadPlan | None = None
    job: Job | None = None  # as stored after the card edit (a re-posted card has a new message id)
    earlier: frozenset[str] = frozenset()  # what an earlier process had posted

    @classmethod
    def after(cls, earlier: set[str]) -> Posting:
        """Return the posting of a delivery that finds ``earlier`` already on Discord."""
        return cls(set(earlier), earlier=frozenset(earlier))

    def card_left_stale(self, job: Job) -> list[int] | None:
        """Return the clips an earlier process's card may call missing, when this one never edited it.

        That process may have died after showing a partial delivery on the card and before storing
        it; this one posted the rest without touching the card. None when the card was edited here.
        """
        if self.job is not None or self.posted == self.earlier:
            return None
        return [index for index in self._planned() if clip_name(job, index) not in self.earlier]

    def attached(self, job: Job) -> list[int]:
        """Return the 0-based indexes of the plan's attachments that are on Discord."""
        return [index for index in self._planned() if clip_name(job, index) in self.posted]

    def missing(self, job: Job) -> list[int]:
        """Return the 0-based indexes of the plan's attachments that are not on Discord."""
        return [index for index in self._planned() if clip_name(job, index) not in self.posted]

    def _planned(self) -> list[int]:
        batches = self.plan.messages if self.plan else ()
        return [clip.index for batch in batches for clip in batch]


@dataclass
class Reposted:
    """What "Post missing clips" did with each missing clip.

    Posted now, refused by Discord, gone (neither the provider nor the archive has it), or too large
    to attach here (over the server's limit and not reducible).
    """

    job: Job
    posted: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)
    too_large: list[int] = field(default_factory=list)


class ClipDelivery:
    """Delivers the clips of succeeded jobs (one call of ``deliver`` per job, under the card's lock)."""

    def __init__(self, bot: MotionBot, cards: CardOwner) -> None:
        self.bot = bot
        self.services = bot.services
        self.cards = cards
        self.editor = CardEditor(bot)
        self.source = ClipSource(bot.services)
        # Jobs that finished before this instant were finished under an earlier process.
        self._started_at = utcnow()

    async def deliver(self, job: Job) -> None:
        """Post the clips of a SUCCEEDED job, then record it delivered, failed or delivered in part."""
        async with clip_folder(job) as folder:
            clips = await self.source.download_all(job, folder, attachable_size(self.plan_limit(job)))
            if clips and all(clip.not_video for clip in clips):
                await self._no_video(job)
                return
            posting = Posting.after(await self._posted_earlier(job))
            if not await self.services.tracker.claim_delivery(job):
                return  # another process took the job over while this one stalled: it delivers
            error = await self._post_with_retries(job, clips, posting)
            if error is None:
                await self._delivered(job, clips, posting)
            elif not posting.attached(job):
                await self._undeliverable(job, error)
            else:
                await self._partly_delivered(posting.job or job, clips, posting, error)

    async def _no_video(self, job: Job) -> None:
        """Nothing but an image (say) came back: a failure of the provider, and not charged."""
        failed = await self.services.tracker.delivery_failed(
            job, NO_VIDEO_REASON, FailureKind.PROVIDER_FAILED
        )
        if failed is not None:
            await self.cards.show_failure(failed)

    async def _post_with_retries(
        self, job: Job, clips: Sequence[ClipFile], posting: Posting
    ) -> Exception | None:
        """Post the clips, retrying transient errors; return the error that stopped it, if any."""
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                await self._post_clips(job, clips, posting)
                return None
            except (CardUnavailable, discord.Forbidden, discord.NotFound) as exc:
                return exc
            except discord.HTTPException as exc:
                if attempt == DELIVERY_ATTEMPTS:
                    return exc
                log.warning("job %s: delivery attempt %d failed (%s); retrying", job.id, attempt, exc)
                await asyncio.sleep(DELIVERY_BACKOFF * attempt)
        return None

    async def _post_clips(self, job: Job, clips: Sequence[ClipFile], posting: Posting) -> None:
        """Edit the card into its final state with the clips, shrinking the plan on a 413.

        ``posting.posted`` names the clip files already on Discord (from an earlier attempt, or a
        process that stopped before recording the delivery); a batch of only those is not sent
        again, and every batch sent is added to it.
        """
        renderer = self.cards.renderer(job.locale)
        shown = replace(job, status=JobStatus.DELIVERED, delivered_at=utcnow())
        limit = self.plan_limit(job)
        while True:
            plan = posting.plan = plan_uploads(clips, per_file_limit=limit)
            first = plan.messages[0] if plan.messages else ()
            try:
                if not first or not clip_names(job, first) <= posting.posted:
                    card = renderer.job(
                        shown, linked=plan.notes, gallery=[clip_name(job, clip.index) for clip in first]
                    )
                    job = posting.job = await self.cards.show_card(job, card, first)
                    posting.posted |= clip_names(job, first)
            except discord.HTTPException as exc:
                if exc.status != HTTP_TOO_LARGE or not first:
                    raise
                # Discord's limit here is lower than we were told: link the largest file instead.
                limit = max(clip.size or 0 for clip in first) - 1
                log.info("job %s: upload refused as too large; retrying with a %d-byte limit", job.id, limit)
                continue
            for batch in plan.messages[1:]:
                if not clip_names(job, batch) <= posting.posted:
                    await self.post_more(job, batch, renderer.text("delivery.more_clips", job_id=job.id))
                    posting.posted |= clip_names(job, batch)
            return

    async def _delivered(self, job: Job, clips: Sequence[ClipFile], posting: Posting) -> None:
        await self.source.archive(job, clips)
        stale = posting.card_left_stale(job)
        if stale is not None:
            delivered = replace(job, status=JobStatus.DELIVERED, delivered_at=utcnow())
            await self.show_kept(delivered, replace(delivered, missing_clips=tuple(stale)))
        if not await self.services.tracker.delivered(job):
            return
        links = len(posting.plan.links) if posting.plan else 0
        self._count(len(posting.attached(job)), links)
        log.info(
            "job %s delivered (%d files, %d links)",
            job.id,
            len(posting.attached(job)),
            links,
            extra=job_fields(job),
        )

    def _count(self, attached: int, links: int) -> None:
        self.services.metrics.delivered("attachment", attached)
        self.services.metrics.delivered("link", links)

    async def _partly_delivered(
        self, job: Job, clips: Sequence[ClipFile], posting: Posting, exc: Exception
    ) -> None:
        """Charge the clips on Discord, show the missing ones on the card (keeping its files).

        The card is edited before the store, so a process that dies in between leaves the job
        SUCCEEDED and the next one finds the posted clips and posts only the others.
        """
        missing = posting.missing(job)
        log.warning("job %s: clips %s could not be posted: %s", job.id, clip_numbers(missing), exc)
        await self.source.archive(job, clips)
        previous = replace(job, status=JobStatus.DELIVERED, delivered_at=utcnow())
        partial = replace(previous, missing_clips=tuple(missing))
        shown = await self.show_kept(partial, previous)
        if not await self.services.tracker.partly_delivered(job, missing):
            return
        self._count(len(posting.attached(job)), len(posting.plan.links) if posting.plan else 0)
        if not shown:
            renderer = self.cards.renderer(job.locale)
            where = f"<#{job.channel_id}>"
            text = renderer.text(
                "delivery.partly_failed_dm",
                job_id=job.id,
                channel=where,
                count=len(missing),
                clips=clip_numbers(missing),
            )
            await self.cards.direct_message(job.requester_id, text)

    async def show_kept(self, job: Job, previous: Job) -> bool:
        """Edit the card to show ``job``, keeping the files and notes it has; False if that failed.

        ``previous`` is the job the card was last rendered from: the notes that rendering made are
        made again from ``job``, the others (links, reduced clips, "card deleted") are kept as they are.
        """
        if job.card_message_id is None:
            return False
        renderer = self.cards.renderer(job.locale)
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        try:
            message = await channel.fetch_message(job.card_message_id)
            made = set(renderer.job(previous).notes)
            kept_notes = [line for line in card_notes(message) if line not in made]
            names = [posted.filename for posted in posted_files(message)]
            card = renderer.job(job, extra_notes=kept_notes, gallery=names)
            await self.editor.edit_keeping(job, card, kept_attachments(message, names))
        except (CardUnavailable, discord.HTTPException) as exc:
            log.warning("job %s: card not updated with the missing clips (%s)", job.id, exc)
            return False
        return True

    async def repost_missing(self, job: Job) -> Reposted:
        """Post the missing clips of a partly delivered job in replies to its card, then update the card.

        Clips found already posted after the card (a press whose process died before recording it)
        are recorded, not posted again. Each clip comes from the archive, else from the provider.
        """
        previous = job
        on_discord = await self.posted_on_discord(job)
        found = [index for index in job.missing_clips if clip_name(job, index) in on_discord]
        if found:
            job = await self.services.store.mark_clips_posted(job.id, found)
        result = Reposted(job)
        async with clip_folder(job) as folder:
            limit = attachable_size(self.upload_limit(job.guild_id))
            clips = await self.source.fetch(job, job.missing_clips, folder, limit)
            plan = plan_uploads(clips, per_file_limit=limit)
            for linked in plan.links:
                unavailable = linked.reason is LinkReason.UNAVAILABLE
                (result.gone if unavailable else result.too_large).append(linked.clip.index)
            await self._post_batches(result, plan.messages)
        await self.show_kept(result.job, previous)
        return result

    async def _post_batches(self, result: Reposted, batches: Sequence[Sequence[ClipFile]]) -> None:
        job = result.job
        renderer = self.cards.renderer(job.locale)
        for batch in batches:
            indexes = [clip.index for clip in batch]
            if result.refused:
                result.refused += indexes  # Discord refused the batch before: do not insist
                continue
            text = renderer.text(
                "delivery.posted_again", job_id=job.id, count=len(indexes), clips=clip_numbers(indexes)
            )
            try:
                await self.post_more(job, batch, text)
            except discord.HTTPException as exc:
                log.warning("job %s: clips %s refused again: %s", job.id, clip_numbers(indexes), exc)
                result.refused += indexes
                continue
            result.job = await self.services.store.mark_clips_posted(job.id, indexes)
            result.posted += indexes
            self.services.metrics.delivered("attachment", len(indexes))

    async def _posted_earlier(self, job: Job) -> set[str]:
        """Return the job's clip files already on Discord when it finished under an earlier process.

        That process may have posted the clips and been killed before recording the delivery, and
        they must not be posted twice.
        """
        if job.finished_at is None or job.finished_at >= self._started_at:
            return set()
        return await self.posted_on_discord(job)

    async def posted_on_discord(self, job: Job) -> set[str]:
        """Return the job's clip files on its card or in the bot's newest messages after it.

        A private or webhook-only job's messages are not in the channel's history: the store's record
        of them says (``_private_posts``), and the requester's DMs with the bot, which a process
        killed before its record may have sent.
        """
        names = {clip_name(job, index) for index in range(len(job.clip_urls))}
        if job.reaches_through_webhook:
            stored = await self.services.store.get_job(job.id)
            in_dms = posted_names(await dm_messages(self.bot, job)) & names
            return clips_posted_privately(stored or job) | in_dms
        # Read from the card's gallery: Discord leaves the files a component shows out of attachments.
        return posted_names(await job_messages(self.bot, job, newest=True)) & names

    async def _undeliverable(self, job: Job, exc: Exception) -> None:
        """Record that the clips cannot be posted (not charged) and tell the requester privately."""
        log.warning("job %s: clips could not be posted: %s", job.id, exc)
        if await self.services.tracker.delivery_failed(job, str(exc)[:300]) is None:
            return
        renderer = self.cards.renderer(job.locale)
        forbidden = isinstance(exc, CardUnavailable | discord.Forbidden)
        key = "error.missing_permissions_dm" if forbidden else "delivery.failed_dm"
        await self.cards.direct_message(
            job.requester_id, renderer.text(key, job_id=job.id, channel=f"<#{job.channel_id}>")
        )
        await self.services.store.mark_final_shown(job.id)

    async def post_more(self, job: Job, batch: Sequence[ClipFile], content: str) -> None:
        """Post ``batch`` in a reply to the job's card, saying ``content`` (privately for a private job).

        A post is recorded on the job (a private one by ``send_privately``), so a delete removes it too
        and a restarted delivery does not post it again.
        """
        if job.reaches_through_webhook:
            await self.editor.send_privately(
                job, lambda: [clip_file(job, clip) for clip in batch], content=content
            )
            return
        channel = self.bot.get_partial_messageable(job.channel_id, guild_id=job.guild_id)
        message = await channel.send(
            content=content,
            files=[clip_file(job, clip) for clip in batch],
            **reply_options(job.channel_id, job.card_message_id),
        )
        await self.services.store.record_post(job.id, job.channel_id, message.id)

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
