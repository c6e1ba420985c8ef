"""Driver features of the Discord double: permissions, users, selects, DMs, webhook messages, waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, Perm, snowflake_time
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def new_bot(double: DiscordDouble) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)

    async def setup_hook() -> None:
        await bot.tree.sync()
        bot.tree.copy_global_to(guild=discord.Object(double.guild.id))
        await bot.tree.sync(guild=discord.Object(double.guild.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


async def test_member_permissions_reach_interactions(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    seen: list[tuple[str, bool, bool]] = []

    @bot.tree.command(name="whoami", description="Shows permissions")
    async def whoami(interaction: discord.Interaction) -> None:
        member = interaction.user
        assert isinstance(member, discord.Member)
        seen.append(
            (member.name, interaction.permissions.manage_messages, member.guild_permissions.manage_guild)
        )
        await interaction.response.send_message("ok", ephemeral=True)

    async with running_bot(bot, double):
        carol = await double.add_user("carol")
        await double.set_permissions(carol, Perm.MANAGE_MESSAGES | Perm.MANAGE_GUILD)
        for user in (double.alice, double.mod, double.admin, carol):
            await (await double.slash(user, "whoami")).wait_response()
    assert seen == [
        ("alice", False, False),
        ("mod", True, False),
        ("admin", False, True),
        ("carol", True, True),
    ]


async def test_select_values_user_command_and_dm_slash(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    picked: asyncio.Future[list[str]] = asyncio.get_running_loop().create_future()
    view_stored = asyncio.Event()

    class Quality(discord.ui.View):
        @discord.ui.select(
            custom_id="quality", options=[discord.SelectOption(label=q) for q in ("480p", "720p")]
        )
        async def choose(self, interaction: discord.Interaction, select: discord.ui.Select[Any]) -> None:
            picked.set_result(select.values)
            await interaction.response.edit_message(content=f"quality {select.values[0]}", view=None)

    @bot.tree.command(name="settings", description="Pick a quality")
    async def settings(interaction: discord.Interaction) -> None:
        where = "dm" if isinstance(interaction.channel, discord.DMChannel) else "guild"
        await interaction.response.send_message(where, view=Quality())
        view_stored.set()  # a message-bound view only exists once send_message has returned

    @bot.tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, user: discord.Member) -> None:
        await interaction.response.send_message(f"profile of {user.name}")

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "settings")
        menu = await opened.wait_original()
        await asyncio.wait_for(view_stored.wait(), 2)
        await (await double.click(double.alice, menu, "quality", values=["720p"])).wait_response()
        profile_handle = await double.user_command(double.alice, "Profile", double.bob)
        profile_message = await profile_handle.wait_original()
        in_dm = await double.slash(double.alice, "settings", channel=double.dm_channel(double.alice))
        dm_message = await in_dm.wait_original()
    assert await picked == ["720p"] and menu.content == "quality 720p" and menu.components == []
    assert profile_message.content == "profile of bob"
    assert dm_message.content == "dm" and "guild_id" not in in_dm.payload and in_dm.payload["user"]["id"]


async def test_original_and_followup_webhook_messages(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.inject_fault("POST /webhooks/{webhook_id}/{token}", times=1, retry_after=0.01)
    bot = new_bot(double)
    fetched: dict[str, Any] = {}

    @bot.tree.command(name="progress", description="Reports progress")
    async def progress(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("0%")
        original = await interaction.original_response()
        fetched["original"] = original.content
        note = await interaction.followup.send("working", wait=True)
        await note.edit(content="worked")
        await interaction.edit_original_response(content="100%")
        await interaction.delete_original_response()

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "progress")
        original = await double.wait_for_message(lambda m: m.id == handle.original_message_id and m.deleted)
    followup = handle.followups[0]
    assert fetched["original"] == "0%" and [e.content for e in original.edits] == ["100%"]
    assert followup.content == "worked" and followup.interaction_metadata is not None
    assert double.rate_limited_count == 1
    assert snowflake_time(handle.id) <= snowflake_time(original.id)


async def test_wait_for_message_sees_channel_posts_from_the_bot(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)

    @bot.event
    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        channel = bot.get_channel(payload.channel_id)
        assert isinstance(channel, discord.TextChannel)
        message = channel.get_partial_message(payload.message_id)
        await message.add_reaction("⏳")
        await channel.send(f"queued {payload.emoji}", reference=message)

    async with running_bot(bot, double):
        posted = await double.post_message(double.alice, double.media, "cat", attachments=[("c.png", b"1")])
        await double.add_reaction(double.alice, posted, "🎬")
        reply = await double.wait_for_message(
            lambda m: m.author == double.bot_user and m.reference is not None
        )
        await double.wait_for_message(
            lambda m: m is posted and double.bot_user.id in m.reactions.get("⏳", [])
        )
    assert reply.content == "queued 🎬" and reply.reference == {
        "type": 0,
        "message_id": str(posted.id),
        "channel_id": str(double.media.id),
        "guild_id": str(double.guild.id),
    }


async def test_after_token_expiry_only_non_ephemeral_responses_can_be_edited_by_channel(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    bot = new_bot(double)
    results: asyncio.Queue[str] = asyncio.Queue()

    @bot.tree.command(name="job", description="A job that outlives its token")
    async def job(interaction: discord.Interaction, private: bool) -> None:
        await interaction.response.send_message("working", ephemeral=private)
        response = await interaction.original_response()
        double.expire_interaction(interaction.token)
        try:
            await interaction.edit_original_response(content="done")
        except discord.HTTPException as error:
            await results.put(f"webhook {error.code}")
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        try:
            await channel.get_partial_message(response.id).edit(content="done by channel")
            await results.put("channel ok")
        except discord.HTTPException as error:
            await results.put(f"channel {error.code}")

    async with running_bot(bot, double):
        public = await double.slash(double.alice, "job", {"private": False})
        outcomes = [await asyncio.wait_for(results.get(), 2) for _ in range(2)]
        private = await double.slash(double.alice, "job", {"private": True})
        outcomes += [await asyncio.wait_for(results.get(), 2) for _ in range(2)]
    assert outcomes == ["webhook 50027", "channel ok", "webhook 50027", "channel 10008"]
    assert public.original_message is not None and public.original_message.content == "done by channel"
    assert private.original_message is not None and private.original_message.content == "working"
