"""Modals through the Discord double: Labels, File Uploads and selects, their limits, and submits."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.doubles.discord import DiscordAPIError, DiscordDouble
from tests.doubles.discord.errors import FormErrors
from tests.doubles.discord.limits import validate_modal
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def new_bot(double: DiscordDouble) -> commands.Bot:
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)

    async def setup_hook() -> None:
        bot.tree.copy_global_to(guild=discord.Object(double.guild.id))
        await bot.tree.sync(guild=discord.Object(double.guild.id))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    return bot


class UploadForm(discord.ui.Modal, title="Upload"):
    """A form like Motionbot's: one required file, an optional text, an optional choice."""

    image: discord.ui.Label[Any] = discord.ui.Label(
        text="Image", component=discord.ui.FileUpload(custom_id="image", min_values=1, max_values=1)
    )
    words: discord.ui.Label[Any] = discord.ui.Label(
        text="Words", component=discord.ui.TextInput(custom_id="words", required=False, default="hi")
    )
    pace: discord.ui.Label[Any] = discord.ui.Label(
        text="Pace",
        component=discord.ui.Select(
            custom_id="pace",
            required=False,
            min_values=0,
            options=[
                discord.SelectOption(label="Slow", value="slow", default=True),
                discord.SelectOption(label="Fast", value="fast"),
            ],
        ),
    )
    seen: dict[str, Any]

    async def on_submit(self, interaction: discord.Interaction) -> None:
        upload: discord.ui.FileUpload[Any] = self.image.component  # type: ignore[assignment]
        files = upload.values
        self.seen.update(
            files=[(f.filename, f.content_type, f.width, await f.read()) for f in files],
            url=files[0].url if files else None,
            words=self.words.component.value,  # type: ignore[attr-defined]
            pace=self.pace.component.values,  # type: ignore[attr-defined]
        )
        await interaction.response.send_message("got it", ephemeral=True)


def form_bot(double: DiscordDouble, seen: dict[str, Any]) -> commands.Bot:
    bot = new_bot(double)

    @bot.tree.command(name="upload", description="Open the form")
    async def upload(interaction: discord.Interaction) -> None:
        form = UploadForm()
        form.seen = seen
        await interaction.response.send_modal(form)

    return bot


async def test_a_file_uploaded_in_a_modal_reaches_file_upload_values(discord_double: DiscordDouble) -> None:
    """discord.py 2.7 gives the uploaded file to FileUpload.values as an Attachment served by the CDN."""
    double, seen = discord_double, {}
    async with running_bot(form_bot(double, seen), double):
        opened = await double.slash(double.alice, "upload")
        assert (await opened.wait_response()).type == 9
        png = b"\x89PNG\r\n\x1a\n" + bytes(32)
        submitted = await double.submit_modal(
            double.alice, opened, {"pace": ["fast"]}, files={"image": [("a.png", png, "image/png")]}
        )
        await submitted.wait_response()
    assert seen["files"] == [("a.png", "image/png", None, png)]
    assert "/ephemeral-attachments/" in seen["url"] and seen["url"].startswith(double.base_url)
    assert (seen["words"], seen["pace"]) == ("hi", ["fast"])  # the prefill is kept when untouched
    label = submitted.data["components"][0]
    assert label["type"] == 18 and label["component"]["type"] == 19
    file_id = label["component"]["values"][0]
    assert submitted.data["resolved"]["attachments"][file_id]["filename"] == "a.png"
    assert submitted.ephemeral


async def test_untouched_choices_submit_their_default_options(discord_double: DiscordDouble) -> None:
    double, seen = discord_double, {}
    async with running_bot(form_bot(double, seen), double):
        opened = await double.slash(double.alice, "upload")
        await opened.wait_response()
        submitted = await double.submit_modal(double.alice, opened, files={"image": [("a.txt", b"x")]})
        await submitted.wait_response()
    assert seen["pace"] == ["slow"] and seen["files"][0][:2] == ("a.txt", "text/plain")


