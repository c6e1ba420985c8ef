"""Interactions through the Discord double: attachments, defers, follow-ups, components, deadlines, limits."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from tests.doubles.discord import DiscordDouble, Message, MessageFlag
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def new_bot(double: DiscordDouble) -> commands.Bot:
    """A bot whose commands are copied to the double's guild and synced there at startup."""
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)

    async def setup_hook() -> None:
        bot.add_dynamic_items(Retry)
        bot.tree.copy_global_to(guild=discord.Object(double.guild.id))
        await bot.tree.sync(guild=discord.Object(double.guild.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


class Retry(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"retry:(?P<job>[0-9]+):(?P<count>[0-9]+)"
):
    """A restart-proof button whose state lives in its custom_id."""

    def __init__(self, job: int, count: int = 0) -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=f"Retry ({count})", custom_id=f"retry:{job}:{count}"
        )
        super().__init__(button)
        self.job, self.count = job, count

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Retry:
        return cls(int(match["job"]), int(match["count"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.edit_message(
            content=f"retried {self.count + 1}", view=retry_view(self.job, self.count + 1)
        )


def retry_view(job: int, count: int = 0) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(Retry(job, count))
    return view


async def download(url: str) -> bytes:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        return await response.read()


async def test_slash_attachment_reaches_the_handler_with_readable_bytes(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    await double.set_preferred_locale("vi")
    bot = new_bot(double)
    seen: dict[str, Any] = {}

    @bot.tree.command(name="animate", description="Animate an image")
    async def animate(
        interaction: discord.Interaction, image: discord.Attachment, prompt: str | None = None
    ) -> None:
        seen.update(
            data=await image.read(),
            name=image.filename,
            type=image.content_type,
            ephemeral=image.ephemeral,
            prompt=prompt,
            limit=interaction.filesize_limit,
            locale=interaction.locale,
            guild_locale=interaction.guild_locale,
            channel=interaction.channel,
            expired=interaction.is_expired(),
            user=interaction.user,
        )
        await interaction.response.send_message("queued")

    async with running_bot(bot, double):
        handle = await double.slash(
            double.alice, "animate", attachment=("cat.png", b"\x89PNG-cat", "image/png"), locale="vi"
        )
        response = await handle.wait_response()
    assert seen["data"] == b"\x89PNG-cat" and seen["name"] == "cat.png" and seen["type"] == "image/png"
    assert seen["ephemeral"] is True and seen["prompt"] is None
    assert seen["limit"] == 10 * 1024 * 1024 and not seen["expired"]
    assert seen["locale"] == discord.Locale.vietnamese and seen["guild_locale"] == discord.Locale.vietnamese
    assert isinstance(seen["channel"], discord.TextChannel) and seen["channel"].name == "general"
    assert isinstance(seen["user"], discord.Member) and seen["user"].name == "alice"
    assert handle.data["guild_id"] == str(double.guild.id)
    assert response.accepted and response.type == 4 and response.latency < 1.0
    assert handle.original_message is not None and handle.original_message.content == "queued"
    assert not handle.ephemeral


async def test_defer_then_followup_with_a_file_fills_the_loading_message(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    bot = new_bot(double)

    @bot.tree.command(name="render", description="Render a clip")
    async def render(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True, ephemeral=True)
        await interaction.followup.send(
            "here", file=discord.File(io.BytesIO(b"MP4DATA"), "clip.mp4"), ephemeral=False
        )
        await interaction.followup.send("and a second message", ephemeral=True)

    async with running_bot(bot, double):
        handle = await double.slash(double.bob, "render")
        deferred = await handle.wait_response()
        followups = await handle.wait_followups(1)
    original = handle.original_message
    assert deferred.type == 5 and original is not None
    assert original.content == "here" and not original.loading and original.ephemeral
    assert [(f.filename, f.size) for f in original.files] == [("clip.mp4", 7)]
    assert await download(original.files[0].url) == b"MP4DATA"
    assert original.history[0].flags & MessageFlag.LOADING
    assert [m.content for m in followups] == ["and a second message"] and followups[0].ephemeral
    upload = double.requests_to("POST /webhooks/{webhook_id}/{token}")[0]
    assert upload.authorization is None and upload.files[0].filename == "clip.mp4"
    assert upload.payload["attachments"] == [{"id": 0, "filename": "clip.mp4"}]


async def test_edit_original_with_file_and_dynamic_button_then_click_updates(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    bot = new_bot(double)

    @bot.tree.command(name="render", description="Render a clip")
    async def render(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        clip = discord.File(io.BytesIO(b"clip-bytes"), "clip.mp4")
        await interaction.edit_original_response(content="rendered", attachments=[clip], view=retry_view(7))

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "render")
        message = await handle.wait_original(lambda m: not m.loading)
        assert message.custom_ids == ["retry:7:0"] and message.components[0]["components"][0]["id"] == 2
        click = await double.click(double.bob, message, "retry:7:0")
        clicked = await click.wait_response()
    assert clicked.accepted and clicked.type == 7
    assert message.content == "retried 1" and message.custom_ids == ["retry:7:1"]
    assert [e.content for e in message.edits] == ["rendered", "retried 1"]
    assert [f.filename for f in message.files] == ["clip.mp4"]
    assert await download(message.files[0].url) == b"clip-bytes"
    assert click.payload["message"]["components"][0]["components"][0]["custom_id"] == "retry:7:0"


async def test_message_context_menu_sees_other_users_attachments(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    seen: dict[str, Any] = {}

    @bot.tree.context_menu(name="Animate image")
    async def animate(interaction: discord.Interaction, message: discord.Message) -> None:
        seen.update(
            author=message.author.name,
            files=[a.filename for a in message.attachments],
            data=await message.attachments[0].read(),
        )
        clip = discord.File(io.BytesIO(b"MP4"), "dog.mp4")
        await interaction.response.send_message("ok", ephemeral=True, file=clip)

    async with running_bot(bot, double):
        target = await double.post_message(
            double.bob, double.media, "look", attachments=[("dog.jpg", b"JPEG")]
        )
        handle = await double.message_command(double.alice, "Animate image", target)
        await handle.wait_response()
    assert seen == {"author": "bob", "files": ["dog.jpg"], "data": b"JPEG"}
    assert handle.ephemeral and handle.data["target_id"] == str(target.id)
    assert handle.original_message is not None and handle.original_message.files[0].data == b"MP4"
    assert handle.attempts[0].files[0].filename == "dog.mp4"


async def test_modal_round_trip(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)

    class PromptModal(discord.ui.Modal, title="Extend clip"):
        prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Prompt", custom_id="prompt")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"extending with {self.prompt.value}")

    @bot.tree.command(name="extend", description="Extend a clip")
    async def extend(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PromptModal())

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "extend")
        assert (await opened.wait_response()).type == 9
        submitted = await double.submit_modal(double.alice, opened, {"prompt": "zoom out"})
        await submitted.wait_response()
    assert submitted.original_message is not None
    assert submitted.original_message.content == "extending with zoom out"


async def test_late_first_response_gets_unknown_interaction(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.config.response_deadline = 0.2
    bot = new_bot(double)
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="slow", description="Too slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.25)  # The slow work this test is about.
        try:
            await interaction.response.defer()
        except discord.HTTPException as error:
            outcome.set_result(error)

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "slow")
        attempt = await handle.wait_response()
        error = await asyncio.wait_for(outcome, 2)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert (attempt.status, attempt.code) == (404, 10062) and attempt.latency > 0.2
    assert not handle.acknowledged


async def test_second_acknowledgement_is_refused_with_40060(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    outcome: asyncio.Future[BaseException] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        try:
            await discord.InteractionResponse(interaction).send_message("second")
        except discord.HTTPException as error:
            outcome.set_result(error)

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "twice")
        error = await asyncio.wait_for(outcome, 2)
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (400, 40060)
    assert [(a.status, a.code) for a in handle.attempts] == [(200, None), (400, 40060)]
    assert handle.original_message is not None and handle.original_message.content == "first"


async def test_expired_token_rejects_webhook_calls_with_50027(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    go = asyncio.Event()
    outcomes: asyncio.Queue[BaseException | bool] = asyncio.Queue()

    @bot.tree.command(name="long", description="A long job")
    async def long(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await go.wait()
        try:
            await interaction.edit_original_response(content="done")
        except discord.HTTPException as error:
            await outcomes.put(error)
        await outcomes.put(interaction.is_expired())

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "long")
        await handle.wait_response()
        double.expire_interaction(handle)
        go.set()
        error = await asyncio.wait_for(outcomes.get(), 2)
        assert await outcomes.get() is False  # discord.py trusts the id; the double judged the real age.
        go.clear()
        aged = await double.slash(double.alice, "long", age=16 * 60)
        await aged.wait_response()
        go.set()
        aged_error = await asyncio.wait_for(outcomes.get(), 2)
        assert await outcomes.get() is True
    for failure in (error, aged_error):
        assert isinstance(failure, discord.HTTPException) and (failure.status, failure.code) == (401, 50027)


async def test_upload_over_attachment_size_limit_is_413_40005(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    outcome: asyncio.Future[tuple[int, BaseException]] = asyncio.get_running_loop().create_future()

    @bot.tree.command(name="big", description="Uploads too much")
    async def big(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        try:
            await interaction.followup.send(file=discord.File(io.BytesIO(b"x" * 2048), "big.mp4"))
        except discord.HTTPException as error:
            outcome.set_result((interaction.filesize_limit, error))

    async with running_bot(bot, double):
        await double.slash(double.alice, "big", attachment_size_limit=1024)
        limit, error = await asyncio.wait_for(outcome, 2)
    assert limit == 1024
    assert isinstance(error, discord.HTTPException) and (error.status, error.code) == (413, 40005)


async def test_too_long_content_and_custom_id_are_invalid_form_bodies(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.spec.enabled = False  # the double's own rule is under test; the spec check would answer first
    bot = new_bot(double)
    errors: list[discord.HTTPException] = []

    @bot.tree.command(name="bad", description="Breaks limits, then recovers")
    async def bad(interaction: discord.Interaction) -> None:
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="go", custom_id="x" * 101))
        for attempt in ({"content": "y" * 2001}, {"content": "ok", "view": view}):
            try:
                await interaction.response.send_message(**attempt)
            except discord.HTTPException as error:
                errors.append(error)
        await interaction.response.send_message("y" * 2000)

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "bad")
        message = await handle.wait_original()
    assert [(e.status, e.code) for e in errors] == [(400, 50035), (400, 50035)]
    assert "In data.content: Must be 2000 or fewer in length." in errors[0].text
    assert "In data.components.0.components.0.custom_id: Must be between 1 and 100" in errors[1].text
    assert len(message.content) == 2000
    assert [a.status for a in handle.attempts] == [400, 400, 200]


async def test_click_on_unknown_or_missing_component_is_a_test_error(discord_double: DiscordDouble) -> None:
    double = discord_double
    message = await double.post_message(double.alice, double.general, "plain")
    assert isinstance(message, Message)
    try:
        await double.click(double.bob, message, "nothing-here")
    except LookupError as error:
        assert "nothing-here" in str(error)
    else:
        raise AssertionError("clicking a missing component must fail")
