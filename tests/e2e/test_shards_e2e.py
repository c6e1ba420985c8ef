"""Sharding end to end: the real Motionbot on two shards, two instances with one shard each, Discord's
recommendation at each start, and a 4011 (sharding required) ending the real process with one line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.__main__ import gateway_connected
from bot.cli.parser import EXIT_CONFIG
from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, DoubleConfig, Guild
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, running_motionbot, settings_for
from tests.reliability.subprocess_bot import (
    BotProcess,
    double_settings,
    run_bot_to_exit,
    running_shard_process,
)

GATEWAY_BOT = "GET /gateway/bot"


def shard_of(guild_id: int, count: int) -> int:
    """Discord's formula: which shard receives a guild's events."""
    return (guild_id >> 22) % count


@contextlib.asynccontextmanager
async def doubles(config: DoubleConfig | None = None) -> AsyncIterator[tuple[DiscordDouble, CometAPIDouble]]:
    """Both doubles; the Discord one with the default server plus one on the other shard of two."""
    async with (
        DiscordDouble(config, message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=0.3)
        yield discord, comet


async def server_on_the_other_shard(discord: DiscordDouble) -> Guild:
    """A second server whose events go to the shard (of two) the default server's do not."""
    other = 1 - shard_of(discord.guild.id, 2)
    return await discord.add_guild("Other shard", shard=(other, 2), members=(discord.alice,))


def first_channel(guild: Guild) -> Any:
    """The guild's first text channel."""
    return next(iter(guild.channels.values()))


async def animate_to_delivery(world: World, guild: Guild) -> int:
    """Run /animate in ``guild`` and wait until that job is delivered; return its id."""
    handle = await world.animate(channel=first_channel(guild))
    assert (await handle.wait_response()).accepted
    job = await world.wait_job(lambda j: j.guild_id == guild.id)
    await world.wait_delivered(job.id)
    return job.id


async def wait_log(bot: BotProcess, text: str, timeout: float = 10.0) -> None:
    """Wait until the child's log contains ``text`` (a log file has no change feed: re-read it)."""
    async with asyncio.timeout(timeout):
        while text not in bot.log_text():
            await asyncio.sleep(0.05)


async def test_two_shards_connect_and_answer_animate_in_servers_of_both(tmp_path: Path) -> None:
    async with doubles() as (discord, comet):
        other = await server_on_the_other_shard(discord)
        settings = settings_for(discord, comet, tmp_path, shard_count=2)
        async with running_motionbot(settings, discord) as bot:
            assert sorted(bot.shards) == [0, 1] and discord.hub.shard_count == 2
            assert discord.requests_to(GATEWAY_BOT) == []  # SHARD_COUNT given: no recommendation asked
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            for guild in (discord.guild, other):
                await animate_to_delivery(world, guild)
                session = discord.hub.shard_sessions[shard_of(guild.id, 2)]
                assert any(
                    e.name == "INTERACTION_CREATE" and e.data.get("guild_id") == str(guild.id)
                    for e in session.events
                )
            jobs = await world.store.all_jobs()
            assert {j.guild_id for j in jobs} == {discord.guild.id, other.id}
            assert all(j.status is JobStatus.DELIVERED for j in jobs)
            # /healthz's gateway check wants every shard of the process connected.
            assert gateway_connected(bot)
            shard = bot.get_shard(1)
            assert shard is not None
            await shard.disconnect()
            assert not gateway_connected(bot)


async def test_two_instances_with_one_shard_each_get_only_their_own_servers(tmp_path: Path) -> None:
    """SHARD_IDS=0 and SHARD_IDS=1 of 2, each on its own SQLite file: each handles only its servers."""
    async with doubles() as (discord, comet):
        other = await server_on_the_other_shard(discord)
        by_shard = {shard_of(g.id, 2): g for g in (discord.guild, other)}
        worlds: dict[int, World] = {}
        async with contextlib.AsyncExitStack() as stack:
            for shard_id in (0, 1):
                folder = tmp_path / f"shard{shard_id}"
                settings = settings_for(discord, comet, folder, shard_count=2, shard_ids=str(shard_id))
                bot = await stack.enter_async_context(running_motionbot(settings, discord))
                worlds[shard_id] = World(discord=discord, comet=comet, settings=settings, bot=bot)
                assert list(bot.shards) == [shard_id]
                assert [g.id for g in bot.guilds] == [by_shard[shard_id].id]
            assert discord.gateway_connected
            for shard_id, guild in by_shard.items():
                await animate_to_delivery(worlds[shard_id], guild)
            for shard_id, world in worlds.items():
                assert [j.guild_id for j in await world.store.all_jobs()] == [by_shard[shard_id].id]


async def test_an_empty_shard_count_takes_the_recommendation_again_at_each_restart(tmp_path: Path) -> None:
    """A supervisor restart of the real process after Discord's recommendation grew: 1 shard, then 2."""
    database = tmp_path / "data" / "motionbot.sqlite3"
    async with doubles() as (discord, comet):
        async with running_shard_process(discord, comet, database, tmp_path / "first.log") as first:
            assert discord.hub.shard_count == 1 and len(discord.requests_to(GATEWAY_BOT)) == 1
            first.terminate()
            assert await first.wait_exit() == 0
        discord.config.recommended_shards = 2
        async with running_shard_process(discord, comet, database, tmp_path / "second.log") as second:
            assert discord.hub.shard_count == 2 and discord.gateway_connected
            assert len(discord.requests_to(GATEWAY_BOT)) == 2
            await wait_log(second, "in 1 server on shards 0, 1 of 2")
        identified = [session.shard for session in discord.hub.sessions.values()]
        assert identified == [(0, 1), (0, 2), (1, 2)]


async def test_sharding_required_at_start_ends_the_process_with_one_line(tmp_path: Path) -> None:
    """More servers than one shard may hold: Discord closes with 4011; one line, exit code 2."""
    config = DoubleConfig(max_guilds_per_shard=1)
    async with doubles(config) as (discord, comet):
        await discord.add_guild("Second server")
        database = tmp_path / "data" / "motionbot.sqlite3"
        quiet = double_settings(discord, comet, database, log_level="WARNING")
        outcome = await asyncio.to_thread(run_bot_to_exit, quiet, tmp_path)
        assert outcome.returncode == EXIT_CONFIG
        lines = [line for line in (outcome.stdout + outcome.stderr).splitlines() if line.strip()]
        assert len(lines) == 1, lines
        assert "4011 (sharding required)" in lines[0] and "Discord's recommendation may hold" in lines[0]
        assert "Leave SHARD_COUNT empty" in lines[0] and "then restart" in lines[0]
        assert discord.hub.connections[-1].close_code == 4011

        fixed = double_settings(discord, comet, database, shard_count=1)
        outcome = await asyncio.to_thread(run_bot_to_exit, fixed, tmp_path)
        text = outcome.stdout + outcome.stderr
        assert outcome.returncode == EXIT_CONFIG and "Traceback" not in text
        assert text.count("4011") == 1 and "than SHARD_COUNT=1 may hold" in text
