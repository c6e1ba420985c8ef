"""A member's budgets in a server: the operator's caps, lowered by the server and its allowances per role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.budget import (
    AboveOperatorBudget,
    Budgets,
    Money,
    PriceTable,
    ServerBudget,
    budgets_for,
    effective_budgets,
    operator_budgets,
    parse_amount,
)
from bot.guild_settings import InvalidSetting
from bot.models import GuildSettings, RoleAllowance
from bot.settings import read_settings

SECRETS = {"discord_token": "x" * 60, "cometapi_key": "sk-test"}
GUILD = 500
BOOSTER, PATRON, MUTED, UNLISTED = 71, 72, 73, 74
# The operator: 2.00 a person a day, 20.00 a month; 10.00 a server a day, 100.00 a month (the defaults).
SETTINGS = read_settings(None, **SECRETS)
PRICES = PriceTable.from_settings(SETTINGS)


def money(amount: str) -> Money:
    return Money(int(Decimal(amount) * 1_000_000))


def allowance(role_id: int, day: str | None = None, month: str | None = None) -> RoleAllowance:
    return RoleAllowance(
        GUILD, role_id, None if day is None else money(day), None if month is None else money(month)
    )


ALLOWANCES = [
    allowance(BOOSTER, day="1.50", month="15"),
    allowance(PATRON, day="1.80"),
    allowance(MUTED, "0.10"),
]


def test_in_direct_messages_the_operators_caps_hold_as_they_are():
    assert effective_budgets(SETTINGS, None, [], frozenset({BOOSTER})) == operator_budgets(SETTINGS)


def test_a_server_that_chose_nothing_has_the_operators_caps():
    chosen = effective_budgets(SETTINGS, GuildSettings(guild_id=GUILD), [], frozenset({BOOSTER}))
    assert chosen == operator_budgets(SETTINGS)


def test_a_member_with_several_allowance_roles_gets_the_highest_of_each_period():
    server = GuildSettings(guild_id=GUILD)
    budgets = effective_budgets(SETTINGS, server, ALLOWANCES, frozenset({BOOSTER, PATRON, MUTED, UNLISTED}))
    assert (budgets.member_day, budgets.member_month) == (money("1.80"), money("15"))
    # what the person spends in every server together stays bounded by the operator's caps
    assert (budgets.person_day, budgets.person_month) == (money("2"), money("20"))


def test_a_period_no_held_role_sets_takes_the_servers_default_person_budget():
    lowered = GuildSettings(guild_id=GUILD, budget_person_day=money("0.50"), budget_person_month=money("5"))
    patron = effective_budgets(SETTINGS, lowered, ALLOWANCES, frozenset({PATRON}))
    nobody = effective_budgets(SETTINGS, lowered, ALLOWANCES, frozenset({UNLISTED}))
    assert (patron.member_day, patron.member_month) == (money("1.80"), money("5"))
    assert (nobody.member_day, nobody.member_month) == (money("0.50"), money("5"))


def test_an_allowance_may_be_lower_than_the_default_for_the_roles_holders():
    lowered = GuildSettings(guild_id=GUILD, budget_person_day=money("1"))
    assert effective_budgets(SETTINGS, lowered, ALLOWANCES, frozenset({MUTED})).member_day == money("0.10")


def test_no_allowance_or_default_goes_above_the_operators_person_caps():
    # Stored above the caps by hand, or before the operator lowered them: capped at use.
    generous = GuildSettings(guild_id=GUILD, budget_person_day=money("50"), budget_server_day=money("500"))
    rich = [allowance(BOOSTER, day="40", month="999")]
    member = effective_budgets(SETTINGS, generous, rich, frozenset({BOOSTER}))
    other = effective_budgets(SETTINGS, generous, rich, frozenset())
    assert (member.member_day, member.member_month, member.server_day) == (
        money("2"),
        money("20"),
        money("10"),
    )
    assert other.member_day == money("2")


def test_a_servers_lowered_budget_bounds_every_role_in_it():
    lowered = GuildSettings(guild_id=GUILD, budget_server_day=money("1.00"), budget_server_month=money("12"))
    budgets = effective_budgets(SETTINGS, lowered, ALLOWANCES, frozenset({BOOSTER}))
    assert budgets == Budgets(
        person_day=money("2"),
        person_month=money("20"),
        server_day=money("1.00"),
        server_month=money("12"),
        bot_day=money("30"),
        bot_month=money("300"),
        member_day=money("1.00"),
        member_month=money("12"),
    )


def test_a_server_that_set_no_member_budget_leaves_its_members_none_of_their_own():
    lowered = GuildSettings(guild_id=GUILD, budget_server_day=money("1.00"))
    budgets = effective_budgets(SETTINGS, lowered, ALLOWANCES, frozenset({UNLISTED}))
    assert (budgets.member_day, budgets.member_month, budgets.server_day) == (None, None, money("1.00"))


def test_without_operator_caps_the_servers_choices_are_the_caps():
    uncapped = read_settings(None, **SECRETS, budget_person_day=None, budget_server_day=None)
    lowered = GuildSettings(guild_id=GUILD, budget_server_day=money("8"))
    budgets = effective_budgets(uncapped, lowered, [allowance(BOOSTER, day="3")], frozenset({BOOSTER}))
    assert (budgets.member_day, budgets.person_day, budgets.server_day) == (money("3"), None, money("8"))
    assert effective_budgets(uncapped, None, [], frozenset()).person_day is None


class Store:
    """The two reads ``budgets_for`` makes, from fixed values."""

    def __init__(self, settings: GuildSettings | None, allowances: list[RoleAllowance]) -> None:
        self.settings, self.allowances = settings, allowances

    async def get_guild_settings(self, guild_id: int) -> GuildSettings | None:
        return self.settings

    async def role_allowances(self, guild_id: int) -> list[RoleAllowance]:
        return self.allowances


async def test_budgets_for_reads_the_servers_choices_and_none_in_direct_messages():
    store = Store(GuildSettings(guild_id=GUILD, budget_server_month=money("40")), ALLOWANCES)
    in_server = await budgets_for(store, SETTINGS, GUILD, frozenset({PATRON}))
    assert (in_server.member_day, in_server.server_month) == (money("1.80"), money("40"))
    assert await budgets_for(store, SETTINGS, None, frozenset({PATRON})) == operator_budgets(SETTINGS)


# -- amounts an admin types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("2.50", "2.5"), ("2,5", "2.5"), (" 3 ", "3"), ("0", "0"), ("1.5 usd", "1.5"), ("0.000001", "0.000001")],
)
def test_amounts_are_read_with_a_point_or_a_comma_and_the_currency_may_follow(typed, amount):
    assert parse_amount(typed, money("10"), PRICES) == money(amount)


@pytest.mark.parametrize("typed", ["", "two", "-1", "1.2.3", "1.0000001", "1,000.5", "١٢", "1e3", "2000000"])
def test_anything_else_is_refused_with_an_example(typed):
    with pytest.raises(InvalidSetting) as refused:
        parse_amount(typed, None, PRICES)
    assert refused.value.expected_key == "settings.expected.amount"
    assert refused.value.params == {"example": "2.50 USD"}


def test_an_amount_above_the_operators_cap_is_refused_naming_the_cap():
    with pytest.raises(AboveOperatorBudget) as refused:
        parse_amount("10.01", money("10"), PRICES)
    assert refused.value.message_key == "settings.above_budget_cap"
    assert refused.value.params == {"cap": "10.00 USD"}
    assert parse_amount("10", money("10"), PRICES) == money("10")
    assert parse_amount("999999", None, PRICES) == money("999999")


def test_each_server_budget_names_its_operator_cap():
    caps = {name: name.operator_cap(SETTINGS) for name in ServerBudget}
    assert caps == {
        ServerBudget.SERVER_DAY: money("10"),
        ServerBudget.SERVER_MONTH: money("100"),
        ServerBudget.PERSON_DAY: money("2"),
        ServerBudget.PERSON_MONTH: money("20"),
    }
