"""Renders a job card (embed, content and buttons) from a stored job. Pure: no I/O.

The card is one message per job, edited in place. Elapsed time uses Discord's relative timestamp
markup, which every client renders live, so the card needs no edit just to tick the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.delivery_notes import Note
from bot.dispatcher import EXACT_POSITIONS, QueuePlace
from bot.i18n import Catalogue, Lang, discord_timestamp, ordinal_key, progress_bar
from bot.models import MAX_EXTENSIONS, Job, JobStatus, Motion, Quality, VideoOptions, utcnow
from bot.prompts import shorten
from cogs.components import CancelButton, ExtendButton, ExtendPromptButton, RetryButton
from cogs.literal_text import literal

PROMPT_PREVIEW = 200
FIELD_LIMIT = 1024  # Discord's limit on an embed field's value
REASON_LIMIT = 1000  # shown in the card's description (4096) and in a DM (2000)
MAX_URL_LENGTH = 512
COLOURS = {
    JobStatus.QUEUED: discord.Colour.light_grey(),
    JobStatus.SUBMITTING: discord.Colour.light_grey(),
    JobStatus.SUBMITTED: discord.Colour.blurple(),
    JobStatus.RUNNING: discord.Colour.blurple(),
    JobStatus.SUCCEEDED: discord.Colour.blurple(),
    JobStatus.DELIVERED: discord.Colour.green(),
    JobStatus.FAILED: discord.Colour.red(),
    JobStatus.TIMED_OUT: discord.Colour.orange(),
    JobStatus.CANCELLED: discord.Colour.dark_grey(),
}
NOT_CHARGED = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED})
RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT})


@dataclass(slots=True)
class Card:
    """What one card message shows."""

    content: str | None
    embed: discord.Embed
    view: discord.ui.View | None

    def signature(self) -> str:
        """Return a string that changes only when something visible changes."""
        rows = [] if self.view is None else [item.to_component_dict() for item in self.view.children]
        return repr((self.content, self.embed.to_dict(), rows))


class CardRenderer:
    """Builds cards in one language from the catalogue."""

    def __init__(self, catalogue: Catalogue, lang: Lang) -> None:
        self._catalogue = catalogue
        self.lang = lang

    def text(self, key: str, **params: object) -> str:
        """Return a catalogue message in this renderer's language."""
        return self._catalogue.text(self.lang, key, **params)

    def pending(
        self,
        requester_id: int,
        motion: Motion,
        quality: Quality,
        prompt: str,
        options: VideoOptions | None = None,
    ) -> Card:
        """Return the card shown while the image is checked, before the job exists."""
        embed = discord.Embed(title=self.text("card.title_pending"), colour=COLOURS[JobStatus.QUEUED])
        embed.description = self.text("card.state.checking")
        self._add_request_fields(embed, requester_id, motion, quality, prompt)
        self.add_options(embed, options or VideoOptions())
        return Card(content=None, embed=embed, view=None)

    def job(
        self,
        job: Job,
        *,
        linked: Sequence[Note] = (),
        now: dt.datetime | None = None,
        place: QueuePlace | None = None,
        extra_notes: Sequence[str] = (),
    ) -> Card:
        """Return the card for a stored job in its current status (``place``: where it waits in line).

        ``extra_notes`` are shown after the link notes (the "resumed after a restart" line, say).
        """
        embed = discord.Embed(title=self._title(job), colour=COLOURS[job.status])
        embed.description = self._state_line(job, now or utcnow())
        if place is not None and job.status is JobStatus.QUEUED:
            embed.description = self.place_line(place)
        self._add_request_fields(embed, job.requester_id, job.motion, job.quality, job.prompt)
        self.add_options(embed, job.options)
        self._add_timing(embed, job, now or utcnow())
        if job.parent_job_id is not None:
            embed.add_field(
                name="\u200b",
                value=self.text("card.extension", count=job.extension_count, max=MAX_EXTENSIONS),
            )
        notes = [self._link_note(clip) for clip in linked] + list(extra_notes)
        if job.arrived_late:
            notes.append(self.text("card.late_delivery"))
        if job.status in NOT_CHARGED:
            notes.append(self.text("card.not_charged"))
        if notes:
            embed.set_footer(text="\n".join(notes)[:2048])
        content = (
            self.text("delivery.ready", requester=f"<@{job.requester_id}>")
            if job.status is JobStatus.DELIVERED
            else None
        )
        return Card(content=content, embed=embed, view=self.buttons(job))

    def buttons(self, job: Job) -> discord.ui.View | None:
        """Return the card's buttons: Cancel while it waits or runs, Retry after a failure, the clips'."""
        if job.clip_urls:
            return self.clip_buttons(job)
        view = discord.ui.View(timeout=None)
        if job.status.is_active:
            view.add_item(CancelButton(job.id, label=self.text("button.cancel")))
        elif job.status in RETRYABLE:
            view.add_item(RetryButton(job.id, label=self.text("button.retry")))
        else:
            return None
        return view

    def clip_buttons(self, job: Job) -> discord.ui.View:
        """Return one row per clip: Extend (low), Extend (high), Extend with a prompt…, the original file.

        At most 4 components in each of at most 5 rows, within Discord's 5 × 5 (README, "The job card").
        At the extension limit the Extend buttons stay, disabled, so the card keeps its shape.
        """
        view = discord.ui.View(timeout=None)
        can_extend = job.extension_count < MAX_EXTENSIONS
        for index, url in enumerate(job.clip_urls[:5]):
            for motion, key in ((Motion.LOW, "button.extend_low"), (Motion.HIGH, "button.extend_high")):
                label = self.text(key, clip=index + 1)
                view.add_item(ExtendButton(job.id, index, motion, label=label, disabled=not can_extend))
            label = self.text("button.extend_prompt", clip=index + 1)
            view.add_item(ExtendPromptButton(job.id, index, label=label, disabled=not can_extend))
            if len(url) <= MAX_URL_LENGTH:
                label = self.text("button.original", clip=index + 1)[:80]
                view.add_item(discord.ui.Button(label=label, url=url, row=index))
        return view

    def _title(self, job: Job) -> str:
        if job.parent_job_id is not None and job.clip_index is not None:
            return self.text(
                "card.title_extension", job_id=job.id, clip=job.clip_index + 1, parent_id=job.parent_job_id
            )
        return self.text("card.title", job_id=job.id)

    def _state_line(self, job: Job, now: dt.datetime) -> str:
        status = job.status
        if status is JobStatus.RUNNING:
            return self.text("card.state.running", bar=progress_bar(job.progress), percent=job.progress)
        if status is JobStatus.DELIVERED:
            return self.text("card.state.delivered", count=len(job.clip_urls))
        if status is JobStatus.TIMED_OUT:
            return self.text("card.state.timed_out", duration=self._duration(job, now))
        if status is JobStatus.FAILED:
            return self.text("card.state.failed", reason=self.failure_reason(job))
        return self.text(f"card.state.{status.value}")

    def place_line(self, place: QueuePlace) -> str:
        """Return "Waiting: 3rd in line, about 2 min", or "more than 25 jobs ahead" far back."""
        if not place.exact:
            return self.text("card.state.queued_far", ahead=EXACT_POSITIONS)
        ordinal = self.text(ordinal_key(place.place), n=place.place)
        wait = self._catalogue.format_duration(place.wait_seconds, self.lang)
        return self.text("card.state.queued_place", place=ordinal, wait=wait)

    def failure_reason(self, job: Job) -> str:
        """Return the plain reason a job failed, in this renderer's language."""
        kind = job.failure_kind.value if job.failure_kind else "provider_failed"
        # The provider's reason may quote the prompt (a banned word), so it is shown literally.
        reason = literal(shorten(job.error or "", 500), REASON_LIMIT)
        if kind == "moderation" and not reason:
            return self.text("failure.moderation_no_reason")
        if kind == "internal":
            return self.text("failure.internal", error_id=f"job-{job.id}")
        if kind == "timeout":
            return self.text("failure.timeout", duration=self._duration(job, utcnow()))
        return self.text(f"failure.{kind}", reason=reason)

    def _add_request_fields(
        self, embed: discord.Embed, requester_id: int, motion: Motion, quality: Quality, prompt: str
    ) -> None:
        embed.add_field(name=self.text("card.requester"), value=f"<@{requester_id}>")
        embed.add_field(name=self.text("card.motion"), value=self.text(f"motion.{motion.value}"))
        embed.add_field(name=self.text("card.quality"), value=self.text(f"quality.{quality.value}"))
        # Member-written: shown literally, so it can carry no masked link, mention or markup.
        shown = literal(shorten(prompt, PROMPT_PREVIEW), FIELD_LIMIT) if prompt else None
        embed.add_field(
            name=self.text("card.prompt"), value=shown or self.text("card.no_prompt"), inline=False
        )

    def options_text(self, options: VideoOptions) -> str:
        """Return "4 clips · loop · raw · end frame": the clips, then each option that is on."""
        parts = [
            self.text("options.clips_one" if options.clips == 1 else "options.clips", count=options.clips)
        ]
        switches = (("options.loop", options.loop), ("options.raw", options.raw))
        parts += [self.text(key) for key, on in (*switches, ("options.end_frame", options.end_frame)) if on]
        return " · ".join(parts)

    def add_options(self, embed: discord.Embed, options: VideoOptions) -> None:
        """Add the "Options" field to a card."""
        embed.add_field(name=self.text("card.options"), value=self.options_text(options))

    def _add_timing(self, embed: discord.Embed, job: Job, now: dt.datetime) -> None:
        if job.status.is_final:
            value = self._duration(job, now)
        else:
            value = f"<t:{discord_timestamp(job.created_at)}:R>"
        embed.add_field(name=self.text("card.elapsed"), value=value)

    def _duration(self, job: Job, now: dt.datetime) -> str:
        end = job.delivered_at or job.finished_at or now
        return self._catalogue.format_duration((end - job.created_at).total_seconds(), self.lang)

    def _link_note(self, clip: Note) -> str:
        return self.text(clip.key, **clip.params)
