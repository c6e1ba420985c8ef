"""The command tree: last line of defence so no traceback and no "did not respond" reach a user.

Unexpected errors in application commands are logged with a short error id, and the user gets a
short apology carrying that id, in their language.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot.client.replies import apologize, reply_ephemeral
from bot.client.texts import interaction_lang, text

log = logging.getLogger(__name__)


class MotionTree(app_commands.CommandTree[Any]):
    """Motionbot's command tree, answering every command error privately and plainly."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse a server-only command used outside a server, privately.

        Discord hides such commands in DMs, but discord.py does not enforce ``guild_only`` itself, and a
        job started in a DM would escape every server's limits and settings.
        """
        if interaction.guild_id is not None or not _guild_only(interaction.command):
            return True
        lang = interaction_lang(interaction)
        await reply_ephemeral(interaction, text(self.client, lang, "error.guild_only"))
        return False

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Answer permission and check failures plainly; apologize with an error id for anything else."""
        lang = interaction_lang(interaction)
        if isinstance(error, app_commands.MissingPermissions):
            await reply_ephemeral(interaction, text(self.client, lang, "settings.permission_needed"))
        elif isinstance(error, app_commands.NoPrivateMessage):
            await reply_ephemeral(interaction, text(self.client, lang, "error.guild_only"))
        else:
            cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
            name = interaction.command.qualified_name if interaction.command else "an interaction"
            await apologize(interaction, cause, f"running {name}")


def _guild_only(command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu | None) -> bool:
    """Return True if ``command`` (or the group it belongs to) may only be used in a server."""
    if isinstance(command, app_commands.Command):
        return (command.root_parent or command).guild_only
    return command is not None and command.guild_only
