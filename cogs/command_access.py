"""The server's command permissions, applied where Discord does not apply them itself.

Discord enforces an admin's restrictions (Server Settings → Integrations) on the commands only. The
🎬 reaction, Extend, "Extend with a prompt…" and Retry start or extend jobs too, so they follow the
permissions of ``/animate``, the command an admin restricts to govern who makes videos and where.
Cancel is not gated: it only stops spending, and stays with the requester and moderators.

This cog reads the permissions (a bot token may: Get Guild Application Command Permissions) into a
``bot.access.command_gate.CommandGate``, keeps them current from APPLICATION_COMMAND_PERMISSIONS_UPDATE,
and turns members, channels and interactions into the plain ids the core evaluates.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.access import Access, Caller, CommandGate, CommandRef, parse_overwrites
from bot.checks import Refusal

if TYPE_CHECKING:
    from bot.client import MotionBot

log = logging.getLogger(__name__)

GOVERNING_COMMAND = "animate"
# A click must be answered within 3 s; the checks around this read have within_deadline's 2 s.
INTERACTION_BUDGET = 1.5
# A reaction has no deadline, but a member waiting for a card should not wait long.
REACTION_BUDGET = 5.0
REFUSAL_KEYS = {
    Access.CHANNEL_DISABLED: "access.channel_disabled",
    Access.MEMBER_DENIED: "access.member_denied",
    Access.UNKNOWN: "access.unknown",
}


class CommandAccess(commands.Cog):
    """Answers whether a member may start or extend a job here, by ``/animate``'s permissions."""

    def __init__(self, bot: MotionBot) -> None:
        self.bot = bot
        self._gate: CommandGate | None = None

    @property
    def gate(self) -> CommandGate:
        """The cache of server permissions (made once the application id is known, at load)."""
        if self._gate is None:
            raise RuntimeError("the CommandAccess cog is not loaded")
        return self._gate

    async def cog_load(self) -> None:
        """Make the gate (discord.py knows the application id from login, before ``setup_hook``)."""
        application_id = self.bot.application_id
        if application_id is None:
            raise RuntimeError("the application id is unknown before login")
        self._gate = CommandGate(application_id, self._fetch_server, self._fetch_command)

    async def cog_unload(self) -> None:
        """Stop the permission reads under way."""
        await self.gate.close()

    async def check_interaction(self, interaction: discord.Interaction) -> None:
        """Raise the ``Refusal`` for a job button a member may not use here (run under within_deadline)."""
        if interaction.guild_id is None or interaction.channel_id is None:
            return
        if self.bot.get_guild(interaction.guild_id) is None:
            return  # a server that never added the bot (a personal install): it set no permissions for it
        caller = interaction_caller(interaction)
        access = await self.gate.access(interaction.guild_id, caller, budget=INTERACTION_BUDGET)
        refusal = refusal_for(access, interaction.channel_id)
        if refusal is not None:
            log.info("user %s refused by /%s's permissions: %s", caller.user_id, GOVERNING_COMMAND, access)
            raise refusal

    async def member_access(self, member: discord.Member, channel: GuildMessageable) -> Access:
        """Return what ``/animate``'s permissions say of ``member`` in ``channel`` (for reactions)."""
        return await self.gate.access(member.guild.id, member_caller(member, channel), budget=REACTION_BUDGET)

    @commands.Cog.listener()
    async def on_raw_app_command_permissions_update(
        self, event: discord.RawAppCommandPermissionsUpdateEvent
    ) -> None:
        """Apply an admin's change to a command's (or the whole application's) permissions in a server."""
        if event.application_id != self.gate.application_id:
            return
        entries = [{"id": p.id, "type": p.type.value, "permission": p.permission} for p in event.permissions]
        self.gate.updated(event.guild.id, event.target_id, parse_overwrites(entries))
        log.info("command permissions of %s changed in server %s", event.target_id, event.guild.id)

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """Read the shard's servers again when needed: a new gateway session may have missed updates."""
        count = self.bot.shard_count or 1
        self.gate.forget(lambda guild_id: (guild_id >> 22) % count == shard_id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Forget a server the bot left."""
        self.gate.forget(lambda guild_id: guild_id == guild.id)

    async def _fetch_server(self, guild_id: int) -> Sequence[Mapping[str, Any]]:
        payload = await self.bot.http.get_guild_application_command_permissions(
            self.gate.application_id, guild_id
        )
        return [dict(item) for item in payload]

    async def _fetch_command(self) -> CommandRef:
        """Return ``/animate`` as Discord has it (where ``sync`` put it: globally, or in DEV_GUILD_ID)."""
        dev_guild = self.bot.services.settings.dev_guild_id
        scope = discord.Object(id=dev_guild) if dev_guild else None
        for command in await self.bot.tree.fetch_commands(guild=scope):
            if command.type is discord.AppCommandType.chat_input and command.name == GOVERNING_COMMAND:
                required = command.default_member_permissions
                return CommandRef(command.id, None if required is None else required.value)
        log.warning("/%s is not registered; only the application's permissions apply", GOVERNING_COMMAND)
        return CommandRef(None)


GuildMessageable = discord.TextChannel | discord.Thread | discord.VoiceChannel


def interaction_caller(interaction: discord.Interaction) -> Caller:
    """Return who clicked and where, as the plain ids the permissions name."""
    user = interaction.user
    roles = frozenset(role.id for role in user.roles) if isinstance(user, discord.Member) else frozenset()
    channel = interaction.channel
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    return Caller(user.id, roles, interaction.permissions.value, interaction.channel_id or 0, parent_id)


def member_caller(member: discord.Member, channel: GuildMessageable) -> Caller:
    """Return a member in a channel (a thread follows its parent), as the plain ids the permissions name."""
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    roles = frozenset(role.id for role in member.roles)
    return Caller(member.id, roles, channel.permissions_for(member).value, channel.id, parent_id)


def refusal_for(access: Access, channel_id: int) -> Refusal | None:
    """Return what to tell a member the permissions refuse (None when they are allowed)."""
    key = REFUSAL_KEYS.get(access)
    return None if key is None else Refusal(key, channel=f"<#{channel_id}>")


def command_access(client: discord.Client) -> CommandAccess:
    """Return the running bot's CommandAccess cog."""
    # MotionBot is an AutoShardedBot, which is not a commands.Bot: both share BotBase.
    cog = client.get_cog("CommandAccess") if isinstance(client, commands.bot.BotBase) else None
    if not isinstance(cog, CommandAccess):
        raise RuntimeError("the CommandAccess cog is not loaded")
    return cog


async def setup(bot: MotionBot) -> None:
    """Load the CommandAccess cog."""
    await bot.add_cog(CommandAccess(bot))