async def test_the_client_will_not_submit_an_incomplete_or_impossible_form(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    async with running_bot(form_bot(double, {}), double):
        opened = await double.slash(double.alice, "upload")
        await opened.wait_response()
        with pytest.raises(ValueError, match="required"):
            await double.submit_modal(double.alice, opened)
        two = [("a.png", b"a"), ("b.png", b"b")]
        with pytest.raises(ValueError, match="max_values"):
            await double.submit_modal(double.alice, opened, files={"image": two})
        with pytest.raises(ValueError, match="options"):
            await double.submit_modal(double.alice, opened, {"pace": ["warp"]}, files={"image": two[:1]})


async def test_a_modal_submit_cannot_be_answered_with_another_modal(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = new_bot(double)
    errors: list[BaseException] = []

    class Again(discord.ui.Modal, title="Again"):
        words: discord.ui.Label[Any] = discord.ui.Label(
            text="Words", component=discord.ui.TextInput(custom_id="w")
        )

        async def on_submit(self, interaction: discord.Interaction) -> None:
            try:
                await interaction.response.send_modal(Again())
            except discord.HTTPException as error:
                errors.append(error)
                await interaction.response.send_message("no", ephemeral=True)

    @bot.tree.command(name="again", description="Open a form")
    async def again(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Again())

    async with running_bot(bot, double):
        opened = await double.slash(double.alice, "again")
        await opened.wait_response()
        submitted = await double.submit_modal(double.alice, opened, {"w": "x"})
        await submitted.wait_response()
    assert submitted.attempts[0].status == 400 and isinstance(errors[0], discord.HTTPException)


async def test_an_invalid_modal_from_discord_py_gets_400_50035(discord_double: DiscordDouble) -> None:
    """A required File Upload with min_values 0 is refused by Discord, and so by the double."""
    double = discord_double
    bot = new_bot(double)
    caught: list[discord.HTTPException] = []

    @bot.tree.command(name="broken", description="Open a broken form")
    async def broken(interaction: discord.Interaction) -> None:
        form = discord.ui.Modal(title="Broken")
        form.add_item(
            discord.ui.Label(text="File", component=discord.ui.FileUpload(custom_id="f", min_values=0))
        )
        try:
            await interaction.response.send_modal(form)
        except discord.HTTPException as error:
            caught.append(error)

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "broken")
        attempt = await handle.wait_response()
    assert (attempt.status, attempt.code) == (400, 50035) and caught[0].code == 50035


def upload(**extra: Any) -> dict[str, Any]:
    return {"type": 19, "custom_id": "f", **extra}


def label(component: dict[str, Any], text: str = "File", **extra: Any) -> dict[str, Any]:
    return {"type": 18, "label": text, "component": component, **extra}


def modal(*components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"custom_id": "m", "title": "Form", "components": list(components), **extra}


def select(**extra: Any) -> dict[str, Any]:
    return {"type": 3, "custom_id": "s", "options": [{"label": "A", "value": "a"}], **extra}


def first_code(data: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    errors = FormErrors()
    validate_modal(data, errors)
    with pytest.raises(DiscordAPIError) as caught:
        errors.raise_if_any()
    node, path = caught.value.errors or {}, []
    while "_errors" not in node:
        key = next(iter(node))
        path.append(key)
        node = node[key]
    return tuple(path), str(node["_errors"][0]["code"])


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        (
            modal({"type": 1, "components": [upload()]}),
            ("components", "0", "components"),
            "MODAL_ROW_INVALID",
        ),
        (modal(upload()), ("components", "0", "type"), "UNION_TYPE_CHOICES"),
        (
            modal(label({"type": 2, "style": 1, "label": "B", "custom_id": "b"})),
            ("components", "0", "component", "type"),
            "UNION_TYPE_CHOICES",
        ),
        (modal(label(upload(), "x" * 46)), ("components", "0", "label"), "BASE_TYPE_BAD_LENGTH"),
        (
            modal(label(upload(), description="d" * 101)),
            ("components", "0", "description"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            modal(label(upload(min_values=0))),
            ("components", "0", "component", "min_values"),
            "COMPONENT_MIN_VALUES_REQUIRED",
        ),
        (
            modal(label(upload(max_values=11))),
            ("components", "0", "component", "max_values"),
            "NUMBER_TYPE_MAX",
        ),
        (
            modal(label(upload(custom_id=""))),
            ("components", "0", "component", "custom_id"),
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            modal(label(select(disabled=True))),
            ("components", "0", "component", "disabled"),
            "MODAL_COMPONENT_DISABLED",
        ),
        (
            modal(label(select(options=[]))),
            ("components", "0", "component", "options"),
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            modal(*(label(upload(custom_id=str(i))) for i in range(6))),
            ("components",),
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            modal(label(upload()), label(upload())),
            ("components", "1", "component", "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
        ),
        (modal(label(upload()), title="t" * 46), ("title",), "BASE_TYPE_BAD_LENGTH"),
        (
            modal(label({"type": 4, "custom_id": "t", "style": 1, "max_length": 4001})),
            ("components", "0", "component", "max_length"),
            "NUMBER_TYPE_MAX",
        ),
    ],
)
def test_modal_limits(data: dict[str, Any], path: tuple[str, ...], code: str) -> None:
    assert first_code(data) == (path, code)


def test_a_full_but_valid_modal_passes() -> None:
    errors = FormErrors()
    text = {"type": 4, "custom_id": "t", "style": 2, "max_length": 4000, "placeholder": "p" * 100}
    validate_modal(
        modal(
            label(upload(min_values=1, max_values=10, required=True), "f" * 45, description="d" * 100),
            label(text),
            label(select(required=False, min_values=0)),
            {"type": 10, "content": "Read me"},
            {"type": 1, "components": [{"type": 4, "custom_id": "old", "style": 1, "label": "Old style"}]},
            title="t" * 45,
        ),
        errors,
    )
    assert errors.empty
