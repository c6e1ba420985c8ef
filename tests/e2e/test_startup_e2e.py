"""Motionbot starts through its own composition root and syncs its commands to the Discord double."""

import contextlib
import logging
from collections.abc import AsyncIterator

from bot.__main__ import sync_commands
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import make_world, running_motionbot, settings_for


async def test_startup_syncs_commands_once_and_connects(world):
    """Login, application info, one bulk overwrite with every command, then a gateway session."""
    puts = [r for r in world.discord.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(puts) == 1
    names = {name for _, name in world.discord.state.global_commands.commands}
    assert {"animate", "jobs", "quota", "motionbot", "Animate image"} <= names
    assert world.discord.gateway_connected


async def test_second_start_with_unchanged_commands_does_not_sync_again(tmp_path):
    """The command hash kept in SQLite avoids Discord's daily command-create limit on restarts."""
    async with both_doubles() as (discord, comet):
        settings = settings_for(discord, comet, tmp_path)
        async with running_motionbot(settings, discord):
            assert len(command_puts(discord)) == 1
        before = len(discord.requests)
        async with running_motionbot(settings, discord):
            assert command_puts(discord, before) == []


async def test_sync_subcommand_pushes_the_definitions_on_demand(tmp_path, capsys):
    """`python -m bot sync` logs in, pushes every command (even unchanged ones) and exits 0."""

    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path)
        assert await sync_commands(settings) == 0
        assert await sync_commands(settings) == 0
        puts = [r for r in discord.requests if r.method == "PUT" and "/commands" in r.path]
        assert len(puts) == 2
        names = {name for _, name in discord.state.global_commands.commands}
        assert {"animate", "jobs", "quota", "motionbot", "Animate image"} <= names
        assert not discord.gateway_connected  # it never opened a gateway session
    assert capsys.readouterr().out.count("Command definitions pushed.") == 2


@contextlib.asynccontextmanager
async def both_doubles() -> AsyncIterator[tuple[DiscordDouble, CometAPIDouble]]:
    """A Discord double that outlives several bot runs (as Discord does), and a CometAPI double."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        yield discord, comet


def command_puts(discord: DiscordDouble, since: int = 0) -> list[str]:
    """The paths of the bulk overwrites the bot sent after the ``since``-th request."""
    return [r.path for r in discord.requests[since:] if r.method == "PUT" and r.path.endswith("/commands")]


async def test_clearing_dev_guild_id_removes_the_server_copies_so_each_command_shows_once(tmp_path, caplog):
    """DEV_GUILD_ID first, then a restart without it: the server copies go, the global ones come."""
    caplog.set_level(logging.INFO, logger="bot.client.bot")
    async with both_doubles() as (discord, comet):
        guild_id = discord.guild.id
        dev = settings_for(discord, comet, tmp_path, dev_guild_id=guild_id)
        async with running_motionbot(dev, discord):
            assert command_puts(discord) == [
                f"/api/v10/applications/{discord.state.application_id}/guilds/{guild_id}/commands"
            ]
        assert discord.state.global_commands.commands == {}
        assert "animate" in {name for _, name in discord.state.commands_seen_in(guild_id)}
        before = len(discord.requests)
        async with running_motionbot(settings_for(discord, comet, tmp_path), discord):
            puts = command_puts(discord, before)
        app = discord.state.application_id
        assert puts == [
            f"/api/v10/applications/{app}/commands",
            f"/api/v10/applications/{app}/guilds/{guild_id}/commands",
        ]
        emptied = [
            r.payload for r in discord.requests[before:] if r.path.endswith(f"/guilds/{guild_id}/commands")
        ]
        assert emptied == [[]]  # one bulk overwrite with an empty list
        assert discord.state.command_scope(guild_id).commands == {}
        seen = discord.state.commands_seen_in(guild_id)
        assert len(seen) == len(set(seen)) and {"animate", "Animate image"} <= {name for _, name in seen}
        before = len(discord.requests)
        async with running_motionbot(settings_for(discord, comet, tmp_path), discord):
            assert command_puts(discord, before) == []  # nothing left to clean, nothing changed
    assert f"removed the commands registered earlier in server {guild_id}" in caplog.text


async def test_changing_dev_guild_id_empties_the_old_server(tmp_path):
    """A second test server replaces the first: the first server's copies are removed."""
    async with both_doubles() as (discord, comet):
        first = discord.guild.id
        second = (await discord.add_guild("Second test server")).id
        async with running_motionbot(settings_for(discord, comet, tmp_path, dev_guild_id=first), discord):
            pass
        async with running_motionbot(settings_for(discord, comet, tmp_path, dev_guild_id=second), discord):
            pass
        assert discord.state.command_scope(first).commands == {}
        assert "animate" in {name for _, name in discord.state.commands_seen_in(second)}
        assert discord.state.global_commands.commands == {}


async def test_a_new_application_on_the_same_database_syncs(tmp_path):
    """A new token (another application) on an existing database registers its commands at once."""
    async with both_doubles() as (discord, comet):
        await sync_commands(settings_for(discord, comet, tmp_path))
        assert len(command_puts(discord)) == 1
    async with both_doubles() as (other, comet):
        assert other.state.application_id != discord.state.application_id
        async with running_motionbot(settings_for(other, comet, tmp_path), other):
            assert command_puts(other) == [f"/api/v10/applications/{other.state.application_id}/commands"]
        assert "animate" in {name for _, name in other.state.global_commands.commands}


async def test_ready_line_names_the_bot_and_its_servers(tmp_path, caplog):
    """Each READY logs "ready as NAME in N servers on shard(s) ... of COUNT"."""
    caplog.set_level(logging.INFO, logger="bot.client.bot")
    async with make_world(tmp_path) as world:
        await world.discord.add_guild("Second server")  # after READY: not counted in that line
        user = world.bot.user
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("ready as ")]
    assert lines == [f"ready as {user} in 1 server on shard 0 of 1"]


async def test_sync_subcommand_also_removes_the_old_server_copies(tmp_path):
    """`python -m bot sync` after DEV_GUILD_ID is cleared empties the server and registers globally."""
    async with both_doubles() as (discord, comet):
        guild_id = discord.guild.id
        assert await sync_commands(settings_for(discord, comet, tmp_path, dev_guild_id=guild_id)) == 0
        assert "animate" in {name for _, name in discord.state.command_scope(guild_id).commands}
        assert await sync_commands(settings_for(discord, comet, tmp_path)) == 0
        assert discord.state.command_scope(guild_id).commands == {}
        seen = discord.state.commands_seen_in(guild_id)
        assert len(seen) == len(set(seen)) and "animate" in {name for _, name in seen}
