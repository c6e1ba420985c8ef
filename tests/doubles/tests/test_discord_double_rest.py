"""REST behaviour of the Discord double: rate limits, faults, permissions, edits, replies, DMs, sizes."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import discord
import pytest
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, Perm
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]

MIB = 1024 * 1024
POST_MESSAGE = "POST /channels/{channel_id}/messages"
EDIT_MESSAGE = "PATCH /channels/{channel_id}/messages/{message_id}"


def new_bot() -> commands.Bot:
    return commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)


def text_channel(bot: commands.Bot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def file(name: str, data: bytes) -> discord.File:
    return discord.File(io.BytesIO(data), name)


async def raw(
    double: DiscordDouble,
    method: str,
    path: str,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """One request with plain aiohttp, returning (status, headers, body bytes)."""
    headers = {"Authorization": f"Bot {token or double.token}", **(headers or {})}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{double.api_base_url}{path}", headers=headers, **kwargs) as response,
    ):
        return response.status, response.headers, await response.read()


async def test_injected_429_with_via_is_retried_by_discord_py_and_counted(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    double.inject_fault(POST_MESSAGE, times=2, retry_after=0.01)
    async with running_bot(new_bot(), double) as bot:
        sent = await text_channel(bot, double.general.id).send("after two 429s")
    assert sent.content == "after two 429s"
    assert double.rate_limited_count == 2 and double.route_counts[POST_MESSAGE] == 3
    assert [r.status for r in double.requests_to(POST_MESSAGE)] == [429, 429, 200]


async def test_bucket_headers_make_discord_py_wait_instead_of_being_limited(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    double.set_rate_limit(EDIT_MESSAGE, 2, 0.3)
    async with running_bot(new_bot(), double) as bot:
        message = await text_channel(bot, double.general.id).send("v0")
        for version in range(1, 4):
            message = await message.edit(content=f"v{version}")
    edits = double.requests_to(EDIT_MESSAGE)
    assert [r.status for r in edits] == [200, 200, 200] and double.rate_limited_count == 0
    assert edits[2].time - edits[0].time >= 0.25
    stored = double.bot_messages(double.general)[0]
    assert [e.content for e in stored.edits] == ["v1", "v2", "v3"]


async def test_exhausted_bucket_answers_429_with_discords_headers(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.set_rate_limit(POST_MESSAGE, 1, 10.0)
    path = f"/channels/{double.general.id}/messages"
    status, headers, _ = await raw(double, "POST", path, json={"content": "one"})
    assert status == 200 and headers["X-RateLimit-Remaining"] == "0" and headers["X-RateLimit-Limit"] == "1"
    assert headers["Content-Type"] == "application/json"
    status, headers, body = await raw(double, "POST", path, json={"content": "two"})
    assert status == 429 and headers["Via"] and headers["X-RateLimit-Scope"] == "user"
    assert float(headers["X-RateLimit-Reset-After"]) > 9 and headers["X-RateLimit-Bucket"]
    assert body.startswith(b'{"message": "You are being rate limited.", "retry_after": ')
    assert double.rate_limited_count == 1


async def test_injected_5xx_surfaces_as_a_server_error(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.inject_fault(POST_MESSAGE, status=503)
    async with running_bot(new_bot(), double) as bot:
        with pytest.raises(discord.DiscordServerError):
            await text_channel(bot, double.general.id).send("boom")
        assert (await text_channel(bot, double.general.id).send("recovered")).content == "recovered"


async def test_missing_permissions_and_unknown_entities(discord_double: DiscordDouble) -> None:
    double = discord_double
    async with running_bot(new_bot(), double) as bot:
        updated = asyncio.ensure_future(bot.wait_for("guild_channel_update", timeout=2))
        await double.set_bot_permissions(double.media, deny=Perm.SEND_MESSAGES)
        _, media = await updated
        assert isinstance(media, discord.TextChannel)
        assert not media.permissions_for(media.guild.me).send_messages
        with pytest.raises(discord.Forbidden) as forbidden:
            await media.send("no")
        with pytest.raises(discord.NotFound) as unknown_message:
            await media.fetch_message(1234)
        with pytest.raises(discord.NotFound) as unknown_channel:
            await bot.fetch_channel(1234)
        fetched_channel = await bot.fetch_channel(double.media.id)
        guild = media.guild
        member = await guild.fetch_member(double.alice.id)
        with pytest.raises(discord.NotFound) as unknown_member:
            await guild.fetch_member(double.bot_user.id + 999)
    assert forbidden.value.code == 50013 and unknown_message.value.code == 10008
    assert unknown_channel.value.code == 10003 and unknown_member.value.code == 10007
    assert member.name == "alice" and isinstance(fetched_channel, discord.TextChannel)
    assert fetched_channel.overwrites_for(discord.Object(double.bot_user.id)).send_messages is False


async def test_edits_keep_exactly_the_listed_attachments(discord_double: DiscordDouble) -> None:
    double = discord_double
    async with running_bot(new_bot(), double) as bot:
        message = await text_channel(bot, double.general.id).send(
            "clips", files=[file("a.mp4", b"A"), file("b.mp4", b"B")]
        )
        message = await message.edit(attachments=[message.attachments[1], file("c.mp4", b"CC")])
        fetched = await message.channel.fetch_message(message.id)
        await text_channel(bot, double.general.id).send("later")
        history = [m.content async for m in message.channel.history(limit=10)]
        around = {
            m.content async for m in message.channel.history(limit=3, around=discord.Object(message.id))
        }
        oldest_first = [
            m.content async for m in message.channel.history(limit=1, after=discord.Object(message.id - 1))
        ]
    assert history == ["later", "clips"] and oldest_first == ["clips"] and around == {"clips", "later"}
    stored = double.bot_messages(double.general)[0]
    assert [(f.filename, f.data) for f in stored.files] == [("b.mp4", b"B"), ("c.mp4", b"CC")]
    assert [a.filename for a in fetched.attachments] == ["b.mp4", "c.mp4"]
    assert [[f.filename for f in revision.attachments] for revision in stored.history] == [
        ["a.mp4", "b.mp4"],
        ["b.mp4", "c.mp4"],
    ]


async def test_replies_and_direct_messages(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.bob.dms_open = False
    async with running_bot(new_bot(), double) as bot:
        posted = await double.post_message(double.alice, double.general, "animate this")
        general = text_channel(bot, double.general.id)
        async with general.typing():
            reply = await general.get_partial_message(posted.id).reply("on it")
        alice = await bot.fetch_user(double.alice.id)
        dm = await alice.send("your clip is ready")
        bob = await bot.fetch_user(double.bob.id)
        with pytest.raises(discord.Forbidden) as closed:
            await bob.send("hello?")
    stored = double.bot_messages(double.general)[0]
    assert stored.type == 19 and stored.reference is not None
    assert stored.reference["message_id"] == str(posted.id) and reply.reference is not None
    assert isinstance(dm.channel, discord.DMChannel) and double.dm_channel(double.alice).messages
    assert closed.value.code == 50007


async def test_sizes_over_the_guild_limit_or_25_mib_are_413(discord_double: DiscordDouble) -> None:
    double = discord_double
    async with running_bot(new_bot(), double) as bot:
        general = text_channel(bot, double.general.id)
        assert general.guild.filesize_limit == 10 * MIB
        with pytest.raises(discord.HTTPException) as one_big:
            await general.send(file=file("big.mp4", b"x" * (10 * MIB + 1)))
        with pytest.raises(discord.HTTPException) as too_many_bytes:
            await general.send(files=[file(f"{n}.mp4", b"x" * (9 * MIB)) for n in range(3)])
        fits = await general.send(file=file("ok.mp4", b"x" * (10 * MIB)))
    for error in (one_big.value, too_many_bytes.value):
        assert (error.status, error.code) == (413, 40005)
    assert fits.attachments[0].size == 10 * MIB


async def test_embed_limits_are_enforced_like_discord(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.spec.enabled = False  # the double's own rule is under test; the spec check would answer first
    async with running_bot(new_bot(), double) as bot:
        general = text_channel(bot, double.general.id)
        with pytest.raises(discord.HTTPException) as long_description:
            await general.send(embed=discord.Embed(description="d" * 4097))
        with pytest.raises(discord.HTTPException) as over_total:
            await general.send(
                embeds=[discord.Embed(description="d" * 4000), discord.Embed(description="e" * 2001)]
            )
        fine = await general.send(embed=discord.Embed(title="t" * 256, description="d" * 4096))
    assert "In embeds.0.description: Must be 4096 or fewer in length." in long_description.value.text
    assert "Embed size exceeds maximum size of 6000" in over_total.value.text
    assert fine.embeds[0].title == "t" * 256


async def test_wire_format_auth_and_unknown_routes(discord_double: DiscordDouble) -> None:
    double = discord_double
    status, headers, body = await raw(double, "GET", "/users/@me", token="wrong")
    assert (status, headers["Content-Type"], body) == (
        401,
        "application/json",
        b'{"message": "401: Unauthorized", "code": 0}',
    )
    status, headers, body = await raw(double, "GET", "/users/@me")
    assert status == 200 and headers["Content-Type"] == "application/json" and b'"bot": true' in body
    status, _, body = await raw(double, "GET", "/no/such/route")
    assert (status, body) == (404, b'{"message": "404: Not Found", "code": 0}')
    path = f"/channels/{double.general.id}/messages"
    _, _, created = await raw(double, "POST", path, json={"content": "bye"})
    message_id = created.split(b'"id": "')[1].split(b'"')[0].decode()
    status, _, body = await raw(double, "DELETE", f"{path}/{message_id}")
    assert (status, body) == (204, b"")
    status, _, body = await raw(
        double, "POST", path, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status == 400 and b"50109" in body
