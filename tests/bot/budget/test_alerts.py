"""Monthly budget alerts: 80% and 100% announced once per budget and month, across processes."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.budget import Money, Scope
from bot.budget.alerts import BudgetAlert, BudgetAlerts, reached

CAP = Money(10_000_000)  # 10.00
GUILD = 7


@pytest.mark.parametrize(
    ("spent", "level"),
    [(0, None), (7_999_999, None), (8_000_000, 80), (9_999_999, 80), (10_000_000, 100), (12_000_000, 100)],
)
def test_the_level_reached(spent, level):
    assert reached(Money(spent), CAP) == level


def test_no_cap_no_level():
    assert reached(Money(10**9), None) is None
    assert reached(Money(1), Money(0)) is None


class Told:
    """A listener that records what it was asked to say; ``reaches`` False: nobody could be told."""

    def __init__(self, reaches: bool = True) -> None:
        self.alerts: list[BudgetAlert] = []
        self.reaches = reaches

    async def __call__(self, alert: BudgetAlert) -> bool:
        self.alerts.append(alert)
        return self.reaches


async def test_each_level_is_told_once_a_month(store):
    told = Told()
    alerts = BudgetAlerts(store)
    alerts.subscribe(told)
    for spent in (5_000_000, 8_000_000, 8_500_000, 9_000_000, 10_000_000, 11_000_000):
        await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(spent), CAP)
    await alerts.drain()
    assert [(a.level, a.spent) for a in told.alerts] == [(80, 8_000_000), (100, 10_000_000)]
    await alerts.check(Scope.SERVER, GUILD, "2027-01", Money(8_000_000), CAP)
    await alerts.drain()
    assert [a.month for a in told.alerts] == ["2026-12", "2026-12", "2027-01"]


async def test_a_jump_past_both_levels_says_100_only(store):
    told = Told()
    alerts = BudgetAlerts(store)
    alerts.subscribe(told)
    await alerts.check(Scope.BOT, None, "2026-12", Money(10_000_000), CAP)
    await alerts.drain()
    await alerts.check(Scope.BOT, None, "2026-12", Money(10_000_000), CAP)
    await alerts.drain()
    assert [a.level for a in told.alerts] == [100]


async def test_budgets_of_different_servers_are_told_apart(store):
    told = Told()
    alerts = BudgetAlerts(store)
    alerts.subscribe(told)
    await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(8_000_000), CAP)
    await alerts.check(Scope.SERVER, GUILD + 1, "2026-12", Money(8_000_000), CAP)
    await alerts.check(Scope.BOT, None, "2026-12", Money(8_000_000), CAP)
    await alerts.drain()
    assert [(a.scope, a.guild_id) for a in told.alerts] == [
        (Scope.SERVER, GUILD),
        (Scope.SERVER, GUILD + 1),
        (Scope.BOT, None),
    ]


async def test_an_alert_nobody_received_is_tried_again(store):
    told = Told(reaches=False)
    alerts = BudgetAlerts(store)
    alerts.subscribe(told)
    await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(8_000_000), CAP)
    await alerts.drain()
    told.reaches = True
    await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(8_100_000), CAP)
    await alerts.drain()
    await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(8_200_000), CAP)
    await alerts.drain()
    assert len(told.alerts) == 2


async def test_two_processes_at_once_tell_it_once(open_store):
    stores = [await open_store(), await open_store()]
    told = Told()
    checkers = [BudgetAlerts(s) for s in stores]
    for checker in checkers:
        checker.subscribe(told)
    await asyncio.gather(
        *(c.check(Scope.SERVER, GUILD, "2026-12", Money(9_000_000), CAP) for c in checkers for _ in range(5))
    )
    await asyncio.gather(*(c.drain() for c in checkers))
    assert len(told.alerts) == 1


async def test_a_failing_listener_does_not_stop_the_others(store):
    async def broken(_alert: BudgetAlert) -> bool:
        raise RuntimeError("discord is down")

    told = Told()
    alerts = BudgetAlerts(store)
    alerts.subscribe(broken)
    alerts.subscribe(told)
    await alerts.check(Scope.SERVER, GUILD, "2026-12", Money(8_000_000), CAP)
    await alerts.drain()
    assert len(told.alerts) == 1


@pytest.mark.parametrize(
    ("month", "renews"),
    [
        ("2026-12", dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),
        ("2026-01", dt.datetime(2026, 2, 1, tzinfo=dt.UTC)),
    ],
)
def test_a_monthly_budget_renews_on_the_first_of_the_next_month(month, renews):
    alert = BudgetAlert(Scope.SERVER, GUILD, month, 80, Money(1), CAP)
    assert alert.renews_at == renews
