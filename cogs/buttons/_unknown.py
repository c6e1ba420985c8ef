"""A polite answer to buttons nobody handles (forged, or from an old version) and to stale forms."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.checks import Refusal
from bot.client import refuse
from cogs.cards import is_known
from cogs.triggers import answer_unknown_modal

log = logging.getLogger(__name__)


class UnknownInteractions(commands.Cog):
    """Answers clicks on buttons no handler knows, and submits of forms this process no longer has."""

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer clicks on buttons no handler knows (forged, or from an old version), and stale forms."""
        if interaction.type is discord.InteractionType.modal_submit:
            await answer_unknown_modal(interaction)
            return
        if interaction.type is not discord.InteractionType.component:
            return
        data: dict[str, object] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if is_known(custom_id) or interaction.response.is_done():
            return
        log.info("unknown button %r pressed by user %s", custom_id[:100], interaction.user.id)
        await refuse(interaction, Refusal("error.unknown_button"))
