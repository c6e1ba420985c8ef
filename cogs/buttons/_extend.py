"""Extend buttons under delivered jobs: a click starts a child job extending one clip.

A click arrives with a fresh interaction token, so it works at any age of the original command
and after restarts (the DynamicItem rebuilds the button from its custom id).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.checks import ExtendJobRequest
from bot.client import checked_before_answer
from bot.i18n import resolve_locale
from bot.models import Job, Motion, VideoOptions
from cogs.buttons._press_checks import extendable_parent
from cogs.cards import NO_PING, CardRenderer, ExtendButton, JobStarts

if TYPE_CHECKING:
    from bot.client import MotionBot


class Extend(commands.Cog):
    """Handles Extend clicks."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.job_starts = JobStarts(bot)

    async def cog_load(self) -> None:
        """Register the persistent button so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(ExtendButton)

    async def cog_unload(self) -> None:
        """Unregister the button and let extensions being started finish."""
        self.bot.remove_dynamic_items(ExtendButton)
        await self.job_starts.drain(grace=5)

    async def extend_clicked(
        self, interaction: discord.Interaction, job_id: int, clip: int, motion: Motion
    ) -> None:
        """Start a child job extending one clip, after checking who may and whether it can."""
        checks = extendable_parent(self.services, interaction, job_id, clip)
        checked = await checked_before_answer(interaction, checks, f"checking an extend of job {job_id}")
        if checked is None:
            return
        parent, place = checked
        renderer = CardRenderer(
            self.services.catalogue, resolve_locale(str(interaction.locale)), self.services.prices
        )
        options = VideoOptions(clips=parent.clips, raw=parent.raw)
        price = self.services.intake.extension_price(parent)
        card = renderer.pending(interaction.user.id, motion, parent.quality, parent.prompt, options, price)
        response = await interaction.response.send_message(
            view=card.layout(), allowed_mentions=NO_PING, ephemeral=parent.private
        )
        request = ExtendJobRequest(
            parent=parent,
            clip_index=clip,
            motion=motion,
            requester_id=interaction.user.id,
            channel_id=place.channel_id,
            locale=str(interaction.locale),
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
            role_ids=place.role_ids,
        )

        async def start(card_id: int | None) -> Job:
            return await self.services.intake.start_extension(request, card_message_id=card_id)

        self.job_starts.begin(interaction, response.message_id, start, f"extending job {parent.id}")
