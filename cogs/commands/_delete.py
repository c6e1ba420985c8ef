"""Deleting a job (issue 22, item 4): the 🗑 button on its card and ``/delete job:<id>``.

Who may, by ``bot.media.check_may_delete``: the member who made it, the member who posted its image,
and moderators (Manage Messages in the job's own channel); a job of another server or of a channel
the member cannot see does not exist for them. The same rule answers the button, wherever it sits
(the card or a ``/show`` re-post): it decides who, not where. From anywhere else (the bot's DM, a group
DM, a server without the bot: ``/delete`` is offered there as ``/animate`` is, and a DM card has 🗑 too)
only the member who made it or posted its image may, and the job's own server still hides a channel
they cannot see (``bot.media.check_may_delete_elsewhere``).

A job still waiting is cancelled first (free); one already at the video service is charged all the
same (issue 21), so the member is asked privately first and only "Delete anyway" deletes it. A job
whose clips are being posted right now is refused for a moment. Deleting marks the job deleted (no
path shows it again, its ledger row stays), then removes the bot's messages of it (the card, its
clip replies, ``/show`` re-posts and their replies: every one the store recorded) and its archived
clips. The answer is private.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.budget import Money, PriceTable
from bot.checks import Refusal
from bot.client import (
    apologize,
    checked_before_answer,
    interaction_lang,
    key_str,
    refuse,
    reply_ephemeral,
    text,
)
from bot.media import ArchiveError, ChannelAccess, check_may_delete, check_may_delete_elsewhere
from bot.models import Job, JobStatus
from bot.store import CancelWouldCharge, TooLateToCancel
from cogs.cards import DeleteButton, DeleteConfirmButton, Reach, allow_user_installs, reach_of
from cogs.channel_access import member_access, user_access
from cogs.commands._delete_messages import MessageRemover, Removal
from cogs.commands._show import MAX_JOB_ID

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)


class Delete(commands.Cog):
    """Deletes jobs on request of those allowed: their posts, their archived clips; the cost stays."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.remover = MessageRemover(bot)
        if self.services.settings.user_install != "off":
            allow_user_installs(self.delete)  # where /animate can start a job, /delete can end it

    async def cog_load(self) -> None:
        """Register the persistent buttons so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(DeleteButton, DeleteConfirmButton)

    async def cog_unload(self) -> None:
        """Unregister the buttons."""
        self.bot.remove_dynamic_items(DeleteButton, DeleteConfirmButton)

    @app_commands.command(
        name=key_str("delete", "commands.delete.name"),
        description=key_str(
            "Delete a video: its card, its clips and the copies kept", "commands.delete.description"
        ),
    )
    @app_commands.rename(job=key_str("job", "commands.delete.job_name"))
    @app_commands.describe(
        job=key_str("The video's number, as /jobs lists it", "commands.delete.job_description")
    )
    @app_commands.guild_only()
    async def delete(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1, MAX_JOB_ID]
    ) -> None:
        """Delete job ``job``, after checking who asks (a job at the provider asks first)."""
        await self._delete(interaction, job, confirmed=False)

    async def delete_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Delete the job of a card's 🗑 button (a job at the provider asks first)."""
        await self._delete(interaction, job_id, confirmed=False)

    async def delete_confirmed(self, interaction: discord.Interaction, job_id: int) -> None:
        """Delete a job already at the provider after "Delete anyway"; it stays charged."""
        await self._delete(interaction, job_id, confirmed=True)

    async def _delete(self, interaction: discord.Interaction, job_id: int, *, confirmed: bool) -> None:
        checks = self._deletable(interaction, job_id)
        job = await checked_before_answer(interaction, checks, f"checking a delete of job {job_id}")
        if job is None:
            return
        if job.deleted:
            await self._delete_again(interaction, job)
            return
        if job.status.is_active and job.status is not JobStatus.QUEUED and not confirmed:
            await self._ask_to_confirm(interaction, job)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            stopped = await self._stop(job, free_only=not confirmed)
            left = await self._remove(stopped)
        except CancelWouldCharge:
            await self._ask_to_confirm(interaction, job)  # it reached the provider meanwhile
        except Refusal as refusal:
            await refuse(interaction, refusal)
        except Exception as exc:
            await apologize(interaction, exc, f"deleting job {job.id}")
        else:
            log.info("job %s deleted by user %s", job.id, interaction.user.id)
            await reply_ephemeral(interaction, self._done_text(interaction, job, left))

    async def _deletable(self, interaction: discord.Interaction, job_id: int) -> Job:
        """Return the job if this member may delete it now (reads only: before the first answer)."""
        job = await self.services.store.get_job(job_id)
        in_server = reach_of(self.bot, interaction) is Reach.SERVER
        if in_server and job is not None and job.guild_id == interaction.guild_id:
            check_may_delete(job, interaction.user.id, await member_access(interaction, job.channel_id))
            return job
        access = await self._access_elsewhere(job, interaction.user.id)
        refusal = "show.not_found" if in_server else "delete.not_found"
        return check_may_delete_elsewhere(job, job_id, interaction.user.id, access, refusal=refusal)

    async def _access_elsewhere(self, job: Job | None, user_id: int) -> ChannelAccess | None:
        """Return the member's access in the job's channel when its server hosts the bot, else None."""
        guild = self.bot.get_guild(job.guild_id) if job is not None and job.guild_id else None
        if job is None or guild is None:
            return None
        return await user_access(guild, user_id, job.channel_id)

    async def _stop(self, job: Job, *, free_only: bool) -> Job:
        """Return the job once nothing more happens to it: a waiting or running one is cancelled.

        A timed-out job is no longer watched for a late result. ``CancelWouldCharge`` when
        ``free_only`` and the job reached the provider; ``delete.delivering`` once its clips are
        being posted.
        """
        tracker = self.services.tracker
        if job.status.is_active:
            try:
                return await tracker.cancel(job.id, free_only=free_only)
            except TooLateToCancel:
                current = await self.services.store.get_job(job.id)
                if current is None or current.status is JobStatus.SUCCEEDED:
                    raise Refusal("delete.delivering", job_id=job.id) from None
                return current
        if job.status is JobStatus.TIMED_OUT:
            await tracker.replaced_by_retry(job.id)
        return job

    async def _delete_again(self, interaction: discord.Interaction, job: Job) -> None:
        """Remove what is left of a job deleted before (a refused message, clips the archive kept)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            left = await self._remove(job)
        except Exception as exc:
            await apologize(interaction, exc, f"deleting job {job.id} again")
            return
        log.info("job %s deleted again by user %s", job.id, interaction.user.id)
        await reply_ephemeral(interaction, self._done_text(interaction, job, left, key="delete.again"))

    async def _remove(self, job: Job) -> Removal:
        """Mark the job deleted, then remove its messages and archived clips; return what stayed."""
        deleted = await self.services.store.mark_deleted(job.id)
        removal = await self.remover.remove(deleted)
        try:
            await self.services.archive.delete(job.id)
        except ArchiveError as exc:
            # Already refused by every path; a later delete of the same job tries the archive again.
            log.warning("job %s: its archived clips were not removed: %s", job.id, exc)
            removal.archive_kept = True
        return removal

    async def _ask_to_confirm(self, interaction: discord.Interaction, job: Job) -> None:
        """Say privately that the job is at the provider and stays charged; offer "Delete anyway"."""
        lang = interaction_lang(interaction)
        price = PriceTable.from_settings(self.services.settings).format(Money(job.price))
        question = text(self.bot, lang, "delete.confirm", job_id=job.id, price=price)
        label = text(self.bot, lang, "delete.confirm_button", price=price)
        view = discord.ui.View(timeout=None)
        view.add_item(DeleteConfirmButton(job.id, label=label))
        if interaction.response.is_done():
            await interaction.followup.send(question, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(question, view=view, ephemeral=True)

    def _done_text(
        self, interaction: discord.Interaction, job: Job, left: Removal, *, key: str = "delete.done"
    ) -> str:
        lang = interaction_lang(interaction)
        lines = [text(self.bot, lang, key, job_id=job.id)]
        if left.archive_kept:
            lines.append(text(self.bot, lang, "delete.copies_left", job_id=job.id))
        if left.refused:
            lines.append(text(self.bot, lang, "delete.some_left", count=left.refused))
        if left.stranded:
            lines.append(text(self.bot, lang, "delete.stranded", count=left.stranded))
        return "\n".join(lines)
