"""Command permissions in the Discord double: REST shapes and errors, the gateway event, and refusals."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import discord
import pytest
from discord.ext import commands

from tests.doubles.discord import (
    CommandNotPermittedError,
    DiscordDouble,
    Perm,
    all_channels,
    entry,
    everyone,
)
from tests.doubles.fixtures_discord import discord_double, running_bot
from tests.doubles.tests.test_discord_double_rest import raw

__all__ = ["discord_double"]

MANAGE_ROLES = 1 << 28


def guild_permissions_path(double: DiscordDouble, command_id: int | None = None) -> str:
    middle = "permissions" if command_id is None else f"{command_id}/permissions"
    return f"/applications/{double.state.application_id}/guilds/{double.guild.id}/commands/{middle}"


async def register(double: DiscordDouble) -> dict[str, int]:
    """Register /animate, /motionbot (Manage Server by default) and a message command globally."""
    body = [
        {"name": "animate", "description": "Animate", "type": 1},
        {"name": "motionbot", "description": "Settings", "type": 1, "default_member_permissions": "32"},
        {"name": "Animate image", "type": 3},
    ]
    path = f"/applications/{double.state.application_id}/commands"
    status, _, data = await raw(double, "PUT", path, json=body)
    assert status == 200
    return {command["name"]: int(command["id"]) for command in json.loads(data)}


async def bearer_put(double: DiscordDouble, command_id: int, body: Any, token: str) -> tuple[int, Any]:
    headers = {"Authorization": token}
    path = guild_permissions_path(double, command_id)
    status, _, data = await raw(double, "PUT", path, headers=headers, json=body)
    return status, json.loads(data)


async def test_a_server_without_permissions_answers_an_empty_list_and_10066_per_command(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    ids = await register(double)
    status, _, data = await raw(double, "GET", guild_permissions_path(double))
    assert (status, json.loads(data)) == (200, [])
    status, _, data = await raw(double, "GET", guild_permissions_path(double, ids["animate"]))
    assert status == 404 and json.loads(data)["code"] == 10066
    status, _, data = await raw(double, "GET", guild_permissions_path(double, 123456789))
    assert status == 404 and json.loads(data)["code"] == 10063


async def test_put_needs_a_bearer_token_of_someone_who_manages_the_server_and_its_roles(
    discord_double: DiscordDouble,
) -> None:
    double = discord_double
    ids = await register(double)
    body = {"permissions": [everyone(double.guild, False)]}
    path = guild_permissions_path(double, ids["animate"])
    status, _, data = await raw(double, "PUT", path, json=body)
    assert (status, json.loads(data)["code"]) == (403, 20001)  # a bot token
    assert (await bearer_put(double, ids["animate"], body, "Bearer nonsense"))[0] == 401
    manages_guild_only = f"Bearer {double.bearer_token(double.admin)}"
    assert (await bearer_put(double, ids["animate"], body, manages_guild_only))[1]["code"] == 50013
    await double.set_permissions(double.admin, Perm.MANAGE_GUILD | MANAGE_ROLES)
    status, edited = await bearer_put(
        double, ids["animate"], body, f"Bearer {double.bearer_token(double.admin)}"
    )
    assert status == 200
    assert edited == {
        "id": str(ids["animate"]),
        "application_id": str(double.state.application_id),
        "guild_id": str(double.guild.id),
        "permissions": [{"id": str(double.guild.id), "type": 1, "permission": False}],
    }
    status, _, data = await raw(double, "GET", guild_permissions_path(double))
    assert json.loads(data) == [edited]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "permissions"),
        ({"permissions": [{"id": "abc", "type": 1, "permission": True}]}, "id"),
        ({"permissions": [{"id": "1", "type": 4, "permission": True}]}, "type"),
        ({"permissions": [{"id": "1", "type": 1, "permission": "yes"}]}, "permission"),
        (
            {"permissions": [{"id": str(n), "type": 2, "permission": True} for n in range(1, 102)]},
            "permissions",
        ),
    ],
)
async def test_put_refuses_bodies_that_are_not_documented_permissions(
    discord_double: DiscordDouble, body: dict[str, Any], where: str
) -> None:
    double = discord_double
    ids = await register(double)
    status, answer = await bearer_put(
        double, ids["animate"], body, f"Bearer {double.bearer_token(double.owner)}"
    )
    assert (status, answer["code"]) == (400, 50035)
    assert where in json.dumps(answer["errors"])


async def test_an_edit_reaches_the_bot_as_the_documented_gateway_event(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = commands.Bot(command_prefix="!", intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)
    seen: asyncio.Queue[discord.RawAppCommandPermissionsUpdateEvent] = asyncio.Queue()

    @bot.listen()
    async def on_raw_app_command_permissions_update(
        event: discord.RawAppCommandPermissionsUpdateEvent,
    ) -> None:
        await seen.put(event)

    async with running_bot(bot, double):
        await register(double)
        role = await double.add_role("Animators", members=[double.bob])
        await double.set_command_permissions(
            "animate", [everyone(double.guild, False), entry(role, True), all_channels(double.guild, True)]
        )
        event = await asyncio.wait_for(seen.get(), 5)
        await double.set_command_permissions(None, [entry(double.alice, False)])
        app_wide = await asyncio.wait_for(seen.get(), 5)
    assert event.guild.id == double.guild.id and event.application_id == double.state.application_id
    assert [(p.id, p.type, p.permission) for p in event.permissions] == [
        (double.guild.id, discord.AppCommandPermissionType.role, False),
        (role.id, discord.AppCommandPermissionType.role, True),
        (double.guild.id - 1, discord.AppCommandPermissionType.channel, True),
    ]
    assert app_wide.target_id == double.state.application_id
    assert [(p.id, p.permission) for p in app_wide.permissions] == [(double.alice.id, False)]


async def test_a_member_the_permissions_refuse_cannot_run_the_command(discord_double: DiscordDouble) -> None:
    double = discord_double
    bot = commands.Bot(command_prefix="!", intents=discord.Intents(guilds=True), guild_ready_timeout=0.1)
    async with running_bot(bot, double):
        await register(double)
        await double.set_command_permissions(
            "animate", [entry(double.alice, False), entry(double.media, False)]
        )
        with pytest.raises(CommandNotPermittedError, match="member"):
            await double.slash(double.alice, "animate")
        with pytest.raises(CommandNotPermittedError, match="channel"):
            await double.slash(double.bob, "animate", channel=double.media)
        with pytest.raises(CommandNotPermittedError):
            await double.slash(double.bob, "motionbot")  # default_member_permissions: Manage Server
        await double.slash(double.bob, "animate")  # allowed: dispatched
        await double.slash(double.owner, "animate", channel=double.media)  # the owner is an admin
        await double.set_command_permissions(None, [all_channels(double.guild, False)])
        target = await double.post_message(double.bob, double.general, "hi")
        with pytest.raises(CommandNotPermittedError, match="channel"):
            await double.message_command(double.bob, "Animate image", target)


async def test_removing_a_command_removes_its_permissions(discord_double: DiscordDouble) -> None:
    double = discord_double
    ids = await register(double)
    await double.set_command_permissions("animate", [entry(double.alice, False)])
    path = f"/applications/{double.state.application_id}/commands"
    await raw(double, "PUT", path, json=[{"name": "jobs", "description": "Jobs", "type": 1}])
    status, _, data = await raw(double, "GET", guild_permissions_path(double))
    assert (status, json.loads(data)) == (200, [])
    status, _, data = await raw(double, "GET", guild_permissions_path(double, ids["animate"]))
    assert (status, json.loads(data)["code"]) == (404, 10063)
