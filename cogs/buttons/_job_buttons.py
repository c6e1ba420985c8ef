"""Cancel buttons under waiting and running jobs, Retry buttons under failed ones.

Both follow the Extend buttons' rules (``cogs.buttons``): the click must come from the job's server,
channel and card; only the requester or a member with Manage Messages may press them, even where the
server's ``buttons_everyone`` lets everyone press Extend (``bot.access.press_rules``); reads before the first
answer are bounded by ``checked_before_answer`` and nothing is written before it. Retry starts a job, so it
also follows the server's permissions of ``/animate`` (``cogs.command_access``). Cancel does not: it only
stops spending, and a member whose access was taken away after starting a job must still be able to stop it.

Cancel of a job still waiting answers by updating the card itself (a deferred update, then the
tracker's CANCELLED event edits the card), so the channel sees the job was stopped; it is free. A job
already at the video service cannot be recalled and is billed all the same (issue 21), so Cancel first
asks privately, naming what it will be charged, and only "Cancel anyway" (same checks, on that private
question in the job's channel) cancels it. A job that already finished gets a private "too late".
Retry starts a new job with the same options, like any new job (intake, quotas), from the image
fetched again from Discord.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.budget import Money, PriceTable
from bot.checks import MIN_SIDE, ExtendJobRequest, ImageRef, JobRequest, Refusal
from bot.client import (
    apologize,
    checked_before_answer,
    interaction_lang,
    refuse,
    text,
)
from bot.i18n import resolve_locale
from bot.models import Job, JobStatus
from bot.store import CancelWouldCharge, TooLateToCancel
from cogs.buttons._press_checks import (
    StartPlace,
    check_channel_open,
    check_quotas,
    pressed_job,
    start_place,
)
from cogs.cards import (
    NO_PING,
    RETRYABLE,
    CancelButton,
    CancelConfirmButton,
    CardRenderer,
    JobStarts,
    RetryButton,
)
from cogs.triggers import find_image

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

TOO_LATE_KEYS = {
    JobStatus.SUCCEEDED: "cancel.too_late_delivering",
    JobStatus.DELIVERED: "cancel.too_late_delivered",
    JobStatus.FAILED: "cancel.too_late_failed",
    JobStatus.TIMED_OUT: "cancel.too_late_failed",
    JobStatus.CANCELLED: "cancel.already_cancelled",
}


def too_late(job_id: int, status: JobStatus) -> Refusal:
    """Return the refusal for cancelling a job that is already ``status``."""
    return Refusal(TOO_LATE_KEYS.get(status, "cancel.too_late_delivered"), job_id=job_id)


class JobButtons(commands.Cog):
    """Handles Cancel and Retry clicks."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.job_starts = JobStarts(bot)

    async def cog_load(self) -> None:
        """Register the persistent buttons so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(CancelButton, CancelConfirmButton, RetryButton)

    async def cog_unload(self) -> None:
        """Unregister the buttons and let retries being started finish."""
        self.bot.remove_dynamic_items(CancelButton, CancelConfirmButton, RetryButton)
        await self.job_starts.drain(grace=5)

    # -- cancel ----------------------------------------------------------------------------------

    async def cancel_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Cancel a waiting job (free; the card answers), or ask first about one at the provider."""
        checks = self._cancellable(interaction, job_id)
        job = await checked_before_answer(interaction, checks, f"checking a cancel of job {job_id}")
        if job is None:
            return
        if job.status is not JobStatus.QUEUED:
            await self._ask_to_confirm(interaction, job)
            return
        # Answered before the write: a deferred update of the card, which the CANCELLED event edits.
        await interaction.response.defer()
        await self._cancel(interaction, job, free_only=True)

    async def cancel_confirmed(self, interaction: discord.Interaction, job_id: int) -> None:
        """Cancel a job already at the provider after "Cancel anyway"; it stays charged."""
        checks = self._cancellable(interaction, job_id, private=True)
        job = await checked_before_answer(interaction, checks, f"checking a confirmed cancel of job {job_id}")
        if job is None:
            return
        answer = self._text(interaction, "cancel.confirmed", job_id=job.id, price=self._price(job))
        await interaction.response.edit_message(content=answer, view=None)
        await self._cancel(interaction, job, free_only=False)

    async def _cancel(self, interaction: discord.Interaction, job: Job, *, free_only: bool) -> None:
        """Cancel ``job`` after the first answer; a job that reached the provider meanwhile asks first."""
        try:
            await self.services.tracker.cancel(job.id, free_only=free_only)
        except CancelWouldCharge:
            await self._ask_to_confirm(interaction, job)
        except TooLateToCancel as exc:
            await refuse(interaction, too_late(job.id, exc.current))
        except Exception as exc:
            await apologize(interaction, exc, f"cancelling job {job.id}")
        else:
            log.info("job %s cancelled by user %s", job.id, interaction.user.id)

    async def _ask_to_confirm(self, interaction: discord.Interaction, job: Job) -> None:
        """Say privately that the job is at the provider and will be charged; offer "Cancel anyway"."""
        price = self._price(job)
        question = self._text(interaction, "cancel.confirm", job_id=job.id, price=price)
        label = self._text(interaction, "cancel.confirm_button", price=price)
        view = discord.ui.View(timeout=None)
        view.add_item(CancelConfirmButton(job.id, label=label))
        if interaction.response.is_done():
            await interaction.followup.send(question, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(question, view=view, ephemeral=True)

    async def _cancellable(
        self, interaction: discord.Interaction, job_id: int, *, private: bool = False
    ) -> Job:
        """Return the job if this member may cancel it here and it is not too late (reads only)."""
        job, _ = await pressed_job(self.services, interaction, job_id, "cancel", private=private)
        if job.status.is_final or job.status is JobStatus.SUCCEEDED:
            raise too_late(job.id, job.status)
        return job

    def _price(self, job: Job) -> str:
        return PriceTable.from_settings(self.services.settings).format(Money(job.price))

    def _text(self, interaction: discord.Interaction, key: str, **params: object) -> str:
        return text(self.bot, interaction_lang(interaction), key, **params)

    async def _pressable_job(self, interaction: discord.Interaction, job_id: int, action: str) -> Job:
        """Return the job if this member may press its buttons here (reads only)."""
        job, _ = await pressed_job(self.services, interaction, job_id, action)
        return job

    # -- retry -----------------------------------------------------------------------------------

    async def retry_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Start a new job with a failed job's options; its new card is the public answer."""
        checks = self._retryable(interaction, job_id)
        checked = await checked_before_answer(interaction, checks, f"checking a retry of job {job_id}")
        if checked is None:
            return
        failed, place = checked
        renderer = CardRenderer(
            self.services.catalogue, resolve_locale(str(interaction.locale)), self.services.prices
        )
        extension = failed.parent_job_id is not None  # priced again as what it is, at today's prices
        price = self.services.prices.job_price(failed.quality, failed.clips, extension=extension)
        card = renderer.pending(
            interaction.user.id, failed.motion, failed.quality, failed.prompt, failed.options, price
        )
        response = await interaction.response.send_message(
            view=card.layout(), allowed_mentions=NO_PING, ephemeral=failed.private
        )

        async def start(card_id: int | None) -> Job:
            job = await self._start_again(interaction, failed, place, card_id)
            # A timed-out job may still finish late; the retry replaces it, so only one is delivered.
            await self.services.tracker.replaced_by_retry(failed.id)
            return job

        self.job_starts.begin(interaction, response.message_id, start, f"retrying job {failed.id}")

    async def _retryable(self, interaction: discord.Interaction, job_id: int) -> tuple[Job, StartPlace]:
        """Return the failed job and where its retry runs, if this member may retry it (reads only).

        The retry runs in the failed job's channel, by that server's rules (even from a card in a DM).
        """
        job = await self._pressable_job(interaction, job_id, "retry")
        place = await start_place(interaction, job)
        if job.status not in RETRYABLE:
            raise Refusal("retry.not_failed", job_id=job.id)
        intake = self.services.intake
        overrides = await intake.guild_settings(job.guild_id)
        check_channel_open(self.services, overrides, job.channel_id, from_dm=place.from_dm)
        intake.check_accepting()
        await check_quotas(self.services, job, interaction.user.id, place)
        return job, place

    async def _start_again(
        self, interaction: discord.Interaction, failed: Job, place: StartPlace, card_id: int | None
    ) -> Job:
        """Store and enqueue the new job (after the card was sent); a refusal withdraws the card."""
        if failed.parent_job_id is not None:
            return await self._extend_again(interaction, failed, place, card_id)
        request = JobRequest(
            requester_id=interaction.user.id,
            guild_id=failed.guild_id,
            channel_id=failed.channel_id,
            source=failed.source,
            image=await self._image_again(failed),
            locale=str(interaction.locale),
            motion=failed.motion,
            quality=failed.quality,
            prompt=failed.prompt,
            source_message_id=failed.source_message_id,
            source_author_id=failed.source_author_id,
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
            clips=failed.clips,
            loop=failed.loop,
            raw=failed.raw,
            end_image=None if failed.end_image_url is None else stored_image(failed.end_image_url),
            role_ids=place.role_ids,
            private=failed.private,
            webhook_only=failed.webhook_only,
        )
        intake = self.services.intake
        request = await intake.precheck(request)
        try:
            return await intake.start(request, card_message_id=card_id)
        except Refusal as refusal:
            if refusal.key == "error.image_download_failed":
                # Gone from Discord's CDN (deleted, or its signed link expired).
                raise Refusal("retry.image_gone", job_id=failed.id) from None
            raise

    async def _extend_again(
        self, interaction: discord.Interaction, failed: Job, place: StartPlace, card_id: int | None
    ) -> Job:
        parent = await self.services.store.get_job(failed.parent_job_id or 0)
        if parent is None or failed.clip_index is None:
            raise Refusal("retry.image_gone", job_id=failed.id)
        request = ExtendJobRequest(
            parent=parent,
            clip_index=failed.clip_index,
            motion=failed.motion,
            requester_id=interaction.user.id,
            channel_id=failed.channel_id,
            locale=str(interaction.locale),
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
            prompt=failed.prompt,  # an extension's own prompt (Extend with a prompt…), else the parent's
            role_ids=place.role_ids,
        )
        return await self.services.intake.start_extension(request, card_message_id=card_id)

    async def _image_again(self, failed: Job) -> ImageRef:
        """Return the failed job's image as Discord has it now (host rule included)."""
        if failed.source_message_id is None:
            # A /animate attachment: only its stored URL is known. Discord checked its metadata the
            # first time; the downloaded bytes are checked again (type, size, sides) by the intake.
            return stored_image(failed.image_url)
        channel = self.bot.get_partial_messageable(failed.channel_id, guild_id=failed.guild_id)
        try:
            message = await channel.fetch_message(failed.source_message_id)
        except discord.NotFound:
            raise Refusal("retry.image_gone", job_id=failed.id) from None
        except discord.HTTPException:
            raise Refusal("error.image_download_failed") from None
        image = find_image(message, self.services.settings.image_host_policy.allows)
        if image is None:
            raise Refusal("retry.image_gone", job_id=failed.id)
        return image


def stored_image(url: str) -> ImageRef:
    """Describe an attachment known only by its stored URL (a /animate image or end image).

    Discord checked its metadata the first time; the downloaded bytes are checked again (type, size,
    sides) by the intake, with the same host rule.
    """
    return ImageRef(url=url, content_type=None, size=1, width=MIN_SIDE, height=MIN_SIDE)
