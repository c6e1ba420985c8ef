"""Where an interaction comes from, as far as the bot's token goes, and the commands offered everywhere.

Discord lets a person add the app to their account and use it in any server, in the bot's DM and in
group DMs (``allowed_installs`` / ``allowed_contexts``, discord.py 2.4+). Where the bot is not a member
its token reaches nothing, so a job started there lives on the interaction's webhook alone. Shared
by the commands that start jobs (``cogs.triggers``) and the one that deletes them (``cogs.commands``).
"""

from __future__ import annotations

import enum
from typing import Any

import discord
from discord import app_commands


class Reach(enum.Enum):
    """Where an interaction comes from, as far as the bot's token goes."""

    SERVER = "server"  # a server the bot is in: its rules, the channel, the bot's token
    BOT_DM = "bot_dm"  # the bot's own DM with the person: the bot's token works there
    OUTSIDE = "outside"  # another server or a group DM: the interaction's webhook alone


def reach_of(bot: discord.Client, interaction: discord.Interaction) -> Reach:
    """Return where ``interaction`` comes from."""
    if interaction.guild_id is not None:
        return Reach.SERVER if bot.get_guild(interaction.guild_id) is not None else Reach.OUTSIDE
    return Reach.BOT_DM if interaction.context.dm_channel else Reach.OUTSIDE


def allow_user_installs(*commands: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu) -> None:
    """Offer ``commands`` to people who installed the app, in servers, the bot's DM and group DMs."""
    for command in commands:
        command.guild_only = False  # as discord.py's allowed_contexts decorator does: contexts decide
        command.allowed_installs = app_commands.AppInstallationType(guild=True, user=True)
        command.allowed_contexts = app_commands.AppCommandContext(
            guild=True, dm_channel=True, private_channel=True
        )
