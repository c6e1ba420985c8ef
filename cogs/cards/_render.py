"""Renders a job card (texts, the clips' gallery and buttons) from a stored job. Pure: no I/O.

The card is one message per job, edited in place. Elapsed time uses Discord's relative timestamp
markup, which every client renders live, so the card needs no edit just to tick the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import discord

from bot.budget import Money, PriceTable
from bot.checks import shorten
from bot.client import literal
from bot.i18n import Catalogue, Lang, discord_timestamp, ordinal_key, progress_bar
from bot.media import Note
from bot.models import MAX_EXTENSIONS, Job, JobStatus, Motion, Quality, VideoOptions, utcnow
from bot.tracking import EXACT_POSITIONS, QueuePlace
from cogs.cards._components import (
    CancelButton,
    DeleteButton,
    ExtendButton,
    ExtendPromptButton,
    PostMissingButton,
    PostToChannelButton,
    RetryButton,
)
from cogs.cards._layout import ButtonRow, Card, rows_of

PROMPT_PREVIEW = 200
FIELD_LIMIT = 1024  # the prompt's share of the card's 4000 characters of text
REASON_LIMIT = 1000  # shown in the card's state line and in a DM (2000)
NOTES_LIMIT = 2048
MAX_BUTTON_ROWS = 5  # keeps the card under Discord's 40 components (README, "The job card")
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
# A job that ended without its video says whether it still counts: it does when the video service had
# it (Job.billed: a cancel after the submit, a timeout, a delivery that failed), else it is free.
ENDED_WITHOUT_VIDEO = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED})
RETRYABLE = frozenset({JobStatus.FAILED, JobStatus.TIMED_OUT})


class CardRenderer:
    """Builds cards in one language from the catalogue.

    With the operator's ``prices``, a card shows the job's price while it waits or runs, where the
    member can still cancel it.
    """

    def __init__(self, catalogue: Catalogue, lang: Lang, prices: PriceTable | None = None) -> None:
        self._catalogue = catalogue
        self.lang = lang
        self._prices = prices

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
        price: int | None = None,
    ) -> Card:
        """Return the card shown while the image is checked, before the job exists."""
        fields = self._request_fields(requester_id, motion, quality, prompt)
        fields.append(self.options_field(options or VideoOptions()))
        fields += self._price_field(price)
        return Card(
            title=self.text("card.title_pending"),
            state=self.text("card.state.checking"),
            colour=COLOURS[JobStatus.QUEUED],
            fields=tuple(fields),
        )

    def job(
        self,
        job: Job,
        *,
        linked: Sequence[Note] = (),
        now: dt.datetime | None = None,
        place: QueuePlace | None = None,
        gallery: Sequence[str] = (),
        extra_notes: Sequence[str] = (),
    ) -> Card:
        """Return the card for a stored job in its current status.

        ``place``: where it waits in line; ``gallery``: the names of the clip files this message
        carries, shown together in its media gallery; ``extra_notes`` are shown after the link notes
        (the "resumed after a restart" line, say).
        """
        state = self._state_line(job, now or utcnow())
        if place is not None and job.status is JobStatus.QUEUED:
            state = self.place_line(place)
        fields = self._request_fields(job.requester_id, job.motion, job.quality, job.prompt)
        fields.append(self.options_field(job.options))
        fields += self._price_field(job.price if job.status.is_active else None)
        fields.append(self._timing(job, now or utcnow()))
        return Card(
            title=self._title(job),
            state=state,
            colour=COLOURS[job.status],
            fields=tuple(fields),
            notes=self._notes(job, linked) + tuple(extra_notes),
            ready=self._ready_line(job),
            extension=self._extension_line(job),
            gallery=tuple(gallery),
            rows=self.with_post_button(job, self.buttons(job)),
            pings=(job.requester_id,) if job.status is JobStatus.DELIVERED else (),
        )

    def _ready_line(self, job: Job) -> str | None:
        if job.status is not JobStatus.DELIVERED:
            return None
        return self.text("delivery.ready", requester=f"<@{job.requester_id}>")

    def _extension_line(self, job: Job) -> str | None:
        if job.parent_job_id is None:
            return None
        return self.text("card.extension", count=job.extension_count, max=MAX_EXTENSIONS)

    def _notes(self, job: Job, linked: Sequence[Note]) -> tuple[str, ...]:
        notes = [self._link_note(clip) for clip in linked]
        if job.partly_delivered:
            notes.append(self.missing_note(job))
        if job.arrived_late:
            notes.append(self.text("card.late_delivery"))
        if job.status in ENDED_WITHOUT_VIDEO:
            notes.append(self.text("card.charged" if job.billed else "card.not_charged"))
        joined = "\n".join(notes)[:NOTES_LIMIT]
        return tuple(joined.splitlines())

    def missing_note(self, job: Job) -> str:
        """Return the note naming the clips of a partly delivered job that could not be posted."""
        return self.text(
            "delivery.missing", count=len(job.missing_clips), clips=clip_numbers(job.missing_clips)
        )

    def buttons(self, job: Job) -> tuple[ButtonRow, ...]:
        """Return the card's button rows: Cancel while it waits or runs, Retry after a failure, the clips'.

        A partly delivered job's card adds "Post missing clips" under its clips' rows; every card
        ends with 🗑 Delete (``with_delete``).
        """
        if job.partly_delivered:
            missing = PostMissingButton(job.id, label=self.text("button.post_missing"))
            return (*self.clip_buttons(job)[: MAX_BUTTON_ROWS - 1], *rows_of([missing, self.delete(job)]))
        if job.clip_urls and job.status not in RETRYABLE:
            # A job that failed after its result came (not a video, say) offers Retry, not its URLs.
            return self.with_delete(self.clip_buttons(job), job)
        if job.status.is_active:
            return rows_of([CancelButton(job.id, label=self.text("button.cancel")), self.delete(job)])
        if job.status in RETRYABLE:
            return rows_of([RetryButton(job.id, label=self.text("button.retry")), self.delete(job)])
        return rows_of([self.delete(job)])

    def delete(self, job: Job) -> DeleteButton:
        """Return the card's 🗑 Delete button (issue 22)."""
        return DeleteButton(job.id, label=self.text("button.delete"))

    def with_delete(self, rows: tuple[ButtonRow, ...], job: Job) -> tuple[ButtonRow, ...]:
        """Return the clips' ``rows`` and 🗑 Delete: a row of its own, or last in the fifth row."""
        if len(rows) < MAX_BUTTON_ROWS:
            return (*rows, (self.delete(job),))
        return (*rows[:-1], (*rows[-1], self.delete(job)))

    def with_post_button(self, job: Job, rows: tuple[ButtonRow, ...]) -> tuple[ButtonRow, ...]:
        """Add "Post to channel" under a private job's finished card (in the last row when all are used)."""
        # Where the bot is not a member its token cannot post: nothing to offer there.
        if not job.private or job.webhook_only or job.status is not JobStatus.DELIVERED:
            return rows
        post = PostToChannelButton(job.id, label=self.text("button.post_to_channel"))
        if len(rows) < MAX_BUTTON_ROWS:
            return (*rows, *rows_of([post]))
        return (*rows[:-1], *rows_of([*rows[-1], post]))

    def clip_buttons(self, job: Job) -> tuple[ButtonRow, ...]:
        """Return one row per clip: Extend (low), Extend (high), Extend with a prompt…, the original file.

        At most 4 buttons in each of at most 5 rows: with the container, texts, gallery and separator
        the card stays under Discord's 40 components (README, "The job card"). At the extension limit
        the Extend buttons stay, disabled, so the card keeps its shape.
        """
        can_extend = job.extension_count < MAX_EXTENSIONS
        rows: list[list[discord.ui.Item[Any]]] = []
        for index, url in enumerate(job.clip_urls[:MAX_BUTTON_ROWS]):
            row: list[discord.ui.Item[Any]] = []
            for motion, key in ((Motion.LOW, "button.extend_low"), (Motion.HIGH, "button.extend_high")):
                label = self.text(key, clip=index + 1)
                row.append(ExtendButton(job.id, index, motion, label=label, disabled=not can_extend))
            label = self.text("button.extend_prompt", clip=index + 1)
            row.append(ExtendPromptButton(job.id, index, label=label, disabled=not can_extend))
            if len(url) <= MAX_URL_LENGTH:
                label = self.text("button.original", clip=index + 1)[:80]
                row.append(discord.ui.Button(label=label, url=url))
            rows.append(row)
        return rows_of(*rows)

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
        if job.partly_delivered:
            posted = len(job.clip_urls) - len(job.missing_clips)
            return self.text("card.state.partly_delivered", count=len(job.clip_urls), posted=posted)
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
        if kind == "no_capacity" and job.quality is Quality.HD and job.parent_job_id is None:
            return self.text("failure.no_capacity_hd")  # a new video may be asked for in 480p instead
        return self.text(f"failure.{kind}", reason=reason)

    def _request_fields(
        self, requester_id: int, motion: Motion, quality: Quality, prompt: str
    ) -> list[tuple[str, str]]:
        # Member-written: shown literally, so it can carry no masked link, mention or markup.
        shown = literal(shorten(prompt, PROMPT_PREVIEW), FIELD_LIMIT) if prompt else None
        return [
            (self.text("card.requester"), f"<@{requester_id}>"),
            (self.text("card.motion"), self.text(f"motion.{motion.value}")),
            (self.text("card.quality"), self.text(f"quality.{quality.value}")),
            (self.text("card.prompt"), shown or self.text("card.no_prompt")),
        ]

    def options_text(self, options: VideoOptions) -> str:
        """Return "4 clips · loop · raw · end frame": the clips, then each option that is on."""
        parts = [self.text("options.clips", count=options.clips)]
        switches = (("options.loop", options.loop), ("options.raw", options.raw))
        parts += [self.text(key) for key, on in (*switches, ("options.end_frame", options.end_frame)) if on]
        return " · ".join(parts)

    def _price_field(self, price: int | None) -> list[tuple[str, str]]:
        """Return the "Price" field, or none without a price table or a price to show."""
        if self._prices is None or price is None:
            return []
        return [(self.text("card.price"), self._prices.format(Money(price)))]

    def options_field(self, options: VideoOptions) -> tuple[str, str]:
        """Return the card's "Options" field."""
        return (self.text("card.options"), self.options_text(options))

    def _timing(self, job: Job, now: dt.datetime) -> tuple[str, str]:
        if job.status.is_final:
            value = self._duration(job, now)
        else:
            value = f"<t:{discord_timestamp(job.created_at)}:R>"
        return (self.text("card.elapsed"), value)

    def _duration(self, job: Job, now: dt.datetime) -> str:
        end = job.delivered_at or job.finished_at or now
        return self._catalogue.format_duration((end - job.created_at).total_seconds(), self.lang)

    def _link_note(self, clip: Note) -> str:
        return self.text(clip.key, **clip.params)


def clip_numbers(indexes: Sequence[int]) -> str:
    """Return 0-based clip indexes as the 1-based numbers a member reads: "3, 4"."""
    return ", ".join(str(index + 1) for index in sorted(indexes))
