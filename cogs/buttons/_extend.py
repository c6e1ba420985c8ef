"""Extend buttons under delivered jobs, and a polite answer to buttons nobody handles.

A click arrives with a fresh interaction token, so it works at any age of the original command
and after restarts (the DynamicItem rebuilds the button from its custom id).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.access import JobAction, check_may_press
from bot.checks import ExtendRequest, QuotaExceeded, Refusal
from bot.client import apologize, missing_channel_permissions, refuse, within_deadline
from bot.i18n import resolve_locale
from bot.intake import check_extendable
from bot.media import is_repost
from bot.models import GuildSettings, Job, Motion, VideoOptions
from cogs.cards import NO_PING, CardRenderer, ExtendButton, JobsPageButton, JobStarts, is_known
from cogs.command_access import command_access
from cogs.triggers import answer_unknown_modal

if TYPE_CHECKING:
    from bot.client import MotionBot, Services

log = logging.getLogger(__name__)


class Buttons(commands.Cog):
    """Handles Extend clicks and unknown buttons."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self.services = bot.services
        self.job_starts = JobStarts(bot)

    async def cog_load(self) -> None:
        """Register the persistent buttons so clicks dispatch after a restart."""
        self.bot.add_dynamic_items(ExtendButton, JobsPageButton)

    async def cog_unload(self) -> None:
        """Unregister the buttons and let extensions being started finish."""
        self.bot.remove_dynamic_items(ExtendButton, JobsPageButton)
        await self.job_starts.drain(grace=5)

    async def extend_clicked(
        self, interaction: discord.Interaction, job_id: int, clip: int, motion: Motion
    ) -> None:
        """Start a child job extending one clip, after checking who may and whether it can."""
        try:
            parent = await within_deadline(self._extendable_parent(interaction, job_id, clip))
        except Refusal as refusal:
            await refuse(interaction, refusal)
            return
        except Exception as exc:
            await apologize(interaction, exc, f"checking an extend of job {job_id}")
            return
        renderer = CardRenderer(self.services.catalogue, resolve_locale(str(interaction.locale)))
        options = VideoOptions(clips=parent.clips, raw=parent.raw)
        card = renderer.pending(interaction.user.id, motion, parent.quality, parent.prompt, options)
        response = await interaction.response.send_message(view=card.layout(), allowed_mentions=NO_PING)
        request = ExtendRequest(
            parent=parent,
            clip_index=clip,
            motion=motion,
            requester_id=interaction.user.id,
            channel_id=interaction.channel_id or parent.channel_id,
            locale=str(interaction.locale),
            interaction_token=interaction.token,
            token_expires_at=interaction.expires_at,
            attachment_size_limit=interaction.filesize_limit,
        )

        async def start(card_id: int | None) -> Job:
            return await self.services.intake.start_extension(request, card_message_id=card_id)

        self.job_starts.begin(interaction, response.message_id, start, f"extending job {parent.id}")

    async def _extendable_parent(self, interaction: discord.Interaction, job_id: int, clip: int) -> Job:
        return await extendable_parent(self.services, interaction, job_id, clip)

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


async def extendable_parent(
    services: Services, interaction: discord.Interaction, job_id: int, clip: int
) -> Job:
    """Return the job whose clip ``interaction`` may extend now, else raise the ``Refusal`` saying why.

    Reads only (run it under ``within_deadline`` before the first answer): where the click came from,
    who pressed, ``/animate``'s permissions in the server, the channel allow-list, whether the bot
    takes jobs, the clip, the bot's channel permissions, quotas.
    """
    parent, overrides = await pressed_job(services, interaction, job_id, "extend")
    await command_access(interaction.client).check_interaction(interaction)
    services.intake.check_channel(overrides, interaction.channel_id or parent.channel_id)
    services.intake.check_accepting()
    check_extendable(parent, clip)
    if missing_channel_permissions(interaction.app_permissions):
        raise Refusal("error.missing_permissions")
    try:
        await services.quotas.check(parent.guild_id, interaction.user.id)
    except QuotaExceeded as exc:
        raise Refusal.wrap(exc) from None
    return parent


async def pressed_job(
    services: Services, interaction: discord.Interaction, job_id: int, action: str
) -> tuple[Job, GuildSettings | None]:
    """Return the job a button names and its server's settings, if this member may press it here.

    Every job button goes through this (reads only): the job must exist, the click must come from
    its card (or a ``/show`` re-post of it) in its own server, and the member must be allowed to
    press ``action`` ("extend", "cancel" or "retry": ``bot.access.press_rules``).
    """
    job = await services.store.get_job(job_id)
    if job is None:
        raise Refusal("error.job_not_found")
    if not clicked_where_it_lives(interaction, job) and not await clicked_on_repost(
        services, interaction, job
    ):
        # Checked before anything else so a forged id learns nothing about the other job.
        log.info(
            "%s of job %s refused: clicked in guild %s channel %s by user %s",
            action,
            job.id,
            interaction.guild_id,
            interaction.channel_id,
            interaction.user.id,
        )
        raise Refusal("error.button_elsewhere")
    overrides = await services.intake.guild_settings(job.guild_id)
    moderator = interaction.permissions.manage_messages
    check_may_press(
        JobAction(action), job, user_id=interaction.user.id, moderator=moderator, settings=overrides
    )
    return job, overrides


def clicked_where_it_lives(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from the job's server and channel (and its card, when known).

    Extend ids are guessable, so a button naming a job of another server or channel is forged: it
    must not spend that server's quota nor show its prompt and clips here.
    """
    if interaction.guild_id != job.guild_id or interaction.channel_id != job.channel_id:
        return False
    message = interaction.message
    return message is None or job.card_message_id is None or message.id == job.card_message_id


async def clicked_on_repost(services: Services, interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from a ``/show`` re-post of ``job`` in the job's own server.

    Only messages the bot recorded as re-posts count, and never in another server: a forged id on
    any other message is still refused as coming from elsewhere.
    """
    message = interaction.message
    if message is None or interaction.guild_id is None or interaction.guild_id != job.guild_id:
        return False
    return await is_repost(services.store, message.id, job)
