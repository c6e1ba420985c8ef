"""A V2 message as Discord returns it: used files resolved in place, mentions read from text displays."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import discord
import pytest
from discord import ui
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, Perm
from tests.doubles.fixtures_discord import discord_double, running_bot
from tests.doubles.media import png_bytes

__all__ = ["discord_double"]


def new_bot(**options: Any) -> commands.Bot:
    return commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1, **options
    )


def channel_of(bot: commands.Bot, channel_id: int) -> discord.TextChannel:
    channel = bot.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def gallery_view(text: str, *names: str) -> ui.LayoutView:
    view = ui.LayoutView()
    container: ui.Container[ui.LayoutView] = ui.Container(ui.TextDisplay(text))
    gallery: ui.MediaGallery[ui.LayoutView] = ui.MediaGallery()
    for name in names:
        gallery.add_item(media=f"attachment://{name}")
    container.add_item(gallery)
    view.add_item(container)
    return view


def media_items(message: discord.Message) -> list[discord.UnfurledMediaItem]:
    (container,) = message.components
    assert isinstance(container, discord.components.Container)
    galleries = [c for c in container.children if isinstance(c, discord.components.MediaGalleryComponent)]
    return [item.media for gallery in galleries for item in gallery.items]


async def test_files_a_gallery_uses_leave_attachments_and_come_back_resolved_everywhere(
    discord_double: DiscordDouble,
) -> None:
    """Create, fetch, history and MESSAGE_CREATE all show the gallery's files only inside the gallery."""
    double = discord_double
    received: list[discord.Message] = []
    arrived = asyncio.Event()
    bot = new_bot()

    async def on_message(message: discord.Message) -> None:
        received.append(message)
        arrived.set()

    bot.add_listener(on_message, "on_message")
    async with running_bot(bot, double) as bot:
        channel = channel_of(bot, double.general.id)
        files = [
            discord.File(io.BytesIO(b"clip-a"), "a.mp4"),
            discord.File(io.BytesIO(png_bytes(width=32, height=16)), "b.png"),
            discord.File(io.BytesIO(b"notes"), "notes.txt"),
        ]
        sent = await channel.send(view=gallery_view("clips", "a.mp4", "b.png"), files=files)
        fetched = await channel.fetch_message(sent.id)
        (listed,) = [m async for m in channel.history(limit=1)]
        await asyncio.wait_for(arrived.wait(), 5)
    stored = double.bot_messages(double.general)[0]
    by_name = {f.filename: f for f in stored.files}
    for message in (sent, fetched, listed, received[0]):
        assert [a.filename for a in message.attachments] == ["notes.txt"]  # not used by a component
        first, second = media_items(message)
        assert (first.url, first.attachment_id, first.content_type) == (
            by_name["a.mp4"].url,
            by_name["a.mp4"].id,
            "video/mp4",
        )
        assert (second.attachment_id, second.width, second.height) == (by_name["b.png"].id, 32, 16)
        assert second.proxy_url
    assert [f.filename for f in stored.files] == ["a.mp4", "b.png", "notes.txt"]  # all three were stored


async def test_an_edit_keeps_a_gallery_file_by_id_and_the_webhook_route_answers_the_same_shape(
    discord_double: DiscordDouble,
) -> None:
    """``attachments`` lists the id of each file to keep (docs: "you must provide the id of each file to
    keep"); the answer and GET of an interaction's original response resolve the gallery too."""
    double = discord_double
    bot = new_bot()
    shown: list[discord.Message] = []

    done = asyncio.Event()

    @bot.tree.command(name="card", description="A V2 card with a clip")
    async def card(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.defer()
            first = await interaction.edit_original_response(
                view=gallery_view("one", "a.mp4"), attachments=[discord.File(io.BytesIO(b"A"), "a.mp4")]
            )
            (kept,) = media_items(first)
            data: Any = {"id": kept.attachment_id, "filename": "a.mp4", "size": 1, "url": kept.url}
            keep = discord.Attachment(data={**data, "proxy_url": kept.url}, state=first._state)
            shown.append(
                await interaction.edit_original_response(
                    view=gallery_view("two", "a.mp4", "b.mp4"),
                    attachments=[keep, discord.File(io.BytesIO(b"B"), "b.mp4")],
                )
            )
            shown.append(await interaction.original_response())
        finally:
            done.set()

    async def setup_hook() -> None:
        bot.tree.copy_global_to(guild=discord.Object(double.guild.id))
        await bot.tree.sync(guild=discord.Object(double.guild.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with running_bot(bot, double):
        await double.slash(double.alice, "card")
        await asyncio.wait_for(done.wait(), 5)
    assert len(shown) == 2
    stored = double.bot_messages(double.general)[0]
    assert [(f.filename, f.data) for f in stored.files] == [("a.mp4", b"A"), ("b.mp4", b"B")]
    for message in shown:
        assert message.attachments == []
        assert [m.attachment_id for m in media_items(message)] == [f.id for f in stored.files]


@pytest.mark.parametrize(
    ("allowed", "mentioned"),
    [("none", set()), ("users", {"alice", "bob"}), ("alice only", {"alice"})],
)
async def test_a_v2_message_mentions_whom_its_text_displays_name_as_allowed_mentions_allows(
    discord_double: DiscordDouble, allowed: str, mentioned: set[str]
) -> None:
    double = discord_double
    rules = {
        "none": discord.AllowedMentions.none(),
        "users": discord.AllowedMentions(users=True),
        "alice only": discord.AllowedMentions(users=[discord.Object(double.alice.id)]),
    }[allowed]
    await double.set_bot_permissions(double.general, deny=Perm.MENTION_EVERYONE)
    async with running_bot(new_bot(), double) as bot:
        channel = channel_of(bot, double.general.id)
        view = ui.LayoutView()
        view.add_item(ui.TextDisplay(f"{double.alice.mention}, {double.bob.mention} and @everyone"))
        sent = await channel.send(view=view, allowed_mentions=rules)
    stored = double.bot_messages(double.general)[0]
    assert {user.username for user in stored.mentions} == mentioned
    assert {user.name for user in sent.mentions} == mentioned
    assert not stored.mention_everyone  # the bot may not mention everyone here


async def test_an_edit_parses_its_text_again_under_its_own_allowed_mentions(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    async with running_bot(new_bot(), double) as bot:
        channel = channel_of(bot, double.general.id)
        view = ui.LayoutView()
        view.add_item(ui.TextDisplay(f"{double.alice.mention} @everyone"))
        sent = await channel.send(view=view, allowed_mentions=discord.AllowedMentions.none())
        quiet = double.bot_messages(double.general)[0]
        assert (quiet.mentions, quiet.mention_everyone) == ([], False)
        await sent.edit(view=view, allowed_mentions=discord.AllowedMentions(users=True, everyone=True))
    assert (quiet.mentions, quiet.mention_everyone) == ([double.alice], True)


async def test_parse_users_together_with_a_users_list_is_refused(discord_double: DiscordDouble) -> None:
    """The docs call ``parse: ["users"]`` with ``users: [...]`` an invalid configuration."""
    double = discord_double
    async with running_bot(new_bot(), double) as bot:
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=double.general.id)
        body = {
            "content": double.alice.mention,
            "allowed_mentions": {"parse": ["users"], "users": [str(double.alice.id)]},
        }
        with pytest.raises(discord.HTTPException) as refused:
            await bot.http.request(route, json=body)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert "allowed_mentions" in str(refused.value.text)
