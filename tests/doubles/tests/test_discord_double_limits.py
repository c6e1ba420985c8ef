"""Discord's limits as the double enforces them: message bodies, components, embeds, commands."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.doubles.discord import DiscordAPIError, DiscordDouble
from tests.doubles.discord.commands import is_valid_slash_name, validate_commands
from tests.doubles.discord.errors import FormErrors
from tests.doubles.discord.interactions import UploadedFile
from tests.doubles.discord.limits import validate_message_body
from tests.doubles.fixtures_discord import discord_double, running_bot

__all__ = ["discord_double"]


def button(custom_id: str = "b", **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "Go", "custom_id": custom_id, **extra}


def row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def errors_of(body: dict[str, Any], uploads: int = 0) -> dict[str, Any]:
    errors = FormErrors()
    files = [UploadedFile(i, f"{i}.png", b"", "image/png") for i in range(uploads)]
    validate_message_body(body, errors, files)
    with pytest.raises(DiscordAPIError) as caught:
        errors.raise_if_any()
    assert (caught.value.status, caught.value.code) == (400, 50035)
    return caught.value.errors or {}


def first_code(tree: dict[str, Any], *path: str | int) -> str:
    node = tree
    for part in path:
        node = node[str(part)]
    return str(node["_errors"][0]["code"])


@pytest.mark.parametrize(
    ("body", "uploads", "path", "code"),
    [
        ({"content": "x" * 2001}, 0, ("content",), "BASE_TYPE_MAX_LENGTH"),
        ({"components": [row(button(str(i))) for i in range(6)]}, 0, ("components",), "BASE_TYPE_MAX_LENGTH"),
        (
            {"components": [row(*(button(str(i)) for i in range(6)))]},
            0,
            ("components", 0, "components"),
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            {"components": [row(button("x" * 101))]},
            0,
            ("components", 0, "components", 0, "custom_id"),
            "BASE_TYPE_BAD_LENGTH",
        ),
        (
            {"components": [row(button("same"), button("same"))]},
            0,
            ("components", 0, "components", 1, "custom_id"),
            "COMPONENT_CUSTOM_ID_DUPLICATED",
        ),
        (
            {"components": [row(button(label="l" * 81))]},
            0,
            ("components", 0, "components", 0, "label"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"components": [row({"type": 2, "style": 5, "label": "Open", "url": "https://x/" + "u" * 503})]},
            0,
            ("components", 0, "components", 0, "url"),
            "BASE_TYPE_BAD_LENGTH",
        ),
        ({"components": [button()]}, 0, ("components", 0, "type"), "UNION_TYPE_CHOICES"),
        ({"embeds": [{"title": "t"}] * 11}, 0, ("embeds",), "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [{"title": "t" * 257}]}, 0, ("embeds", 0, "title"), "BASE_TYPE_MAX_LENGTH"),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
            0,
            ("embeds", 0, "fields"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"fields": [{"name": "n" * 257, "value": "v"}]}]},
            0,
            ("embeds", 0, "fields", 0, "name"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]},
            0,
            ("embeds", 0, "fields", 0, "value"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"footer": {"text": "f" * 2049}}]},
            0,
            ("embeds", 0, "footer", "text"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"author": {"name": "a" * 257}}]},
            0,
            ("embeds", 0, "author", "name"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]},
            0,
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
        ),
        ({"content": "files"}, 11, ("attachments",), "BASE_TYPE_MAX_LENGTH"),
        (
            {"flags": 1 << 15, "content": "v2 forbids content"},
            0,
            ("content",),
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        ),
    ],
)
def test_message_limits(body: dict[str, Any], uploads: int, path: tuple[str | int, ...], code: str) -> None:
    assert first_code(errors_of(body, uploads), *path) == code


def test_a_full_but_valid_message_passes() -> None:
    errors = FormErrors()
    body = {
        "content": "x" * 2000,
        "embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 1648}}],
        "components": [row(*(button(f"{r}:{c}") for c in range(5))) for r in range(5)],
    }
    validate_message_body(body, errors, [UploadedFile(i, "a.png", b"", "image/png") for i in range(10)])
    assert errors.empty


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("animate", True),
        ("chuyển-đổi", True),
        ("Animate", False),
        ("two words", False),
        ("", False),
        ("x" * 33, False),
        ("ए-ऐ", True),
        ("it's_1", True),
    ],
)
def test_slash_command_names(name: str, valid: bool) -> None:
    assert is_valid_slash_name(name) is valid


@pytest.mark.parametrize(
    ("commands_body", "path", "code"),
    [
        ([{"name": "Bad", "description": "d", "type": 1}], (0, "name"), "APPLICATION_COMMAND_INVALID_NAME"),
        ([{"name": "ok", "description": "", "type": 1}], (0, "description"), "BASE_TYPE_BAD_LENGTH"),
        ([{"name": "ok", "description": "d" * 101}], (0, "description"), "BASE_TYPE_BAD_LENGTH"),
        (
            [{"name": "ok", "description": "d"}, {"name": "ok", "description": "d"}],
            (1, "name"),
            "APPLICATION_COMMANDS_DUPLICATE_NAME",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [
                        {"type": 3, "name": "a", "description": "d"},
                        {"type": 3, "name": "b", "description": "d", "required": True},
                    ],
                }
            ],
            (0, "options", 1, "required"),
            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
        ),
        (
            [{"name": "ok", "description": "d", "name_localizations": {"xx": "ok"}}],
            (0, "name_localizations", "xx"),
            "LOCALE_INVALID",
        ),
        (
            [{"name": "Animate image", "type": 3, "description": "no"}],
            (0, "description"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [
                        {
                            "type": 3,
                            "name": "a",
                            "description": "d",
                            "choices": [{"name": "c", "value": str(i)} for i in range(26)],
                        },
                    ],
                }
            ],
            (0, "options", 0, "choices"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [
                        {
                            "type": 8,
                            "name": "role",
                            "description": "d",
                            "choices": [{"name": "Booster", "value": "1"}],
                        }
                    ],
                }
            ],
            (0, "options", 0, "choices"),
            "APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [{"type": 8, "name": "role", "description": "d", "min_value": 1}],
                }
            ],
            (0, "options", 0, "min_value"),
            "APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [{"type": 4, "name": "n", "description": "d", "max_length": 5}],
                }
            ],
            (0, "options", 0, "max_length"),
            "APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID",
        ),
        (
            [
                {
                    "name": "ok",
                    "description": "d",
                    "options": [{"type": 3, "name": "s", "description": "d", "channel_types": [0]}],
                }
            ],
            (0, "options", 0, "channel_types"),
            "APPLICATION_COMMAND_OPTION_FIELD_TYPE_INVALID",
        ),
    ],
)
def test_command_rules(commands_body: list[dict[str, Any]], path: tuple[str | int, ...], code: str) -> None:
    with pytest.raises(DiscordAPIError) as caught:
        validate_commands(commands_body)
    assert first_code(caught.value.errors or {}, *path) == code


def test_a_role_option_as_discord_py_sends_it_is_accepted() -> None:
    """discord.py sends a ROLE option with type, name, description and required only."""
    role = {"type": 8, "name": "role", "description": "d", "required": False}
    assert validate_commands([{"name": "ok", "description": "d", "options": [role]}])


def test_too_many_commands_of_one_type() -> None:
    menus = [{"name": f"Menu {i}", "type": 3} for i in range(16)]
    with pytest.raises(DiscordAPIError) as caught:
        validate_commands(menus)
    assert (caught.value.status, caught.value.code) == (400, 30032)


class Vietnamese(app_commands.Translator):
    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext[Any, Any],
    ) -> str | None:
        table = {"animate": "hoat-hinh", "Animate an image": "Tạo video từ ảnh"}
        return table.get(string.message) if locale is discord.Locale.vietnamese else None


async def test_localized_sync_round_trips_and_invalid_sync_fails(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.1)
    guild = discord.Object(double.guild.id)

    @bot.tree.command(name="animate", description="Animate an image", guild=guild)
    async def animate(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    async def setup_hook() -> None:
        await bot.tree.set_translator(Vietnamese())
        await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    async with running_bot(bot, double):
        fetched = await bot.tree.fetch_commands(guild=guild)
        url = f"{double.api_base_url}/applications/{double.bot_user.id}/guilds/{double.guild.id}/commands"
        bad = json.dumps([{"name": "Animate", "description": "d"}])
        headers = {"Authorization": f"Bot {double.token}", "Content-Type": "application/json"}
        async with (
            aiohttp.ClientSession() as session,
            session.put(url, data=bad, headers=headers) as response,
        ):
            status, body = response.status, await response.json()
    assert fetched[0].name_localizations == {discord.Locale.vietnamese: "hoat-hinh"}
    assert fetched[0].description_localizations == {discord.Locale.vietnamese: "Tạo video từ ảnh"}
    assert status == 400 and body["code"] == 50035
    assert body["errors"]["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert double.state.find_command("animate", 1, double.guild.id) is not None
