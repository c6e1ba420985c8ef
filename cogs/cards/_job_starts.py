"""Job starts behind their card: the card was sent as the reply to an interaction, the job starts here.

The reply goes out first (within Discord's 3-second deadline); the slow part (downloading and
checking the image, taking the quota slot, storing the job) runs here in an owned task. A refusal
found then withdraws the card and tells the user privately what to fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord

from bot.checks import Refusal
from bot.client import apologize, refuse
from bot.models import Job
from cogs.cards._cards import loaded_cards
from cogs.cards._editor import CardEditor

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

StartJob = Callable[[int | None], Awaitable[Job]]


class JobStarts:
    """Starts jobs whose card is already posted, each in an owned task; a refusal withdraws the card."""

    def __init__(self, bot: MotionBot) -> None:
        self._bot = bot
        self._editor = CardEditor(bot)
        self._tasks: set[asyncio.Task[None]] = set()

    def begin(
        self, interaction: discord.Interaction, card_id: int | None, start: StartJob, what: str
    ) -> None:
        """Call ``start(card_id)`` in an owned task; ``what`` names the work in logs."""
        task = asyncio.create_task(self._run(interaction, card_id, start, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for job starts still running (at unload)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=grace)

    async def _run(
        self, interaction: discord.Interaction, card_id: int | None, start: StartJob, what: str
    ) -> None:
        try:
            job = await start(card_id)
        except Refusal as refusal:
            await self._withdraw(interaction, card_id)
            await refuse(interaction, refusal)
            return
        except Exception as exc:
            await self._withdraw(interaction, card_id)
            await apologize(interaction, exc, what)
            return
        cards = loaded_cards(self._bot)
        if cards is not None:
            await cards.progressed(job)

    async def _withdraw(self, interaction: discord.Interaction, card_id: int | None) -> None:
        if card_id is not None and interaction.channel_id is not None:
            await self._editor.delete(interaction.channel_id, card_id, interaction.token)
