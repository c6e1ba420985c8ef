"""A server's money budgets and its allowances per role, as the store keeps them (both engines)."""

from __future__ import annotations

import asyncio

from bot.models import GuildSettings, RoleAllowance
from tests.bot.store.test_store import GUILD, OTHER_GUILD
from tests.store_fixtures import save_settings

BOOSTER, PATRON, VIEWER = 7001, 7002, 7003


async def test_a_servers_budgets_round_trip_with_its_other_settings(store):
    settings = GuildSettings(
        guild_id=GUILD,
        max_daily_per_user=3,
        budget_server_day=5_000_000,
        budget_server_month=None,
        budget_person_day=250_000,
        budget_person_month=4_000_000,
    )
    await save_settings(store, settings)
    assert await store.get_guild_settings(GUILD) == settings
    await save_settings(store, GuildSettings(guild_id=GUILD))
    assert await store.get_guild_settings(GUILD) == GuildSettings(guild_id=GUILD)


async def test_allowances_are_kept_per_server_and_role_and_replaced_by_role(store):
    assert await store.role_allowances(GUILD) == []
    assert await store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=2_000_000), most=25)
    assert await store.set_role_allowance(RoleAllowance(GUILD, BOOSTER, month=9_000_000), most=25)
    assert await store.set_role_allowance(RoleAllowance(OTHER_GUILD, BOOSTER, day=1), most=25)
    assert await store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=3_000_000, month=0), most=25)

    assert await store.role_allowances(GUILD) == [
        RoleAllowance(GUILD, BOOSTER, day=None, month=9_000_000),
        RoleAllowance(GUILD, PATRON, day=3_000_000, month=0),
    ]
    assert await store.role_allowances(OTHER_GUILD) == [RoleAllowance(OTHER_GUILD, BOOSTER, day=1)]


async def test_removing_an_allowance_says_whether_there_was_one(store):
    await store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=1), most=25)
    assert await store.remove_role_allowance(GUILD, PATRON) is True
    assert await store.remove_role_allowance(GUILD, PATRON) is False
    assert await store.remove_role_allowance(OTHER_GUILD, BOOSTER) is False
    assert await store.role_allowances(GUILD) == []


async def test_past_the_most_roles_nothing_is_added_but_a_listed_role_may_change(store):
    await store.set_role_allowance(RoleAllowance(GUILD, BOOSTER, day=1), most=2)
    await store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=2), most=2)

    assert await store.set_role_allowance(RoleAllowance(GUILD, VIEWER, day=3), most=2) is False
    assert await store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=5), most=2) is True
    assert await store.role_allowances(GUILD) == [
        RoleAllowance(GUILD, BOOSTER, day=1),
        RoleAllowance(GUILD, PATRON, day=5),
    ]


async def test_two_admins_adding_the_last_role_at_once_add_one(store):
    await store.set_role_allowance(RoleAllowance(GUILD, BOOSTER, day=1), most=2)
    added = await asyncio.gather(
        store.set_role_allowance(RoleAllowance(GUILD, PATRON, day=2), most=2),
        store.set_role_allowance(RoleAllowance(GUILD, VIEWER, day=3), most=2),
    )
    assert sorted(added) == [False, True]
    assert len(await store.role_allowances(GUILD)) == 2
