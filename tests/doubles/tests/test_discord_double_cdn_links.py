"""Attachment links of the Discord double are signed and expire, as Discord's CDN links do.

Each read of a message carries a link issued then (``ex``/``is``/``hm``); a link past its ``ex``, with
a forged signature or without one is ``404 This content is no longer available.``; reading the
message again gives a fresh link (docs:developers/reference.mdx, "Signed Attachment CDN URLs").
"""

from __future__ import annotations

import io

import aiohttp
import discord
from discord.ext import commands

from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


async def fetched(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_a_link_expires_and_a_message_read_again_has_a_fresh_one(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)
    async with running_bot(bot, double):
        channel = bot.get_partial_messageable(double.general.id)
        # The bot's own message: its content (and files) reach it without the MESSAGE_CONTENT intent.
        posted = await channel.send(file=discord.File(io.BytesIO(b"meow"), "cat.png"))
        stored = double.state.messages[posted.id].files[0]
        old = (await channel.fetch_message(posted.id)).attachments[0].url
        assert "?ex=" in old and "&is=" in old and "&hm=" in old
        assert await fetched(old) == (200, b"meow")

        double.expire_attachment_links()
        assert await fetched(old) == (404, b"This content is no longer available.")
        fresh = (await channel.fetch_message(posted.id)).attachments[0].url
        assert fresh != old and await fetched(fresh) == (200, b"meow")

    assert (await fetched(stored.base_url))[0] == 404  # unsigned
    forged = fresh.replace("&hm=", "&hm=0")
    assert await fetched(forged) == (404, b"This content is no longer available.")
