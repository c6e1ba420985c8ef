"""/motionbot settings budget and allowance end to end: a server lowers the operator's money caps.

The operator's caps are the defaults of .env.example: 2.00 USD a person a day and 20.00 a month,
10.00 a server a day and 100.00 a month.
"""

from collections.abc import AsyncIterator

import pytest

from bot.models import GuildSettings, RoleAllowance
from tests.e2e.harness import World, budgeted_world, final_answer


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[World]:
    """Motionbot with the operator's money budgets at their defaults (the harness turns them off)."""
    async with budgeted_world(tmp_path) as started:
        yield started


BUDGET = "motionbot settings budget"
ALLOWANCE = "motionbot settings allowance"


async def admin_says(world: World, command: str, options: dict, locale: str = "en-US") -> str:
    """Run a settings sub-command as the admin and return its final private answer."""
    handle = await world.discord.slash(world.discord.admin, command, options, locale=locale)
    response = await handle.wait_response()
    assert response.status == 200 and response.latency < 3.0 and handle.ephemeral
    return await final_answer(handle)


async def stored(world: World) -> GuildSettings | None:
    return await world.store.get_guild_settings(world.discord.guild.id)


async def test_an_admin_lowers_the_servers_day_budget_and_puts_it_back(world):
    """A lower amount is stored; leaving the amount out goes back to the operator's cap."""
    answer = await admin_says(world, BUDGET, {"budget": "budget_server_day", "amount": "2,5"})
    assert answer == "Server budget per day is now: 2.50 USD"
    settings = await stored(world)
    assert settings is not None and settings.budget_server_day == 2_500_000

    answer = await admin_says(world, BUDGET, {"budget": "budget_server_day"})
    assert answer == "Server budget per day is back to the default: 10.00 USD (the operator's cap)"
    settings = await stored(world)
    assert settings is not None and settings.budget_server_day is None


async def test_a_budget_above_the_operators_cap_is_refused_naming_the_cap(world):
    answer = await admin_says(world, BUDGET, {"budget": "budget_person_month", "amount": "20.01"})
    assert answer == (
        "Budget per member per month can't be 20.01: this bot's operator allows at most 20.00 USD. "
        "A server can lower its budgets but not raise them."
    )
    assert await stored(world) is None


async def test_an_amount_that_is_not_one_says_what_is_expected(world):
    answer = await admin_says(world, BUDGET, {"budget": "budget_server_month", "amount": "lots"})
    assert (
        answer
        == "“lots” is not a valid value for Server budget per month. Expected an amount such as 2.50 USD."
    )
    assert await stored(world) is None


async def test_the_refusal_is_in_vietnamese_for_a_vietnamese_admin(world):
    answer = await admin_says(world, BUDGET, {"budget": "budget_server_day", "amount": "11"}, locale="vi")
    assert answer == (
        "Không thể đặt Ngân sách máy chủ mỗi ngày là 11: người vận hành bot chỉ cho phép tối đa 10.00 USD. "
        "Máy chủ có thể hạ ngân sách nhưng không thể nâng lên."
    )


async def test_settings_show_lists_the_budgets_beside_the_operators_caps(world):
    await admin_says(world, BUDGET, {"budget": "budget_person_day", "amount": "0.75"})
    handle = await world.discord.slash(world.discord.admin, "motionbot settings show")
    fields = {f["name"]: f["value"] for f in (await handle.wait_original()).embeds[0]["fields"]}

    assert fields["Budget per member per day"] == "0.75 USD"
    assert fields["Server budget per month"] == "100.00 USD (the operator's cap)"


async def test_an_admin_gives_a_role_an_allowance_lists_it_and_removes_it(world):
    booster = await world.discord.add_role("Booster", members=[world.discord.alice])
    guild = world.discord.guild.id

    answer = await admin_says(
        world, ALLOWANCE, {"action": "add", "role": booster, "day": "1.50", "month": "15"}
    )
    assert answer == (
        f"Saved. <@&{booster.id}>: 1.50 USD a day, 15.00 USD a month. "
        "A member with several of these roles gets the highest of each."
    )
    assert await world.store.role_allowances(guild) == [
        RoleAllowance(guild, booster.id, 1_500_000, 15_000_000)
    ]

    listed = await admin_says(world, ALLOWANCE, {"action": "list"})
    assert listed == (
        "Allowances per role (a member with several gets the highest of each):\n"
        f"- <@&{booster.id}>: 1.50 USD a day, 15.00 USD a month\n"
        "Members without these roles: 2.00 USD a day, 20.00 USD a month."
    )

    removed = await admin_says(world, ALLOWANCE, {"action": "remove", "role": booster})
    assert (
        removed
        == f"<@&{booster.id}> no longer has an allowance: its members have the server's budget per member."
    )
    assert await world.store.role_allowances(guild) == []
    assert await admin_says(world, ALLOWANCE, {"action": "list"}) == (
        "No role has an allowance. Every member may spend 2.00 USD a day, 20.00 USD a month in this server."
    )


async def test_an_allowance_above_the_operators_person_cap_is_refused_naming_it(world):
    patron = await world.discord.add_role("Patron", members=[world.discord.bob])
    answer = await admin_says(world, ALLOWANCE, {"action": "add", "role": patron, "day": "2.50"})
    assert answer == (
        "Allowance per day can't be 2.50: this bot's operator allows at most 2.00 USD. "
        "A server can lower its budgets but not raise them."
    )
    vi = await admin_says(world, ALLOWANCE, {"action": "add", "role": patron, "month": "21"}, locale="vi")
    assert vi == (
        "Không thể đặt Hạn mức mỗi tháng là 21: người vận hành bot chỉ cho phép tối đa 20.00 USD. "
        "Máy chủ có thể hạ ngân sách nhưng không thể nâng lên."
    )
    assert await world.store.role_allowances(world.discord.guild.id) == []


async def test_an_allowance_needs_a_role_and_an_amount(world):
    patron = await world.discord.add_role("Patron")
    no_amount = await admin_says(world, ALLOWANCE, {"action": "add", "role": patron})
    assert no_amount == "Give the allowance per day, per month or both, such as 1.50."
    no_role = await admin_says(world, ALLOWANCE, {"action": "add", "day": "1"})
    assert no_role.startswith("Choose a role for the allowance.")
    everyone = world.discord.guild.roles[world.discord.guild.id]
    assert (await admin_says(world, ALLOWANCE, {"action": "add", "role": everyone, "day": "1"})).startswith(
        "Choose a role for the allowance."
    )
    assert await world.store.role_allowances(world.discord.guild.id) == []


async def test_a_vietnamese_admin_adds_an_allowance_in_vietnamese(world):
    booster = await world.discord.add_role("Booster")
    answer = await admin_says(world, ALLOWANCE, {"action": "add", "role": booster, "day": "1,5"}, locale="vi")
    assert answer == (
        f"Đã lưu. <@&{booster.id}>: 1.50 USD mỗi ngày, 20.00 USD mỗi tháng. "
        "Thành viên có nhiều vai trò như vậy được hưởng mức cao nhất của từng kỳ."
    )
