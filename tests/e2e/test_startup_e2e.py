"""Motionbot starts through its own composition root and syncs its commands to the Discord double."""

from tests.e2e.harness import make_world


async def test_startup_syncs_commands_once_and_connects(world):
    """Login, application info, one bulk overwrite with every command, then a gateway session."""
    puts = [r for r in world.discord.requests if r.method == "PUT" and "/commands" in r.path]
    assert len(puts) == 1
    names = {name for _, name in world.discord.state.global_commands.commands}
    assert {"animate", "jobs", "quota", "motionbot", "Animate image"} <= names
    assert world.discord.gateway_connected


async def test_second_start_with_unchanged_commands_does_not_sync_again(tmp_path):
    """The command hash kept in SQLite avoids Discord's daily command-create limit on restarts."""
    async with make_world(tmp_path) as first:
        assert len([r for r in first.discord.requests if r.method == "PUT"]) == 1
    async with make_world(tmp_path) as second:
        assert [r for r in second.discord.requests if r.method == "PUT"] == []


async def test_sync_subcommand_pushes_the_definitions_on_demand(tmp_path, capsys):
    """`python -m bot sync` logs in, pushes every command (even unchanged ones) and exits 0."""
    from bot.__main__ import sync_commands
    from tests.doubles.cometapi_double import CometAPIDouble
    from tests.doubles.discord import DiscordDouble
    from tests.doubles.fixtures_cometapi import TEST_API_KEY
    from tests.e2e.harness import settings_for

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
