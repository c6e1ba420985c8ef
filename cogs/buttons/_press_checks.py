"""Who may press a job's button, and where: the checks every job button runs before its first answer.

Reads only (run them under ``checked_before_answer``): the job exists, the click comes from its card (or a
``/show`` re-post of it) in its own server, the member may press this action (``bot.access``), and
for Extend the server's ``/animate`` permissions, channel rules, quotas and the clip itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.access import JobAction, check_may_press
from bot.checks import QuotaExceeded, Refusal
from bot.client import missing_channel_permissions
from bot.intake import check_extendable
from bot.media import check_not_deleted, is_repost
from bot.models import GuildSettings, Job
from cogs.command_access import command_access

if TYPE_CHECKING:
    from bot.client import Services

log = logging.getLogger(__name__)


async def extendable_parent(
    services: Services, interaction: discord.Interaction, job_id: int, clip: int
) -> Job:
    """Return the job whose clip ``interaction`` may extend now, else raise the ``Refusal`` saying why.

    Reads only (run it under ``checked_before_answer`` before the first answer): where the click came from,
    who pressed, ``/animate``'s permissions in the server, the channel allow-list, whether the bot
    takes jobs, the clip, the bot's channel permissions, quotas.
    """
    parent, overrides = await pressed_job(services, interaction, job_id, "extend")
    await command_access(interaction.client).check_interaction(interaction)
    services.intake.check_channel(overrides, interaction.channel_id or parent.channel_id)
    services.intake.check_accepting()
    check_extendable(parent, clip)
    # Where the bot is not a member the card goes through the interaction webhook: no channel rights.
    if not parent.webhook_only and missing_channel_permissions(interaction.app_permissions):
        raise Refusal("error.missing_permissions")
    try:
        await services.quotas.check(parent.guild_id, interaction.user.id)
    except QuotaExceeded as exc:
        raise Refusal.wrap(exc) from None
    return parent


async def pressed_job(
    services: Services, interaction: discord.Interaction, job_id: int, action: str, *, private: bool = False
) -> tuple[Job, GuildSettings | None]:
    """Return the job a button names and its server's settings, if this member may press it here.

    Every job button goes through this (reads only): the job must exist, the click must come from
    its card (or a ``/show`` re-post of it) in its own server, and the member must be allowed to
    press ``action`` ("extend", "cancel" or "retry": ``bot.access.press_rules``). ``private``: the
    button sits on a private answer of the bot instead (a confirmation asked in the job's channel).
    """
    job = await services.store.get_job(job_id)
    if job is None:
        raise Refusal("error.job_not_found")
    if private:
        where = clicked_privately_beside(interaction, job)
    else:
        where = clicked_where_it_lives(interaction, job) or await clicked_on_repost(
            services, interaction, job
        )
    if not where:
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
    check_not_deleted(job)  # a deleted job's buttons answer politely (a stale client, a private question)
    overrides = await services.intake.guild_settings(job.guild_id)
    # Where no server hosts the bot, its moderators have no say over a person's own job.
    moderator = interaction.permissions.manage_messages and not job.webhook_only
    check_may_press(
        JobAction(action), job, user_id=interaction.user.id, moderator=moderator, settings=overrides
    )
    return job, overrides


def clicked_where_it_lives(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from the job's server and channel (and its card, when known).

    Extend ids are guessable, so a button naming a job of another server or channel is forged: it
    must not spend that server's quota nor show its prompt and clips here. A job started where the bot
    is not a member belongs to no server (``guild_id`` None): its channel and card are its place.
    """
    same_server = job.webhook_only or interaction.guild_id == job.guild_id
    if not same_server or interaction.channel_id != job.channel_id:
        return False
    message = interaction.message
    return message is None or job.card_message_id is None or message.id == job.card_message_id


def clicked_privately_beside(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from a private (ephemeral) message in the job's server and channel.

    Only the bot's own answers can carry its buttons, and a private one only its addressee sees.
    """
    same_server = job.webhook_only or interaction.guild_id == job.guild_id
    if not same_server or interaction.channel_id != job.channel_id:
        return False
    message = interaction.message
    return message is not None and message.flags.ephemeral


async def clicked_on_repost(services: Services, interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from a ``/show`` re-post of ``job`` in the job's own server.

    Only messages the bot recorded as re-posts count, and never in another server: a forged id on
    any other message is still refused as coming from elsewhere.
    """
    message = interaction.message
    if message is None or interaction.guild_id is None or interaction.guild_id != job.guild_id:
        return False
    return await is_repost(services.store, message.id, job)
