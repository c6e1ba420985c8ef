"""The "Post missing clips" button under a job whose clips did not all reach Discord (issue 18, item 9).

Only the job's requester, or a member with Manage Messages in the job's channel, may press it, and
only on the job's own card (``buttons_everyone`` does not open it: the clips go to a public channel
on the requester's account). The press is answered privately at once (a thinking message), then the
missing clips are fetched again (archive, else provider) and posted in a reply to the card; the card
becomes fully delivered once they are all there. A restart loses nothing: the button's custom id
names the job, and clips a press posted before a crash are found on Discord, not posted twice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.checks import Refusal
from bot.client import apologize, checked_before_answer, interaction_lang, reply_ephemeral, text
from bot.media import check_not_deleted
from bot.models import Job
from cogs.buttons._press_checks import clicked_where_it_lives
from cogs.cards import ClipDelivery, PostMissingButton, Reposted, clip_numbers, loaded_cards

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)


class MissingClips(commands.Cog):
    """Posts the missing clips of partly delivered jobs on request."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._busy: set[int] = set()  # jobs whose missing clips are being posted by this process

    async def cog_load(self) -> None:
        """Register the persistent button so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(PostMissingButton)

    async def cog_unload(self) -> None:
        """Unregister the button."""
        self.bot.remove_dynamic_items(PostMissingButton)

    async def missing_clicked(self, interaction: discord.Interaction, job_id: int) -> None:
        """Post a partly delivered job's missing clips, after checking who asks and where."""
        what = f"checking a post of job {job_id}'s missing clips"
        job = await checked_before_answer(interaction, self._pressable(interaction, job_id), what)
        if job is None:
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        self._busy.add(job.id)
        try:
            result = await self._delivery().repost_missing(job)
        except Exception as exc:
            await apologize(interaction, exc, f"posting the missing clips of job {job.id}")
            return
        finally:
            self._busy.discard(job.id)
        log.info("job %s: missing clips posted again by user %s", job.id, interaction.user.id)
        await reply_ephemeral(interaction, self._answer(interaction, result))

    async def _pressable(self, interaction: discord.Interaction, job_id: int) -> Job:
        """Return the job if this member may post its missing clips from here (reads only)."""
        job = await self.services.store.get_job(job_id)
        if job is None:
            raise Refusal("error.job_not_found")
        if not clicked_where_it_lives(interaction, job):
            raise Refusal("error.button_elsewhere")
        check_not_deleted(job)
        if interaction.user.id != job.requester_id and not interaction.permissions.manage_messages:
            raise Refusal("missing.not_allowed", job_id=job.id)
        if not job.partly_delivered:
            raise Refusal("missing.none", job_id=job.id)
        if job.id in self._busy:
            raise Refusal("missing.busy", job_id=job.id)
        return job

    def _delivery(self) -> ClipDelivery:
        cards = loaded_cards(self.bot)
        if cards is None:
            raise RuntimeError("the Cards cog is not loaded")
        return cards.delivery

    def _answer(self, interaction: discord.Interaction, result: Reposted) -> str:
        """Return the private answer: what was posted, refused, gone, or too large to attach here."""
        lang = interaction_lang(interaction)
        job_id = result.job.id
        parts = [("missing.posted", result.posted), ("missing.failed", result.refused)]
        parts += [("missing.gone", result.gone), ("missing.too_large", result.too_large)]
        lines = [
            text(self.bot, lang, key, job_id=job_id, count=len(clips), clips=clip_numbers(clips))
            for key, clips in parts
            if clips
        ]
        return "\n".join(lines) or text(self.bot, lang, "missing.none", job_id=job_id)
