"""The "Post to channel" button on a private job's finished card (issue 22, item 1).

A private job's card and clips reach only its requester (ephemeral, or by DM). The button posts the
finished card with its clips in the job's channel, on the requester's word alone: only the requester
may press it, only on the card itself (the ephemeral one or its DM), and the same checks as any post
hold (the server still lets Motionbot work in that channel, and Discord still lets it post there).
The bot posts for the requester only where they could post themselves: still a member, allowed to
see the channel and send messages there (not timed out). A job someone deleted is never posted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.checks import Refusal
from bot.client import apologize, checked_before_answer, interaction_lang, refuse, reply_ephemeral, text
from bot.media import check_not_deleted
from bot.models import Job, JobStatus
from cogs.cards import CardUnavailable, ClipDelivery, PostToChannelButton, loaded_cards, publish
from cogs.channel_access import user_access

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)


class PrivateResults(commands.Cog):
    """Posts private jobs publicly when their requester asks."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._busy: set[int] = set()  # jobs being posted by this process (a double press posts once)

    async def cog_load(self) -> None:
        """Register the persistent button so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(PostToChannelButton)

    async def cog_unload(self) -> None:
        """Unregister the button."""
        self.bot.remove_dynamic_items(PostToChannelButton)

    async def post_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Post a private job's card and clips in its channel, after checking who asks and where."""
        job = await checked_before_answer(
            interaction, self._postable(interaction, job_id), f"checking a post of private job {job_id}"
        )
        if job is None:
            return
        if job.id in self._busy:  # checked again with no await before the claim: a double press
            await refuse(interaction, Refusal("private.busy", job_id=job.id))
            return
        self._busy.add(job.id)
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            key = await self._publish(job)
        except Exception as exc:
            await apologize(interaction, exc, f"posting private job {job.id}")
            return
        finally:
            self._busy.discard(job.id)
        answer = text(
            self.bot, interaction_lang(interaction), key, job_id=job.id, channel=f"<#{job.channel_id}>"
        )
        await reply_ephemeral(interaction, answer)

    async def _publish(self, job: Job) -> str:
        """Post the job in its channel; return the catalogue key of the answer (posted, or refused there)."""
        try:
            await publish(self._delivery(), job)
        except (CardUnavailable, discord.Forbidden):
            return "private.refused"
        log.info("job %s: posted to its channel by its requester", job.id)
        return "private.posted"

    async def _postable(self, interaction: discord.Interaction, job_id: int) -> Job:
        """Return the job if its requester pressed the button on its own card and it may go public."""
        job = await self.services.store.get_job(job_id)
        message = interaction.message
        # A forged id on another message learns nothing about that job.
        if job is None or message is None or message.id != job.card_message_id:
            raise Refusal("error.button_elsewhere")
        if interaction.user.id != job.requester_id:
            raise Refusal("private.not_yours", job_id=job.id)
        check_not_deleted(job)  # a moderator's or the poster's delete stands
        if not job.private:
            raise Refusal("private.already_posted", job_id=job.id)
        if job.status is not JobStatus.DELIVERED:
            raise Refusal("private.not_ready", job_id=job.id)
        if job.id in self._busy:
            raise Refusal("private.busy", job_id=job.id)
        intake = self.services.intake
        intake.check_channel(await intake.guild_settings(job.guild_id), job.channel_id)
        await self._check_requester_may_post(job)
        return job

    async def _check_requester_may_post(self, job: Job) -> None:
        """Refuse unless the requester could post in the job's channel themselves, now.

        Where the bot is in no server of the job (a DM with it) there is nobody else to protect; a
        server the bot left makes the post fail on Discord's side anyway.
        """
        guild = self.bot.get_guild(job.guild_id) if job.guild_id is not None else None
        if guild is None:
            return
        access = await user_access(guild, job.requester_id, job.channel_id)
        if not (access.can_view and access.can_post):
            raise Refusal("private.cannot_post", job_id=job.id, channel=f"<#{job.channel_id}>")

    def _delivery(self) -> ClipDelivery:
        cards = loaded_cards(self.bot)
        if cards is None:
            raise RuntimeError("the Cards cog is not loaded")
        return cards.delivery
