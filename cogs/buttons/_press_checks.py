"""Who may press a job's button, and where: the checks every job button runs before its first answer.

Reads only (run them under ``checked_before_answer``): the job exists, the click comes from its card (or a
``/show`` re-post of it) in its own server, the member may press this action (``bot.access``), and
for Extend the server's ``/animate`` permissions, channel rules, quotas and the clip itself.

A private job's card may live in the bot's DM with its requester (``cogs.cards`` sends it there once
the interaction token is gone). A click there counts only as the requester's, on that very card
(message ids are global), and a job it starts still belongs to the parent's server and channel: the
member's rights there are read from Discord, since a DM interaction carries none of the server's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from bot.access import Access, JobAction, check_may_press
from bot.checks import QuotaExceeded, Refusal
from bot.client import member_role_ids, missing_channel_permissions
from bot.intake import check_extendable
from bot.media import check_not_deleted, is_repost
from bot.models import GuildSettings, Job
from cogs.command_access import GuildMessageable, command_access, refusal_for

if TYPE_CHECKING:
    from bot.client import Services

log = logging.getLogger(__name__)

UNKNOWN_MEMBER = 10007  # Discord's JSON error code for Get Guild Member of someone not in the server


@dataclass(frozen=True)
class StartPlace:
    """Where a job a button starts runs, and the member's roles in its server (quotas read them)."""

    channel_id: int
    role_ids: frozenset[int]
    from_dm: bool = False  # clicked on a card in the bot's DM, far from the channel


async def extendable_parent(
    services: Services, interaction: discord.Interaction, job_id: int, clip: int
) -> tuple[Job, StartPlace]:
    """Return the job whose clip ``interaction`` may extend now and where, else raise the ``Refusal``.

    Reads only (run it under ``checked_before_answer`` before the first answer): where the click came from,
    who pressed, ``/animate``'s permissions in the server, the channel allow-list, whether the bot
    takes jobs, the clip, the bot's channel permissions, quotas.
    """
    parent, overrides = await pressed_job(services, interaction, job_id, "extend")
    place = await start_place(interaction, parent)
    check_channel_open(services, overrides, place.channel_id, from_dm=place.from_dm)
    services.intake.check_accepting()
    check_extendable(parent, clip)
    await check_quotas(services, parent, interaction.user.id, place)
    return parent, place


async def start_place(interaction: discord.Interaction, job: Job) -> StartPlace:
    """Return where a job started by this click on ``job``'s button runs, if the server lets the member.

    Checks ``/animate``'s permissions and the bot's own rights in that channel (reads only). A click on
    a private card in the bot's DM starts the job in the parent's server channel, by the member's
    rights there; a click in the server starts it where the click came from (a ``/show`` re-post's
    channel included).
    """
    if clicked_from_dm(interaction, job):
        if job.guild_id is None:  # no server hosts the bot where the job runs: its place is all there is
            return StartPlace(job.channel_id, frozenset(), from_dm=True)
        return await server_place(interaction.client, job, interaction.user.id)
    await command_access(interaction.client).check_interaction(interaction)
    # Where the bot is not a member the card goes through the interaction webhook: no channel rights.
    if not job.webhook_only and missing_channel_permissions(interaction.app_permissions):
        raise Refusal("error.missing_permissions")
    return StartPlace(interaction.channel_id or job.channel_id, member_role_ids(interaction.user))


async def server_place(client: discord.Client, job: Job, user_id: int) -> StartPlace:
    """Return the job's server channel as the place of a job ``user_id`` starts from a DM, if allowed.

    The member must still be in the server and allowed ``/animate`` in that channel (its command
    permissions, read as for a 🎬 reaction), and the bot must still be able to post there; whatever
    cannot be read from Discord refuses, never allows.
    """
    member, channel = await member_in_channel(client, job, user_id)
    access = await command_access(client).member_access(member, channel)
    refusal = refusal_for(access, channel.id)
    if access is Access.MEMBER_DENIED:  # its usual text says "here": from a DM, name the channel
        refusal = Refusal("access.member_denied_in", channel=f"<#{channel.id}>")
    if refusal is not None:
        log.info("user %s refused in DM by /animate's permissions of channel %s", user_id, channel.id)
        raise refusal
    if missing_channel_permissions(channel.permissions_for(channel.guild.me)):
        raise Refusal("access.missing_permissions_there", channel=f"<#{channel.id}>")
    return StartPlace(channel.id, member_role_ids(member), from_dm=True)


