"""The ledger's reports: what counted per day, person and server, on SQLite and on PostgreSQL.

Counted: reserved and charged rows (charged and reserved apart); a released row counts nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from bot.store import JobStore, Spend
from bot.store.sqlite import sql
from tests.ledger_seed import Entry, seed_ledger
from tests.store_fixtures import GUILD, OTHER_GUILD, OTHER_USER, USER

FEB_27, FEB_28, MAR_1, MAR_2, MAR_3 = (dt.date(2025, 2, 27) + dt.timedelta(days=n) for n in range(5))
DIRECT_MESSAGES = 0
MARCH = ("2025-03-01", "2025-03-30", "2025-03", "2025-03")  # a report's window: days, then months

ENTRIES = [
    Entry(USER, GUILD, FEB_28, 50_000, units=1),
    Entry(USER, GUILD, MAR_1, 100_000, units=2),
    Entry(USER, GUILD, MAR_1, 50_000, units=1, state="reserved"),
    Entry(USER, GUILD, MAR_1, 70_000, units=1, state="released"),  # not billed: counts nothing
    Entry(OTHER_USER, GUILD, MAR_2, 200_000, units=4),
    Entry(USER, OTHER_GUILD, MAR_1, 25_000),
    Entry(USER, DIRECT_MESSAGES, MAR_2, 10_000),
    Entry(USER, GUILD, MAR_3, 999_000),  # after the window
    Entry(USER, GUILD, FEB_27, 999_000),  # before it
]


@pytest.fixture
async def reports(store_target, open_store) -> JobStore:
    store = await open_store()  # migrated, so the ledger exists
    await seed_ledger(*store_target, ENTRIES)
    return store


async def test_a_servers_days_split_charged_from_reserved_and_skip_released_rows(reports):
    days = await reports.spend_by_day(FEB_28, MAR_2, guild_id=GUILD)
    assert days == {
        FEB_28: Spend(jobs=1, units=1, charged=50_000),
        MAR_1: Spend(jobs=2, units=3, charged=100_000, reserved=50_000),
        MAR_2: Spend(jobs=1, units=4, charged=200_000),
    }
    assert days[MAR_1].amount == 150_000


async def test_the_whole_bots_days_count_every_server_and_direct_messages(reports):
    days = await reports.spend_by_day(MAR_1, MAR_2)
    assert days[MAR_1] == Spend(jobs=3, units=4, charged=125_000, reserved=50_000)
    assert days[MAR_2] == Spend(jobs=2, units=5, charged=210_000)


async def test_a_persons_days_across_servers_or_in_one(reports):
    everywhere = await reports.spend_by_day(FEB_28, MAR_2, person_id=USER)
    assert everywhere == {
        FEB_28: Spend(jobs=1, units=1, charged=50_000),
        MAR_1: Spend(jobs=3, units=4, charged=125_000, reserved=50_000),
        MAR_2: Spend(jobs=1, units=1, charged=10_000),
    }
    here = await reports.spend_by_day(FEB_28, MAR_2, person_id=USER, guild_id=OTHER_GUILD)
    assert here == {MAR_1: Spend(jobs=1, units=1, charged=25_000)}
    in_direct_messages = await reports.spend_by_day(MAR_1, MAR_2, person_id=USER, guild_id=DIRECT_MESSAGES)
    assert in_direct_messages == {MAR_2: Spend(jobs=1, units=1, charged=10_000)}


async def test_people_in_one_server_and_across_servers(reports):
    in_guild = await reports.spend_by_person(FEB_28, MAR_2, guild_id=GUILD)
    assert in_guild == {
        USER: Spend(jobs=3, units=4, charged=150_000, reserved=50_000),
        OTHER_USER: Spend(jobs=1, units=4, charged=200_000),
    }
    everywhere = await reports.spend_by_person(FEB_28, MAR_2)
    assert everywhere[USER] == Spend(jobs=5, units=6, charged=185_000, reserved=50_000)
    assert everywhere[OTHER_USER] == in_guild[OTHER_USER]


async def test_servers_with_direct_messages_as_zero(reports):
    assert await reports.spend_by_guild(FEB_28, MAR_2) == {
        GUILD: Spend(jobs=4, units=8, charged=350_000, reserved=50_000),
        OTHER_GUILD: Spend(jobs=1, units=1, charged=25_000),
        DIRECT_MESSAGES: Spend(jobs=1, units=1, charged=10_000),
    }


async def test_a_window_with_nothing_is_empty_and_a_backwards_one_is_refused(reports):
    assert await reports.spend_by_day(MAR_3 + dt.timedelta(days=1), MAR_3 + dt.timedelta(days=30)) == {}
    assert await reports.spend_by_person(MAR_1, MAR_1, guild_id=12345) == {}
    with pytest.raises(ValueError, match="before it starts"):
        await reports.spend_by_guild(MAR_2, MAR_1)


@pytest.mark.parametrize(
    ("statement", "params", "index"),
    [
        (sql.SPEND_DAYS_IN_GUILD, (*MARCH, GUILD), "ix_ledger_guild"),
        (sql.SPEND_PEOPLE_IN_GUILD, (*MARCH, GUILD), "ix_ledger_guild"),
        (sql.SPEND_DAYS_OF_PERSON, (*MARCH, USER, None), "ix_ledger_person"),
        (sql.SPEND_DAYS, MARCH, "ix_ledger_month"),
        (sql.SPEND_GUILDS, MARCH, "ix_ledger_month"),
    ],
)
async def test_the_report_queries_read_an_index(tmp_path, statement, params, index):
    """/usage runs on every server's ledger: a report reads its own rows, not the whole table."""
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path):
        pass
    conn = sqlite3.connect(path)
    try:
        plan = [str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
    finally:
        conn.close()
    assert any(step.startswith("SEARCH") and index in step for step in plan), plan
    assert not [step for step in plan if step.startswith("SCAN") and "INDEX" not in step], plan
