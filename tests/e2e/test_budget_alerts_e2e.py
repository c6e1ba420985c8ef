"""Budgets where they bind: a role's allowance at admission, its offer, and the 80%/100% alerts once."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from bot.models import JobStatus, RoleAllowance
from tests.doubles.discord import DiscordDouble, User
from tests.e2e.harness import World, budgeted_world

TWENTY_CENTS = 200_000  # a 4-clip 480p video at the default prices (0.05 a clip)


async def delivered(world: World, handle):
    await handle.wait_response()
    return await world.wait_job(
        lambda j: j.card_message_id == handle.original_message_id and j.status is JobStatus.DELIVERED
    )


def bot_dms(discord: DiscordDouble, user: User) -> list[str]:
    channel = discord.dm_channel(user)
    bot_id = discord.bot_user.id
    return [
        m.content or ""
        for m in discord.state.messages.values()
        if m.channel_id == channel.id and m.author.id == bot_id
    ]


async def test_a_roles_allowance_bounds_what_its_holder_spends_in_the_server_and_offers_what_fits(tmp_path):
    """Booster: 0.30 a day here. After one 0.20 video, 4 clips are refused naming that budget, 2 offered."""
    async with budgeted_world(tmp_path) as world:
        discord = world.discord
        booster = await discord.add_role("Booster", members=[discord.alice])
        await world.store.set_role_allowance(
            RoleAllowance(discord.guild.id, booster.id, day=300_000), most=25
        )
        await delivered(world, await world.animate(prompt="one"))

        handle = await world.animate(prompt="two")
        answer = (await handle.wait_response()).data["content"]

        assert handle.ephemeral
        assert "your daily budget of 0.30 USD in this server has 0.10 USD left" in answer
        assert "It fits as 2 clips at 480p for 0.10 USD: press the button" in answer
        # Bob holds no allowance role: the operator's 2.00 a person a day is his bound
        other = await world.animate(discord.bob, prompt="three")
        await other.wait_response()
        assert not other.ephemeral


async def test_a_servers_monthly_budget_tells_its_owner_at_80_and_100_percent_once(tmp_path):
    """Server month 1.00: the 4th video (0.80) tells the owner 80%, the 5th (1.00) 100%, each once."""
    async with budgeted_world(tmp_path) as world:
        discord = world.discord
        await world.store.update_guild_settings(
            discord.guild.id, lambda s: dataclasses.replace(s, budget_server_month=1_000_000)
        )
        owner = discord.state.users[discord.guild.owner_id]
        for index in range(3):
            await delivered(world, await world.animate(prompt=f"video {index}"))
        assert bot_dms(discord, owner) == []

        await delivered(world, await world.animate(discord.bob, prompt="fourth"))
        first = await world.wait_card(lambda m: m.channel_id == discord.dm_channel(owner).id)
        assert "has spent 0.80 USD of its monthly Motionbot budget of 1.00 USD (80%)" in first.content
        await delivered(world, await world.animate(prompt="fifth"))
        await world.wait_card(
            lambda m: m.channel_id == discord.dm_channel(owner).id and "whole monthly" in (m.content or "")
        )
        refused = await world.animate(discord.bob, prompt="sixth")
        await refused.wait_response()
        assert refused.ephemeral
        await world.bot.services.budget_alerts.drain()
        dms = bot_dms(discord, owner)
        assert len(dms) == 2 and "(1.00 USD of 1.00 USD)" in dms[1]


async def test_the_whole_bots_monthly_budget_tells_the_operator(tmp_path):
    async with budgeted_world(tmp_path, budget_bot_month=Decimal("0.25")) as world:
        discord = world.discord
        await delivered(world, await world.animate(prompt="one"))
        operator = discord.state.owner_user
        dm = await world.wait_card(lambda m: m.channel_id == discord.dm_channel(operator).id)
        assert (
            "Motionbot has spent 0.20 USD of its monthly budget of 0.25 USD (80%, BUDGET_BOT_MONTH)"
            in dm.content
        )
