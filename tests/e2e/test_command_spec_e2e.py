"""The command list Motionbot syncs is one real Discord accepts (issue 18, item 0).

The bulk overwrite is a single request: one option outside Discord's OpenAPI spec (here `/show`'s
`job` bound above Int53Type's 2**53 - 1) gets the whole list refused, and the bot has no commands.
The Discord double checks every body against that spec, so these fail on such a list.
"""

from bot.__main__ import sync_commands
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import make_world, running_motionbot, settings_for

INT53_MAX = 2**53 - 1
CHAT_INPUT = 1
GLOBAL_PUT = "PUT /applications/{application_id}/commands"
GUILD_PUT = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


def show_job_bound(discord: DiscordDouble, guild_id: int | None) -> int:
    """The ``max_value`` Discord stored for `/show`'s `job` option."""
    show = discord.state.find_command("show", CHAT_INPUT, guild_id)
    assert show is not None, "Discord holds no /show: the command list was refused"
    [job] = [option for option in show.payload["options"] if option["name"] == "job"]
    return int(job["max_value"])


async def test_startup_sync_is_accepted_whole(tmp_path):
    async with make_world(tmp_path) as world:
        discord = world.discord
        assert [(r.status, r.payload is not None) for r in discord.requests_to(GLOBAL_PUT)] == [(200, True)]
        assert discord.spec.violations == []
        assert show_job_bound(discord, None) == INT53_MAX


async def test_dev_guild_sync_is_accepted_whole(tmp_path):
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        settings = settings_for(discord, comet, tmp_path, dev_guild_id=discord.guild.id)
        async with running_motionbot(settings, discord):
            assert [r.status for r in discord.requests_to(GUILD_PUT)] == [200]
            assert show_job_bound(discord, discord.guild.id) == INT53_MAX


async def test_the_sync_subcommand_pushes_a_list_discord_accepts(tmp_path):
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        assert await sync_commands(settings_for(discord, comet, tmp_path)) == 0
        assert [r.status for r in discord.requests_to(GLOBAL_PUT)] == [200]
        assert show_job_bound(discord, None) == INT53_MAX
