"""User-installable apps in the Discord double: installs, contexts, no membership, the webhook alone."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.installs import USER_INSTALL_PERMISSIONS, CommandNotAvailableError
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def new_bot(seen: dict[str, Any]) -> commands.Bot:
    """A bot with a global /hello for servers and users, and a guild-install-only /server."""
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)

    @bot.tree.command(name="hello", description="Say hello")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def hello(interaction: discord.Interaction) -> None:
        seen.update(
            context=interaction.context,
            guild_id=interaction.guild_id,
            app_permissions=interaction.app_permissions.value,
            user_integration=interaction.is_user_integration(),
            guild_integration=interaction.is_guild_integration(),
        )
        await interaction.response.send_message("hi")
        seen["channel_send"] = None
        try:
            await bot.get_partial_messageable(interaction.channel_id or 0).send("from the bot token")
        except discord.HTTPException as exc:
            seen["channel_send"] = (exc.status, exc.code)
        for index in range(6):
            try:
                await interaction.followup.send(f"follow-up {index}", ephemeral=index == 0)
            except discord.HTTPException as exc:
                seen["followup_error"] = (index, exc.code)
                break

    @bot.tree.command(name="server", description="Servers only")
    async def server(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("server")

    async def setup_hook() -> None:
        await bot.tree.sync()

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_a_user_install_reaches_a_server_without_the_bot_through_the_webhook_only(
    discord_double: DiscordDouble,
) -> None:
    """Context 0, owners {"1": user}, the tutorial's app_permissions; the bot token gets 403/50001;
    5 follow-ups at most, the first one ephemeral."""
    double, seen = discord_double, {}
    elsewhere = await double.add_guild("Elsewhere", members=[double.alice], with_bot=False)
    channel = next(iter(elsewhere.channels.values()))
    double.install_for_user(double.alice)
    async with running_bot(new_bot(seen), double):
        handle = await double.slash(double.alice, "hello", channel=channel)
        await handle.wait_response()
        await double.wait_for_request(lambda r: r.status == 400 and r.method == "POST")

    assert seen["context"].guild and handle.payload["context"] == 0
    assert handle.payload["authorizing_integration_owners"] == {"1": str(double.alice.id)}
    assert seen["user_integration"] and not seen["guild_integration"]
    assert seen["app_permissions"] == USER_INSTALL_PERMISSIONS == 442368
    assert seen["channel_send"] == (403, 50001)
    assert seen["followup_error"] == (5, 40094)
    assert [m.ephemeral for m in handle.followups] == [True, False, False, False, False]


async def test_a_group_dm_is_context_2_and_the_bot_is_not_in_it(discord_double: DiscordDouble) -> None:
    """A group DM: context 2, a user (no member), no guild; the bot's token cannot post there."""
    double, seen = discord_double, {}
    group = double.add_group_dm(double.alice, [double.bob])
    double.install_for_user(double.alice)
    async with running_bot(new_bot(seen), double):
        handle = await double.slash(double.alice, "hello", channel=group)
        await handle.wait_response()
        await double.wait_for_request(lambda r: r.status == 403)
        await handle.wait_followups(5)
    assert seen["context"].private_channel and handle.payload["context"] == 2
    assert seen["guild_id"] is None and "member" not in handle.payload and "user" in handle.payload
    assert handle.payload["authorizing_integration_owners"] == {"1": str(double.alice.id)}
    assert seen["channel_send"] == (403, 50001)


async def test_in_a_server_with_the_bot_both_installs_authorize(discord_double: DiscordDouble) -> None:
    """The server installed the app and Alice did too: both owners; no follow-up cap."""
    double, seen = discord_double, {}
    double.install_for_user(double.alice)
    async with running_bot(new_bot(seen), double):
        handle = await double.slash(double.alice, "hello")
        await handle.wait_response()
        await handle.wait_followups(6)
    owners = handle.payload["authorizing_integration_owners"]
    assert owners == {"0": str(double.guild.id), "1": str(double.alice.id)}
    assert seen["guild_integration"] and seen["user_integration"]
    assert "followup_error" not in seen and seen["channel_send"] is None


async def test_no_client_offers_a_command_where_none_of_its_installs_reaches(
    discord_double: DiscordDouble,
) -> None:
    """Without Alice's install, /hello is not offered in a server without the bot nor in a group DM;
    a guild-install-only command never is, even to a user who installed the app."""
    double = discord_double
    elsewhere = await double.add_guild("Elsewhere", members=[double.alice], with_bot=False)
    channel = next(iter(elsewhere.channels.values()))
    group = double.add_group_dm(double.alice, [double.bob])
    async with running_bot(new_bot({}), double):
        for where in (channel, group):
            with pytest.raises(CommandNotAvailableError):
                await double.slash(double.alice, "hello", channel=where)
        double.install_for_user(double.alice)
        with pytest.raises(CommandNotAvailableError):
            await double.slash(double.alice, "server", channel=channel)
