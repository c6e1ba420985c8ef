"""/queue: the server's running and waiting videos (the member's own marked) and the provider's state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import Refusal
from bot.client import interaction_lang, key_str, refuse, text, within_deadline
from bot.i18n import Lang, discord_timestamp
from bot.models import Job
from bot.provider import ProviderCondition, ProviderState
from bot.tracking import QueueView
from cogs.commands._jobs import LIST_COLOUR, card_url

if TYPE_CHECKING:
    from bot.client import MotionBot

SHOWN_PER_LIST = 10  # keeps the answer short and far under the embed's 4,096 characters


class Queue(commands.Cog):
    """Shows the server's queue."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services

    @app_commands.command(
        name=key_str("queue", "commands.queue.name"),
        description=key_str("Videos running and waiting in this server", "commands.queue.description"),
    )
    @app_commands.guild_only()
    async def queue(self, interaction: discord.Interaction) -> None:
        """Show, privately, what runs and waits in this server and how the video service is doing."""
        assert interaction.guild_id is not None, "guild_only"
        try:
            view = await within_deadline(self._view(interaction.guild_id))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        lang = interaction_lang(interaction)
        embed = self.queue_embed(lang, view, self.services.tracker.provider_state, interaction.user.id)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def _view(self, guild_id: int) -> QueueView:
        # In memory (the tracker's own state), bounded lists: no query per interaction.
        return self.services.tracker.queue_view(guild_id, SHOWN_PER_LIST)

    def queue_embed(
        self, lang: Lang, view: QueueView, provider: ProviderState, user_id: int
    ) -> discord.Embed:
        """Return the /queue answer."""
        lines: list[str] = []
        if view.running_total:
            lines.append(text(self.bot, lang, "queue.running", count=view.running_total))
            lines.extend(self._running_line(lang, job, user_id) for job in view.running)
            lines.extend(self._more(lang, view.running_total - len(view.running)))
        if view.waiting_total:
            lines.append(text(self.bot, lang, "queue.waiting", count=view.waiting_total))
            lines.extend(self._waiting_line(lang, place, job, user_id) for place, job in view.waiting)
            lines.extend(self._more(lang, view.waiting_total - len(view.waiting)))
        if not lines:
            lines.append(text(self.bot, lang, "queue.empty"))
        lines.append("")
        lines.append(self._provider_line(lang, provider))
        return discord.Embed(
            title=text(self.bot, lang, "queue.title"), description="\n".join(lines), colour=LIST_COLOUR
        )

    def _running_line(self, lang: Lang, job: Job, user_id: int) -> str:
        status = text(self.bot, lang, f"status.{job.status.value}")
        return text(
            self.bot,
            lang,
            "queue.running_entry",
            job_id=job.id,
            user_id=job.requester_id,
            status=status,
            **self._marks(lang, job, user_id),
        )

    def _waiting_line(self, lang: Lang, place: int, job: Job, user_id: int) -> str:
        marks = self._marks(lang, job, user_id)
        return text(
            self.bot,
            lang,
            "queue.waiting_entry",
            place=place,
            job_id=job.id,
            user_id=job.requester_id,
            **marks,
        )

    def _marks(self, lang: Lang, job: Job, user_id: int) -> dict[str, object]:
        url = card_url(job)
        return {
            "mine": text(self.bot, lang, "queue.mine") if job.requester_id == user_id else "",
            "link": text(self.bot, lang, "queue.link", url=url) if url is not None else "",
        }

    def _more(self, lang: Lang, count: int) -> list[str]:
        return [text(self.bot, lang, "queue.more", count=count)] if count > 0 else []

    def _provider_line(self, lang: Lang, provider: ProviderState) -> str:
        if provider.condition is ProviderCondition.NORMAL or provider.since is None:
            return text(self.bot, lang, "queue.provider_normal")
        key = (
            "queue.provider_busy"
            if provider.condition is ProviderCondition.BUSY
            else "queue.provider_unreachable"
        )
        return text(self.bot, lang, key, since=discord_timestamp(provider.since))
