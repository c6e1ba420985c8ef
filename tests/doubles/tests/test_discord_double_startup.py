"""Startup against the Discord double: login, app info, command sync, READY/GUILD_CREATE, intents, frames."""

from __future__ import annotations

import json
import zlib

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, DoubleConfig
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def new_bot(intents: discord.Intents | None = None) -> commands.Bot:
    """A small bot with one slash command (with an attachment) and one message context menu."""
    bot = commands.Bot(
        command_prefix="!", intents=intents or discord.Intents.default(), guild_ready_timeout=0.1
    )

    @bot.tree.command(name="animate", description="Animate an image")
    @app_commands.describe(image="The image", prompt="What should move")
    async def animate(
        interaction: discord.Interaction, image: discord.Attachment, prompt: str | None = None
    ) -> None:
        await interaction.response.send_message(f"{image.filename}:{len(await image.read())}:{prompt}")

    @bot.tree.context_menu(name="Animate image")
    async def animate_message(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(",".join(a.filename for a in message.attachments))

    return bot


async def test_login_sync_and_ready_follow_discords_order(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot()
    synced: dict[str, list[app_commands.AppCommand]] = {}

    async def setup_hook() -> None:
        guild = discord.Object(double.guild.id)
        synced["global"] = await bot.tree.sync()
        bot.tree.copy_global_to(guild=guild)
        synced["guild"] = await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with running_bot(bot, double):
        routes = [r.route for r in double.requests]
        assert routes[:4] == [
            "GET /users/@me",
            "GET /oauth2/applications/@me",
            "PUT /applications/{application_id}/commands",
            "PUT /applications/{application_id}/guilds/{guild_id}/commands",
        ]
        assert double.gateway_connected
        assert bot.user is not None and bot.user.id == double.bot_user.id
        assert bot.application is not None and bot.application.owner.name == "app-owner"
        guild = bot.get_guild(double.guild.id)
        assert guild is not None and guild.me is not None
        assert guild.preferred_locale == discord.Locale.american_english
        assert {c.name for c in guild.text_channels} == {"general", "media"}
        assert guild.default_role.id == guild.id
    by_name = {c.name: c for c in synced["global"]}
    assert by_name["Animate image"].description == ""
    assert by_name["animate"].options[0].name == "image"
    assert all(c.guild_id == double.guild.id for c in synced["guild"])
    assert {c.id for c in synced["guild"]}.isdisjoint({c.id for c in synced["global"]})


async def test_wrong_token_fails_login_with_401(discord_double: DiscordDouble) -> None:
    bot = new_bot()
    with pytest.raises(discord.LoginFailure):
        async with running_bot(bot, discord_double, token="not-the-token"):
            pass
    assert discord_double.requests[0].status == 401


async def test_message_content_intent_needs_the_portal_toggle(discord_double: DiscordDouble) -> None:
    intents = discord.Intents.default()
    intents.message_content = True
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(new_bot(intents), discord_double):
            pass
    assert (await discord_double.hub.wait_closed()).close_code == 4014

    discord_double.portal.message_content = True
    async with running_bot(new_bot(intents), discord_double):
        assert discord_double.gateway_connected


async def test_members_intent_chunks_guilds_through_op_8(discord_double: DiscordDouble) -> None:
    discord_double.portal.members = True
    intents = discord.Intents.default()
    intents.members = True
    bot = new_bot(intents)
    async with running_bot(bot, discord_double, timeout=2.0):
        guild = bot.get_guild(discord_double.guild.id)
        assert guild is not None and guild.chunked
        assert {"alice", "bob", "mod", "admin"} <= {m.name for m in guild.members}
        assert guild.get_member(discord_double.mod.id) is not None


async def test_without_members_intent_only_the_bot_member_is_sent(discord_double: DiscordDouble) -> None:
    bot = new_bot()
    async with running_bot(bot, discord_double):
        guild = bot.get_guild(discord_double.guild.id)
        assert guild is not None
        assert [m.id for m in guild.members] == [discord_double.bot_user.id]
        assert guild.member_count == len(discord_double.guild.members)


class ZlibContext:
    """discord.py's own zlib-stream decoder, used to make the test client ask for zlib-stream."""

    COMPRESSION_TYPE = "zlib-stream"

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.context = zlib.decompressobj()

    def decompress(self, data: bytes, /) -> str | None:
        self.buffer.extend(data)
        if len(data) < 4 or data[-4:] != b"\x00\x00\xff\xff":
            return None
        message = self.context.decompress(self.buffer)
        self.buffer = bytearray()
        return message.decode("utf-8")


@pytest.mark.parametrize("mode", ["zstd-stream", "zlib-stream", "text"])
async def test_every_frame_encoding_carries_a_working_session(
    mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "zlib-stream":
        monkeypatch.setattr(discord.utils, "_ActiveDecompressionContext", ZlibContext)
    double = DiscordDouble(DoubleConfig(honour_compression=mode != "text"))
    bot = new_bot()

    async def setup_hook() -> None:
        bot.tree.copy_global_to(guild=discord.Object(double.guild.id))
        await bot.tree.sync(guild=discord.Object(double.guild.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with double, running_bot(bot, double):
        handle = await double.slash(
            double.alice, "animate", {"prompt": "waves"}, attachment=("a.png", b"1234")
        )
        response = await handle.wait_response()
    assert double.hub.connections[0].compression == mode
    assert response.accepted and response.data["content"] == "a.png:4:waves"


async def test_raw_gateway_protocol_hello_ack_and_close_codes(discord_double: DiscordDouble) -> None:
    url = f"{discord_double.gateway_url}?v=10&encoding=json"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41_250
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json(
                {"op": 6, "d": {"token": discord_double.token, "session_id": "nope", "seq": 3}}
            )
            assert await ws.receive_json() == {"op": 9, "d": False}
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 0, "properties": {}}})
            closing = await ws.receive()
            assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004
        async with session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_str(json.dumps({"op": 42, "d": None}))
            closing = await ws.receive()
            assert closing.data == 4001
        async with session.ws_connect(f"{discord_double.gateway_url}?v=9&encoding=json") as ws:
            assert (await ws.receive()).data == 4012


async def test_running_bot_reports_a_client_killed_by_a_malformed_dispatch(
    discord_double: DiscordDouble,
) -> None:
    bot = new_bot()
    reaction_without_type = {
        "user_id": "1",
        "channel_id": "2",
        "message_id": "3",
        "emoji": {"name": "x", "id": None},
    }
    with pytest.raises(KeyError, match="type"):
        async with running_bot(bot, discord_double):
            await discord_double.hub.dispatch("MESSAGE_REACTION_ADD", lambda _: reaction_without_type)
            await discord_double.wait_for_request(lambda r: r.route == "never", timeout=0.3)
