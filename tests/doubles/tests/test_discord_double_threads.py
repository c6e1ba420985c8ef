"""The Discord double's threads, member overwrites and bulk deletes, as discord.py 2.7 sees them."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.doubles.discord import DiscordDouble, Perm
from tests.doubles.fixtures_discord import discord_double, running_bot
from tests.doubles.tests.test_discord_double_gateway import GatewayBot

__all__ = ["discord_double"]


@pytest.fixture
def double(discord_double: DiscordDouble) -> DiscordDouble:
    return discord_double


class DeletionBot(GatewayBot):
    """Records raw message deletions too."""

    def __init__(self, double: DiscordDouble) -> None:
        intents = discord.Intents.default()
        intents.members = False
        super().__init__(double, intents)
        self.deleted: asyncio.Queue[discord.RawMessageDeleteEvent] = asyncio.Queue()
        self.purged: asyncio.Queue[discord.RawBulkMessageDeleteEvent] = asyncio.Queue()

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.deleted.put(payload)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.purged.put(payload)


async def test_threads_are_cached_and_follow_their_parents_permissions(double: DiscordDouble) -> None:
    """A thread from GUILD_CREATE and one from THREAD_CREATE; permissions come from the parent."""
    early = await double.add_thread(double.general, "early", owner=double.alice)
    await double.set_channel_permissions(double.general, double.bob, deny=Perm.VIEW_CHANNEL)
    bot = DeletionBot(double)
    async with running_bot(bot, double):
        late = await double.add_thread(
            double.general, "late", owner=double.alice, private=True, members=[double.mod]
        )
        assert await ping_as(double, double.alice) == "pong"  # THREAD_CREATE is handled by now
        guild = bot.get_guild(double.guild.id)
        assert guild is not None
        cached_early, cached_late = guild.get_thread(early.id), guild.get_thread(late.id)
        assert cached_early is not None and cached_late is not None
        assert cached_early.parent_id == double.general.id
        assert cached_late.type is discord.ChannelType.private_thread
        bob = await guild.fetch_member(double.bob.id)
        assert not cached_early.permissions_for(bob).view_channel
        await cached_late.fetch_member(double.mod.id)
        with pytest.raises(discord.NotFound) as outside:
            await cached_late.fetch_member(double.bob.id)
        assert outside.value.code == 10007


async def test_a_moderators_purge_is_one_bulk_delete(double: DiscordDouble) -> None:
    bot = DeletionBot(double)
    async with running_bot(bot, double):
        first = await double.post_message(double.alice, double.general, "one")
        second = await double.post_message(double.bob, double.general, "two")
        await double.delete_messages([first, second])
        purged = await asyncio.wait_for(bot.purged.get(), 2)
        await double.delete_message(await double.post_message(double.alice, double.general, "three"))
        deleted = await asyncio.wait_for(bot.deleted.get(), 2)

    assert purged.message_ids == {first.id, second.id} and purged.channel_id == double.general.id
    assert purged.guild_id == double.guild.id and deleted.channel_id == double.general.id
    assert first.deleted and second.deleted


async def ping_as(double: DiscordDouble, user) -> str:
    handle = await double.slash(user, "ping")
    response = await handle.wait_response()
    return str(response.data["content"])
