"""Gateway behaviour of the Discord double: RESUME with replay, INVALID_SESSION, intents, message content."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.ext import commands

from tests.doubles.discord import DiscordDouble
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


class GatewayBot(commands.Bot):
    """Records gateway-driven events and skips discord.py's 5 s wait before a re-IDENTIFY."""

    def __init__(self, double: DiscordDouble, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix="!", intents=intents or discord.Intents.default(), guild_ready_timeout=0.1
        )
        self.double = double
        self.resumed = asyncio.Event()
        self.reactions: asyncio.Queue[discord.RawReactionActionEvent] = asyncio.Queue()
        self.messages: asyncio.Queue[discord.Message] = asyncio.Queue()

        @self.tree.command(name="ping", description="Answers pong")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

    async def setup_hook(self) -> None:
        self.tree.copy_global_to(guild=discord.Object(self.double.guild.id))
        await self.tree.sync(guild=discord.Object(self.double.guild.id))

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None

    async def on_resumed(self) -> None:
        self.resumed.set()

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.reactions.put(payload)

    async def on_message(self, message: discord.Message) -> None:
        await self.messages.put(message)


async def ping(double: DiscordDouble) -> str:
    handle = await double.slash(double.alice, "ping")
    response = await handle.wait_response()
    assert response.accepted
    return str(response.data["content"])


async def test_reconnect_resumes_and_replays_missed_dispatches(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = GatewayBot(double)
    async with running_bot(bot, double):
        await double.force_reconnect()
        assert not double.gateway_connected
        missed = await double.slash(double.alice, "ping")  # buffered while the client reconnects
        await double.wait_resumed()
        assert (await missed.wait_response()).data["content"] == "pong"
        await asyncio.wait_for(bot.resumed.wait(), 2)
        assert await ping(double) == "pong"
    record = double.hub.connections[-1]
    assert record.path == "/gateway/resume" and record.mode == "resume"
    assert [(e.name, e.seq) for e in record.replayed] == [
        ("INTERACTION_CREATE", missed.event.seq if missed.event else 0)
    ]
    assert double.hub.identify_count == 1 and double.hub.resume_count == 1


async def test_invalid_session_not_resumable_forces_a_new_identify(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = GatewayBot(double)
    async with running_bot(bot, double):
        first_session = double.hub.current
        await double.invalidate_session(resumable=False)
        await double.wait_identified(2)
        assert double.hub.current is not first_session
        assert await ping(double) == "pong"
    assert [c.mode for c in double.hub.connections] == ["identify", "identify"]
    assert double.hub.connections[0].close_code == 1000


async def test_resumes_then_reidentifies_on_the_resume_url(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = GatewayBot(double)
    async with running_bot(bot, double):
        await double.invalidate_session(resumable=True)
        await double.wait_resumed(1)
        await double.disconnect(code=1001)
        await double.wait_resumed(2)
        await double.invalidate_session(resumable=False)
        await double.wait_identified(2)
        assert await ping(double) == "pong"
    modes = [(c.mode, c.path) for c in double.hub.connections]
    assert modes == [
        ("identify", "/gateway"),
        ("resume", "/gateway/resume"),
        ("resume", "/gateway/resume"),
        ("identify", "/gateway/resume"),
    ]


async def test_reaction_then_fetch_hides_attachments_until_the_portal_allows_content(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    bot = GatewayBot(double)
    async with running_bot(bot, double):
        posted = await double.post_message(
            double.bob, double.media, "my cat", attachments=[("cat.png", b"PNG")]
        )
        await double.add_reaction(double.alice, posted, "🎬")
        payload = await asyncio.wait_for(bot.reactions.get(), 2)
        channel = bot.get_channel(payload.channel_id)
        assert isinstance(channel, discord.TextChannel)
        hidden = await channel.fetch_message(payload.message_id)
        double.portal.message_content = True
        shown = await channel.fetch_message(payload.message_id)
        shown_bytes = await shown.attachments[0].read()
    assert str(payload.emoji) == "🎬" and payload.user_id == double.alice.id
    assert payload.member is not None and payload.member.name == "alice"
    assert payload.message_author_id == double.bob.id
    assert (hidden.content, hidden.attachments) == ("", [])
    assert shown.content == "my cat" and [a.filename for a in shown.attachments] == ["cat.png"]
    assert shown_bytes == b"PNG"


async def test_message_create_respects_intents_and_content_exemptions(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = GatewayBot(double)
    async with running_bot(bot, double):
        await double.post_message(double.alice, double.general, "secret", attachments=[("a.png", b"1")])
        hidden = await asyncio.wait_for(bot.messages.get(), 2)
        await double.post_message(double.alice, double.general, f"hey {double.bot_user.mention}")
        mentioned = await asyncio.wait_for(bot.messages.get(), 2)
        await double.post_message(double.alice, double.dm_channel(double.alice), "in a DM")
        direct = await asyncio.wait_for(bot.messages.get(), 2)
    assert (hidden.content, hidden.attachments, hidden.author.name) == ("", [], "alice")
    assert mentioned.content.startswith("hey") and bot.user in mentioned.mentions
    assert direct.content == "in a DM" and isinstance(direct.channel, discord.DMChannel)


async def test_no_reaction_or_guild_message_events_without_their_intents(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    intents = discord.Intents.default()
    intents.guild_reactions = False
    intents.guild_messages = False
    bot = GatewayBot(double, intents)
    async with running_bot(bot, double):
        posted = await double.post_message(double.alice, double.general, "hello")
        await double.add_reaction(double.bob, posted, "👍")
        assert await ping(double) == "pong"  # an event that is delivered after the filtered ones
    assert double.hub.current is not None
    names = [e.name for e in double.hub.current.events]
    assert "MESSAGE_REACTION_ADD" not in names and "MESSAGE_CREATE" not in names
    assert bot.reactions.empty() and bot.messages.empty()


async def test_message_content_intent_shows_content_in_gateway_events(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.portal.message_content = True
    intents = discord.Intents.default()
    intents.message_content = True
    bot = GatewayBot(double, intents)
    seen: list[Any] = []
    async with running_bot(bot, double):
        await double.post_message(double.alice, double.general, "visible", attachments=[("a.png", b"1")])
        message = await asyncio.wait_for(bot.messages.get(), 2)
        seen.extend([message.content, [a.filename for a in message.attachments]])
    assert seen == ["visible", ["a.png"]]
