"""The Discord double checks every request body against Discord's OpenAPI spec (tests/vendor/)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import discord
import pytest

from tests.doubles.discord import DiscordDouble
from tests.doubles.discord.spec import SpecViolationError, request_spec
from tests.doubles.fixtures_discord import running_bot
from tests.doubles.tests.test_discord_double_interactions import new_bot as command_bot
from tests.doubles.tests.test_discord_double_rest import raw

INT53_MAX = 2**53 - 1  # Int53Type in the spec
GUILD_COMMANDS = "PUT /applications/{application_id}/guilds/{guild_id}/commands"


def show_command(max_value: int) -> list[dict[str, Any]]:
    """A command list shaped like the one discord.py sends for `/show job:<int 1..max_value>`."""
    job = {"type": 4, "name": "job", "description": "Job id", "required": True, "min_value": 1}
    return [
        {
            "name": "show",
            "description": "Re-post a job",
            "type": 1,
            "options": [{**job, "max_value": max_value}],
        }
    ]


def commands_path(double: DiscordDouble) -> str:
    return f"/applications/{double.state.application_id}/guilds/{double.guild.id}/commands"


async def test_an_integer_option_above_int53_is_refused_like_discord(discord_double: DiscordDouble) -> None:
    double = discord_double
    status, _, body = await raw(double, "PUT", commands_path(double), json=show_command(2**53))
    assert status == 400
    assert json.loads(body) == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": {
            "0": {
                "options": {
                    "0": {
                        "max_value": {
                            "_errors": [
                                {
                                    "code": "NUMBER_TYPE_MAX",
                                    "message": "int value should be less than or equal to 9007199254740991.",
                                }
                            ]
                        }
                    }
                }
            }
        },
    }
    assert double.state.command_scope(double.guild.id).commands == {}  # the whole list was refused
    [violation] = double.spec.take_violations()
    assert violation.route == GUILD_COMMANDS
    assert violation.payload == show_command(2**53)


async def test_the_largest_int53_is_accepted(discord_double: DiscordDouble) -> None:
    double = discord_double
    status, _, _ = await raw(double, "PUT", commands_path(double), json=show_command(INT53_MAX))
    assert status == 200
    assert "show" in {name for _, name in double.state.command_scope(double.guild.id).commands}
    assert double.spec.violations == []


async def test_a_valid_message_is_accepted_and_a_long_one_refused(discord_double: DiscordDouble) -> None:
    double = discord_double
    path = f"/channels/{double.general.id}/messages"
    ok, _, _ = await raw(double, "POST", path, json={"content": "hello", "allowed_mentions": {"parse": []}})
    refused, _, body = await raw(double, "POST", path, json={"content": "x" * 4001})
    assert (ok, refused) == (200, 400)
    assert json.loads(body)["errors"] == {
        "content": {
            "_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4000 or fewer in length."}]
        }
    }
    assert [m.content for m in double.bot_messages(double.general)] == ["hello"]
    assert len(double.spec.take_violations()) == 1


async def test_multipart_payload_json_is_checked(discord_double: DiscordDouble) -> None:
    double = discord_double

    def form(payload: dict[str, Any]) -> aiohttp.FormData:
        data = aiohttp.FormData()
        data.add_field("payload_json", json.dumps(payload), content_type="application/json")
        data.add_field("files[0]", b"bytes", filename="a.txt", content_type="text/plain")
        return data

    path = f"/channels/{double.general.id}/messages"
    attachments = [{"id": 0, "filename": "a.txt"}]
    ok, _, _ = await raw(double, "POST", path, data=form({"content": "file", "attachments": attachments}))
    refused, _, body = await raw(double, "POST", path, data=form({"content": "file", "tts": "yes"}))
    assert (ok, refused) == (200, 400)
    assert json.loads(body)["errors"] == {
        "tts": {
            "_errors": [{"code": "BOOLEAN_TYPE_CONVERT", "message": 'Could not interpret "yes" as boolean.'}]
        }
    }
    assert [violation.route for violation in double.spec.take_violations()] == [
        "POST /channels/{channel_id}/messages"
    ]


async def test_a_refused_callback_is_an_attempt_and_the_bot_sees_discords_error(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    bot = command_bot(double)
    refusals: list[discord.HTTPException] = []

    @bot.tree.command(name="long", description="Answers too long, then fits")
    async def long(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("y" * 2001)
        except discord.HTTPException as error:
            refusals.append(error)
        await interaction.response.send_message("fits")

    async with running_bot(bot, double):
        handle = await double.slash(double.alice, "long")
        await handle.wait_original()
    assert [(a.status, a.code) for a in handle.attempts] == [(400, 50035), (200, None)]
    assert "In data.content: Must be 2000 or fewer in length." in refusals[0].text
    assert len(double.spec.take_violations()) == 1


async def test_a_violation_no_test_took_fails_the_double_when_it_stops() -> None:
    double = DiscordDouble()
    await double.start()
    await raw(double, "PUT", commands_path(double), json=show_command(2**53))
    with pytest.raises(SpecViolationError, match=r"(?s)NUMBER_TYPE_MAX.*take_violations"):
        await double.stop()


async def test_the_check_can_be_turned_off_for_the_doubles_own_rules(discord_double: DiscordDouble) -> None:
    double = discord_double
    double.spec.enabled = False
    path = f"/channels/{double.general.id}/messages"
    status, _, body = await raw(double, "POST", path, json={"content": "x" * 2001})
    assert status == 400 and b"Must be 2000 or fewer" in body  # the double's own content rule answered
    assert double.spec.violations == []


@pytest.mark.parametrize(
    ("reference", "valid"),
    [
        ({"message_id": "1", "channel_id": "2"}, True),  # the spec's string snowflakes
        ({"message_id": 1, "channel_id": 2}, True),  # discord.py's ints (an exemption in spec.py)
        ({"message_id": -1}, False),
        ({"message_id": "12a"}, False),
    ],
)
def test_snowflakes_are_strings_or_discord_py_integers(reference: dict[str, Any], valid: bool) -> None:
    errors = request_spec().errors_for("POST /channels/{}/messages", {"message_reference": reference})
    assert (errors is None) is valid


def test_a_union_names_the_branch_the_body_was_meant_for() -> None:
    spec = request_spec()
    callback = "POST /interactions/{interaction_id}/{token}/callback"
    button = {"type": 2, "style": 1, "label": "go", "custom_id": ""}
    errors = spec.errors_for(
        callback, {"type": 4, "data": {"components": [{"type": 1, "components": [button]}]}}
    )
    assert errors == {
        "data": {
            "components": {
                "0": {
                    "components": {
                        "0": {
                            "custom_id": {
                                "_errors": [
                                    {
                                        "code": "BASE_TYPE_BAD_LENGTH",
                                        "message": "Must be between 1 and 100 in length.",
                                    }
                                ]
                            }
                        }
                    }
                }
            }
        }
    }
    unknown = spec.errors_for(callback, {"type": 3})
    assert unknown is not None and unknown["_errors"][0]["code"] == "UNION_TYPE_CHOICES"


def test_a_body_the_double_cannot_check_is_a_violation_not_a_pass() -> None:
    spec = request_spec()
    inline = spec.errors_for("PATCH /guilds/{guild_id}/members/{user_id}", {"nick": "x"})
    unknown = spec.errors_for("POST /no/such/route", {})
    bodiless = spec.errors_for("POST /channels/{channel_id}/typing", {"ignored": True})
    assert inline is not None and "inline" in inline["_errors"][0]["message"]
    assert unknown is not None and "not in the spec" in unknown["_errors"][0]["message"]
    assert bodiless is not None and "takes no body" in bodiless["_errors"][0]["message"]


def test_an_embed_timestamp_with_an_offset_is_accepted_as_the_official_spec_says() -> None:
    """The official spec says `format: date-time` (RFC 3339); discord.py sends "+00:00", not "Z"."""
    embed = discord.Embed(title="t", timestamp=discord.utils.utcnow()).to_dict()
    assert str(embed["timestamp"]).endswith("+00:00")
    assert request_spec().errors_for("POST /channels/{}/messages", {"embeds": [embed]}) is None


def test_a_body_checked_before_gets_the_same_verdict_and_a_tree_of_its_own() -> None:
    """The spec remembers each body's check (per route and exact JSON): true is no 1, and a refusal's
    tree is a copy, so a handler changing one cannot change the next refusal."""
    spec = request_spec()
    route = "POST /channels/{}/messages"
    assert spec.errors_for(route, {"message_reference": {"message_id": 1}}) is None
    first = spec.errors_for(route, {"message_reference": {"message_id": True}})
    assert first is not None and spec.errors_for(route, {"message_reference": {"message_id": 1}}) is None
    first.clear()
    again = spec.errors_for(route, {"message_reference": {"message_id": True}})
    assert again is not None and "message_reference" in again
