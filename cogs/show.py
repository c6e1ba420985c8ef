"""/show job:<id>: re-post a delivered job here, publicly, with its clips and live buttons.

The clips come from the archive (``CLIP_ARCHIVE_DIR``) when it kept them, else from the provider
while its links still download; when neither has them the member is told privately and nothing
stays posted. The re-post is recorded (``bot.recall``) so its Extend buttons act on the job, only in
the job's own server (``cogs.buttons.clicked_on_repost``).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.delivery import ClipFile, LinkReason, plan_uploads
from bot.intake import Refusal
from bot.models import Job
from bot.recall import check_may_show, has_clips, record_repost
from cogs.card_render import CardRenderer
from cogs.clip_files import ClipSource, clip_file, clip_name
from cogs.common import (
    apologize,
    interaction_lang,
    missing_channel_permissions,
    refuse,
    reply_ephemeral,
    text,
    within_deadline,
)
from cogs.jobs import card_url
from cogs.translator import key_str

if TYPE_CHECKING:
    from bot.bot import MotionBot

log = logging.getLogger(__name__)

MAX_JOB_ID = 2**53  # larger ids are no job's, and Discord's integer options stop there
NO_MENTIONS = discord.AllowedMentions.none()


class Show(commands.Cog):
    """Re-posts a finished job on request."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services

    @app_commands.command(
        name=key_str("show", "commands.show.name"),
        description=key_str(
            "Post one of your videos here again, with its clips", "commands.show.description"
        ),
    )
    @app_commands.rename(job=key_str("job", "commands.show.job_name"))
    @app_commands.describe(
        job=key_str("The video's number, as /jobs lists it", "commands.show.job_description")
    )
    @app_commands.guild_only()
    async def show(
        self, interaction: discord.Interaction, job: app_commands.Range[int, 1, MAX_JOB_ID]
    ) -> None:
        """Re-post job ``job`` in this channel, after checking who asks and that it has clips."""
        try:
            found = await within_deadline(self._recallable(interaction, job))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        except Exception as exc:
            await apologize(interaction, exc, f"checking /show of job {job}")
            return
        if not has_clips(found):
            await reply_ephemeral(interaction, self._no_clips_text(interaction, found))
            return
        await interaction.response.defer(thinking=True)
        try:
            await self._repost(interaction, found)
        except Exception as exc:
            await apologize(interaction, exc, f"re-posting job {job}")

    async def _recallable(self, interaction: discord.Interaction, job_id: int) -> Job:
        """Return the job the member may re-post here (reads only: runs before the first answer)."""
        job = await self.services.store.get_job(job_id)
        moderator = interaction.permissions.manage_messages
        found = check_may_show(job, job_id, interaction.guild_id, interaction.user.id, moderator)
        overrides = await self.services.intake.guild_settings(found.guild_id)
        self.services.intake.check_channel(overrides, interaction.channel_id or found.channel_id)
        if missing_channel_permissions(interaction.app_permissions):
            raise Refusal("error.missing_permissions")
        return found

    def _no_clips_text(self, interaction: discord.Interaction, job: Job) -> str:
        lang = interaction_lang(interaction)
        status = text(self.bot, lang, f"status.{job.status.value}")
        url = card_url(job)
        if url is None:
            return text(self.bot, lang, "show.not_delivered", job_id=job.id, status=status)
        return text(self.bot, lang, "show.not_delivered_card", job_id=job.id, status=status, url=url)

    async def _repost(self, interaction: discord.Interaction, job: Job) -> None:
        limit = interaction.filesize_limit
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix=f"motionbot-show-{job.id}-"))
        try:
            clips = await self._gather(job, folder, limit)
            if all(clip.failure is LinkReason.UNAVAILABLE for clip in clips):
                await self._gone(interaction, job)
                return
            await self._post(interaction, job, clips, limit)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _gather(self, job: Job, folder: Path, limit: int) -> list[ClipFile]:
        """Return each clip from the archive when kept there, else downloaded from the provider.

        Fitted under ``limit`` as delivery does (an archived original is never touched).
        """
        return await self._source().fetch(job, range(len(job.clip_urls)), folder, limit)

    def _source(self) -> ClipSource:
        """Return delivery's clip source (its download and encode bounds), or one of our own."""
        cards = self.bot.get_cog("Cards")
        source = getattr(getattr(cards, "delivery", None), "source", None)
        return source if isinstance(source, ClipSource) else ClipSource(self.services)

    async def _gone(self, interaction: discord.Interaction, job: Job) -> None:
        """Take back the public "thinking…" answer and tell the member privately."""
        log.info("/show of job %s: its clips are neither archived nor at the provider", job.id)
        await interaction.delete_original_response()
        lang = interaction_lang(interaction)
        await interaction.followup.send(text(self.bot, lang, "show.gone", job_id=job.id), ephemeral=True)

    async def _post(
        self, interaction: discord.Interaction, job: Job, clips: Sequence[ClipFile], limit: int
    ) -> None:
        renderer = CardRenderer(self.services.catalogue, interaction_lang(interaction))
        plan = plan_uploads(clips, per_file_limit=limit)
        first = plan.messages[0] if plan.messages else ()
        # The re-post carries every clip, so it is complete even when the card still misses some.
        whole = replace(job, missing_clips=())
        card = renderer.job(whole, linked=plan.notes, gallery=[clip_name(job, clip.index) for clip in first])
        # Filling the deferred answer in by an edit, not a follow-up: Discord ignores a follow-up's
        # flags there, and a Components V2 card needs its flag.
        message = await interaction.edit_original_response(
            view=card.layout(),
            attachments=[clip_file(job, clip) for clip in first],
            allowed_mentions=NO_MENTIONS,
        )
        await record_repost(self.services.store, message.id, job)
        for batch in plan.messages[1:]:
            await interaction.followup.send(
                content=renderer.text("delivery.more_clips", job_id=job.id),
                files=[clip_file(job, clip) for clip in batch],
                wait=True,
            )


async def setup(bot: MotionBot) -> None:
    """Load the Show cog."""
    await bot.add_cog(Show(bot))