async def member_in_channel(
    client: discord.Client, job: Job, user_id: int
) -> tuple[discord.Member, GuildMessageable]:
    """Return ``user_id`` as a member of the job's server and the job's channel, else refuse why not.

    The member is read from Discord every time (Get Guild Member): without the members intent the
    bot hears of no one leaving nor losing a role, so a cached member may be stale.
    """
    guild = client.get_guild(job.guild_id or 0)
    if guild is None:
        raise Refusal("access.place_gone", job_id=job.id)
    try:
        channel = guild.get_channel_or_thread(job.channel_id) or await guild.fetch_channel(job.channel_id)
        member = await guild.fetch_member(user_id)
    except discord.NotFound as exc:
        key = "access.not_a_member" if exc.code == UNKNOWN_MEMBER else "access.place_gone"
        raise Refusal(key, job_id=job.id) from None
    except discord.HTTPException as exc:
        log.info("member %s or channel %s could not be read: %s", user_id, job.channel_id, exc)
        raise Refusal("access.unknown", channel=f"<#{job.channel_id}>") from None
    if not isinstance(channel, GuildMessageable):
        raise Refusal("access.place_gone", job_id=job.id)
    return member, channel


def check_channel_open(
    services: Services, overrides: GuildSettings | None, channel_id: int, *, from_dm: bool
) -> None:
    """Refuse a channel the server's allow-list leaves out; from a DM, the refusal names that channel."""
    try:
        services.intake.check_channel(overrides, channel_id)
    except Refusal as refusal:
        if not from_dm or refusal.key != "error.channel_not_allowed":
            raise
        channel = f"<#{channel_id}>"
        raise Refusal("access.channel_not_allowed_there", channel=channel, **refusal.params) from None


async def check_quotas(services: Services, job: Job, user_id: int, place: StartPlace) -> None:
    """Raise the ``Refusal`` of the job's server's quotas for a new job of ``user_id`` (a read)."""
    try:
        await services.quotas.check(job.guild_id, user_id, role_ids=place.role_ids)
    except QuotaExceeded as exc:
        raise Refusal.wrap(exc) from None


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
    # Where no server hosts the bot, its moderators have no say over a person's own job; in a DM,
    # nobody is a moderator (and only the requester got this far).
    in_server = interaction.guild_id is not None and not job.webhook_only
    moderator = in_server and interaction.permissions.manage_messages
    check_may_press(
        JobAction(action), job, user_id=interaction.user.id, moderator=moderator, settings=overrides
    )
    return job, overrides


def clicked_where_it_lives(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from the job's card in its server and channel, or in its DM.

    Extend ids are guessable, so a button naming a job of another server or channel is forged: it
    must not spend that server's quota nor show its prompt and clips here. A job started where the bot
    is not a member belongs to no server (``guild_id`` None): its channel and card are its place. A
    card sent by DM (``clicked_on_its_dm_card``) is its place too.
    """
    return clicked_in_its_channel(interaction, job) or clicked_on_its_dm_card(interaction, job)


def clicked_in_its_channel(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from the job's server and channel (and its card, when known)."""
    same_server = job.webhook_only or interaction.guild_id == job.guild_id
    if not same_server or interaction.channel_id != job.channel_id:
        return False
    message = interaction.message
    return message is None or job.card_message_id is None or message.id == job.card_message_id


def clicked_on_its_dm_card(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the requester clicked the job's recorded card in the bot's DM with them.

    Only a card that reaches its requester privately goes by DM. Message ids are global snowflakes, so
    the recorded id names that one message: a forged id on any other message (in anyone's DM with
    the bot) is refused, and nobody but the requester acts on the job from a DM.
    """
    message = interaction.message
    return (
        job.reaches_through_webhook
        and in_bot_dm_with(interaction, job.requester_id)
        and message is not None
        and message.id == job.card_message_id
    )


def clicked_from_dm(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if a click that passed the where-checks came from the bot's DM, not the job's channel."""
    return interaction.guild_id is None and interaction.channel_id != job.channel_id


def in_bot_dm_with(interaction: discord.Interaction, user_id: int) -> bool:
    """Return True if ``user_id`` made this interaction in the bot's own DM with them (context BOT_DM).

    A DM between two people (a personal install's PRIVATE_CHANNEL context) or a group DM is not it.
    """
    context = interaction.context
    return interaction.guild_id is None and context.dm_channel and interaction.user.id == user_id


def clicked_privately_beside(interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from a private (ephemeral) message in the job's channel or DM.

    Only the bot's own answers can carry its buttons, and a private one only its addressee sees. In the
    bot's DM only the requester of a job whose card lives there may click one.
    """
    message = interaction.message
    if message is None or not message.flags.ephemeral:
        return False
    same_server = job.webhook_only or interaction.guild_id == job.guild_id
    if same_server and interaction.channel_id == job.channel_id:
        return True
    return job.reaches_through_webhook and in_bot_dm_with(interaction, job.requester_id)


async def clicked_on_repost(services: Services, interaction: discord.Interaction, job: Job) -> bool:
    """Return True if the click came from a ``/show`` re-post of ``job`` in the job's own server.

    Only messages the bot recorded as re-posts count, and never in another server: a forged id on
    any other message is still refused as coming from elsewhere.
    """
    message = interaction.message
    if message is None or interaction.guild_id is None or interaction.guild_id != job.guild_id:
        return False
    return await is_repost(services.store, message.id, job)
