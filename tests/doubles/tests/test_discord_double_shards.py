"""Sharding in the Discord double: IDENTIFY with ``shard``, routing by ``(guild_id >> 22) % count``,
``GET /gateway/bot``'s recommendation, and 4011 for a shard holding too many guilds."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, DoubleConfig, Guild
from tests.doubles.discord.gateway_session import Session
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


class ShardBot(commands.AutoShardedBot):
    """Answers /where with the shard that received it; skips discord.py's 5 s wait between IDENTIFYs."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1, **options
        )

        @self.tree.command(name="where", description="Names the shard")
        async def where(interaction: discord.Interaction) -> None:
            guild = interaction.guild
            await interaction.response.send_message(f"shard {guild.shard_id if guild else None}")

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


@contextlib.asynccontextmanager
async def sharded(double: DiscordDouble, **options: Any) -> AsyncIterator[ShardBot]:
    """Run a ShardBot against ``double`` until the block exits."""
    async with running_bot(ShardBot(**options), double) as bot:
        assert isinstance(bot, ShardBot)
        yield bot


async def guilds_on_both_shards(double: DiscordDouble) -> tuple[Guild, Guild]:
    """Two extra guilds, one on each shard of two, with alice and bob as members."""
    members = (double.alice, double.bob)
    zero = await double.add_guild("Zero", shard=(0, 2), members=members)
    one = await double.add_guild("One", shard=(1, 2), members=members)
    return zero, one


def dispatched_guild_ids(session: Session, name: str) -> set[int]:
    """The guild ids of ``session``'s dispatches called ``name``."""
    return {int(e.data.get("guild_id") or e.data.get("id") or 0) for e in session.events if e.name == name}


def shard_of(guild_id: int, count: int) -> int:
    """Discord's formula."""
    return (guild_id >> 22) % count


async def where(double: DiscordDouble, guild: Guild) -> str:
    """Run /where in ``guild``'s first channel and return the answer."""
    channel = next(iter(guild.channels.values()))
    handle = await double.slash(double.alice, "where", channel=channel)
    response = await handle.wait_response()
    assert response.accepted
    return str(response.data["content"])


async def get_gateway_bot(double: DiscordDouble) -> dict[str, Any]:
    """``GET /gateway/bot`` as discord.py asks it."""
    headers = {"Authorization": f"Bot {double.token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{double.api_base_url}/gateway/bot", headers=headers) as response,
    ):
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def test_guild_ids_made_for_a_shard_land_on_it(discord_double: DiscordDouble) -> None:
    double = discord_double
    for count in (2, 3, 16):
        for shard_id in range(count):
            guild = await double.add_guild(f"g{shard_id}of{count}", shard=(shard_id, count))
            assert shard_of(guild.id, count) == shard_id


async def test_each_shard_gets_only_its_guilds_events_and_interactions(discord_double: DiscordDouble) -> None:
    double = discord_double
    zero, one = await guilds_on_both_shards(double)
    async with sharded(double, shard_count=2) as bot:
        await double.wait_shards({0, 1}, 2)
        assert double.gateway_connected and double.hub.shard_count == 2
        sessions = double.hub.shard_sessions
        assert {i: s.shard for i, s in sessions.items()} == {0: (0, 2), 1: (1, 2)}
        for shard_id, session in sessions.items():
            mine = {g for g in double.state.guilds if shard_of(g, 2) == shard_id}
            assert dispatched_guild_ids(session, "GUILD_CREATE") == mine
            ready = next(e for e in session.events if e.name == "READY")
            assert {int(g["id"]) for g in ready.data["guilds"]} == mine
        assert {g.id for g in bot.guilds} == set(double.state.guilds)

        assert await where(double, zero) == "shard 0"
        assert await where(double, one) == "shard 1"
        assert dispatched_guild_ids(sessions[0], "INTERACTION_CREATE") == {zero.id}
        assert dispatched_guild_ids(sessions[1], "INTERACTION_CREATE") == {one.id}

        general_one = next(iter(one.channels.values()))
        await double.post_message(double.bob, general_one, "hello one")
        await double.post_message(double.bob, double.dm_channel(double.bob), "hello in a DM")
        assert dispatched_guild_ids(sessions[1], "MESSAGE_CREATE") == {one.id}
        dms = {
            i: [e for e in s.events if e.name == "MESSAGE_CREATE" and "guild_id" not in e.data]
            for i, s in sessions.items()
        }
        assert [e.data["content"] for e in dms[0]] == ["hello in a DM"] and dms[1] == []


