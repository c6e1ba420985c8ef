"""/usage's report from the ledger: 30 UTC days, this month, the top spenders and roles, the budgets left."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.budget import (
    DAYS_SHOWN,
    BudgetLeft,
    Budgets,
    Money,
    Period,
    RoleSpend,
    Scope,
    UsageReports,
    top_roles,
)
from bot.store import Spend
from tests.ledger_seed import Entry, seed_ledger
from tests.store_fixtures import GUILD, OTHER_GUILD, OTHER_USER, USER

TODAY = dt.date(2025, 3, 2)
NOW = dt.datetime(2025, 3, 2, 18, 30, tzinfo=dt.UTC)
THIRD_USER = 1003
NO_CAPS = Budgets(None, None, None, None, None, None)

ENTRIES = [
    Entry(USER, GUILD, TODAY, 100_000),
    Entry(USER, GUILD, TODAY, 40_000, state="reserved"),
    Entry(USER, GUILD, TODAY, 90_000, state="released"),
    Entry(USER, GUILD, dt.date(2025, 2, 20), 300_000),  # last month, inside the window
    Entry(OTHER_USER, GUILD, dt.date(2025, 3, 1), 500_000),
    Entry(THIRD_USER, GUILD, dt.date(2025, 2, 1), 900_000),  # the window's first day
    Entry(4040, GUILD, dt.date(2025, 1, 31), 999_000),  # the day before it
    Entry(USER, OTHER_GUILD, TODAY, 20_000),
]


@pytest.fixture
async def reports(store_target, open_store) -> UsageReports:
    store = await open_store()
    await seed_ledger(*store_target, ENTRIES)
    return UsageReports(store, clock=lambda: NOW)


async def test_a_servers_report_has_every_day_of_the_window_ending_today(reports):
    report = await reports.server(GUILD, NO_CAPS)
    days = [day for day, _ in report.days]
    assert len(days) == DAYS_SHOWN and days[-1] == TODAY and days[0] == dt.date(2025, 2, 1)
    by_day = dict(report.days)
    assert by_day[TODAY] == Spend(jobs=2, units=2, charged=100_000, reserved=40_000)
    assert by_day[dt.date(2025, 2, 21)] == Spend()
    assert report.total == Spend(jobs=5, units=5, charged=1_800_000, reserved=40_000)
    assert report.month == Spend(jobs=3, units=3, charged=600_000, reserved=40_000)
    assert not report.empty


async def test_the_top_people_spent_most_in_this_server(reports):
    report = await reports.server(GUILD, NO_CAPS)
    assert [person for person, _ in report.top_people()] == [THIRD_USER, OTHER_USER, USER]
    assert report.top_people(1) == [(THIRD_USER, Spend(jobs=1, units=1, charged=900_000))]
    assert report.people[USER].amount == 440_000  # released and other servers' rows left out


async def test_a_servers_budgets_count_this_month_in_this_server_and_renew_at_utc_boundaries(reports):
    caps = Budgets(Money(1), Money(1), Money(500_000), Money(2_000_000), Money(1), Money(1))
    report = await reports.server(GUILD, caps)
    day, month = report.budgets
    assert day == BudgetLeft(
        Scope.SERVER, Period.DAY, Money(500_000), Money(140_000), dt.datetime(2025, 3, 3, tzinfo=dt.UTC)
    )
    assert day.left == 360_000
    assert month.spent == 640_000 and month.left == 1_360_000
    assert month.renews_at == dt.datetime(2025, 4, 1, tzinfo=dt.UTC)


async def test_a_person_in_a_server_sees_their_spend_there_and_their_budgets_across_servers(reports):
    caps = Budgets(Money(150_000), None, None, None, None, None)
    report = await reports.person(USER, caps, guild_id=GUILD)
    assert report.total == Spend(jobs=3, units=3, charged=400_000, reserved=40_000)
    assert report.month == Spend(jobs=2, units=2, charged=100_000, reserved=40_000)
    (day,) = report.budgets
    assert (day.scope, day.period, day.spent) == (Scope.PERSON, Period.DAY, 160_000)
    assert day.left == 0  # over the cap shows nothing left, never a negative amount
    assert report.people == {}


async def test_a_person_everywhere_counts_every_server(reports):
    report = await reports.person(USER, NO_CAPS, guild_id=None)
    assert report.total.amount == 460_000 and report.month.amount == 160_000
    assert report.budgets == ()


async def test_nothing_spent_is_an_empty_report_of_zero_days(reports):
    report = await reports.person(4040, NO_CAPS, guild_id=None)
    assert report.empty and len(report.days) == DAYS_SHOWN
    assert report.total == Spend() and report.month == Spend()


async def test_the_month_starts_on_its_first_even_on_the_31st(store_target, open_store):
    """On a 31st the month began 30 days ago, before the 30-day window: it is still counted whole."""
    store = await open_store()
    await seed_ledger(*store_target, [Entry(USER, GUILD, dt.date(2025, 1, 1), 70_000)])
    on_the_31st = UsageReports(store, clock=lambda: dt.datetime(2025, 1, 31, 9, tzinfo=dt.UTC))
    report = await on_the_31st.person(USER, NO_CAPS, guild_id=GUILD)
    assert report.total == Spend() and report.month.amount == 70_000
    report = await on_the_31st.server(GUILD, NO_CAPS)
    assert report.month.amount == 70_000


def test_top_roles_count_each_person_in_every_role_they_hold_now():
    people = {
        USER: Spend(jobs=1, charged=300),
        OTHER_USER: Spend(jobs=2, charged=500),
        THIRD_USER: Spend(jobs=1, charged=50),
    }
    roles = {USER: [7, 8], OTHER_USER: [8], 4040: [7]}  # THIRD_USER left the server; 4040 spent nothing
    assert top_roles(people, roles) == [
        RoleSpend(8, Spend(jobs=3, charged=800), members=2),
        RoleSpend(7, Spend(jobs=1, charged=300), members=1),
    ]
    assert top_roles(people, roles, limit=1) == [RoleSpend(8, Spend(jobs=3, charged=800), members=2)]
    assert top_roles(people, {}) == []