async def test_two_clients_with_one_shard_each_see_only_their_own_guilds(
    discord_double: DiscordDouble,
) -> None:
    """Two processes' worth of clients (SHARD_IDS 0 and 1 of 2): each is told only its shard's events."""
    double = discord_double
    zero, one = await guilds_on_both_shards(double)
    async with sharded(double, shard_count=2, shard_ids=[0]) as first:
        await double.wait_shards({0}, 2)
        assert not double.gateway_connected  # shard 1 is not connected yet
        async with sharded(double, shard_count=2, shard_ids=[1]) as second:
            await double.wait_shards({0, 1}, 2)
            assert {g.id for g in first.guilds} == {g for g in double.state.guilds if shard_of(g, 2) == 0}
            assert {g.id for g in second.guilds} == {g for g in double.state.guilds if shard_of(g, 2) == 1}
            assert await where(double, zero) == "shard 0"
            assert await where(double, one) == "shard 1"
            sessions = double.hub.shard_sessions
            for guild, bot, shard_id in ((zero, first, 0), (one, second, 1)):
                channel = next(iter(guild.channels.values()))
                received = asyncio.ensure_future(
                    bot.wait_for("message", check=lambda m, c=channel: m.channel.id == c.id, timeout=2)
                )
                await asyncio.sleep(0)  # the listener is registered
                message = await double.post_message(double.bob, channel, "hello")
                assert (await received).id == message.id
                assert message.id in ids(sessions[shard_id]) and message.id not in ids(sessions[1 - shard_id])


def ids(session: Session) -> list[int]:
    """The message ids of ``session``'s MESSAGE_CREATE dispatches."""
    return [int(e.data["id"]) for e in session.events if e.name == "MESSAGE_CREATE"]


async def test_gateway_bot_recommends_the_configured_shard_count() -> None:
    async with DiscordDouble() as double:
        body = await get_gateway_bot(double)
        assert body["shards"] == 1 and body["url"] == double.gateway_url
        assert set(body["session_start_limit"]) == {"total", "remaining", "reset_after", "max_concurrency"}
    async with DiscordDouble(DoubleConfig(recommended_shards=3)) as double:
        assert (await get_gateway_bot(double))["shards"] == 3


async def test_an_auto_sharded_client_without_a_count_uses_the_recommendation() -> None:
    async with DiscordDouble(DoubleConfig(recommended_shards=3)) as double:
        async with sharded(double) as bot:
            await double.wait_shards({0, 1, 2}, 3)
            assert bot.shard_count == 3 and sorted(bot.shards) == [0, 1, 2]
        identified = [s.shard for s in double.hub.sessions.values()]
        assert sorted(identified) == [(0, 3), (1, 3), (2, 3)]


async def test_an_unsharded_identify_below_the_threshold_is_shard_0_of_1(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    async with running_bot(commands.Bot(command_prefix="!", intents=discord.Intents.default()), double):
        assert double.hub.current is not None and double.hub.current.shard == (0, 1)
        assert double.hub.shard_count == 1 and double.gateway_connected


@pytest.mark.parametrize("shards", [None, 1])
async def test_one_shard_above_the_threshold_is_closed_with_4011(shards: int | None) -> None:
    """No ``shard`` (a plain Bot) or a count of 1, with more guilds than a shard may hold: 4011."""
    async with DiscordDouble(DoubleConfig(max_guilds_per_shard=1)) as double:
        await double.add_guild("Second")
        if shards is None:
            bot: commands.Bot = commands.Bot(command_prefix="!", intents=discord.Intents.default())
        else:
            bot = ShardBot(shard_count=shards)
        with pytest.raises(discord.ConnectionClosed) as raised:
            async with running_bot(bot, double):
                pass
        assert raised.value.code == 4011
        assert double.hub.connections[-1].close_code == 4011 and double.hub.identify_count == 0


async def test_enough_shards_under_the_threshold_are_accepted() -> None:
    async with DiscordDouble(DoubleConfig(max_guilds_per_shard=1)) as double:
        on_zero = shard_of(double.guild.id, 2) == 0
        await double.add_guild("Other", shard=(1 if on_zero else 0, 2))
        async with sharded(double, shard_count=2):
            await double.wait_shards({0, 1}, 2)
            assert double.hub.identify_count == 2
