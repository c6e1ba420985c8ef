"""Migration 0015 on both engines: a database the previous version made (schema 0014) with today's usage
counters and jobs in flight moves to the ledger, and every daily limit counts the same after the move.

Before, a member's daily count was their ``usage`` row (jobs that succeeded) plus the cost of their
jobs still waiting or running (held as reserved by admission); the server's the same over its members.
After, both are the ledger's reserved and charged rows: the counters became charged rows, the jobs in
flight got their reservation (charged once at the provider). The same requests are refused and taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiosqlite
import asyncpg
import pytest

from bot.checks.quotas import LimitKind, QuotaExceeded, QuotaService
from bot.models import FailureKind, GuildSettings, JobStatus, LedgerState
from bot.settings import Settings
from bot.store import JobStore
from bot.store.migrations import load_migrations
from bot.store.postgres.schema import migrate as migrate_postgres
from bot.store.rows import encode_time
from bot.store.sqlite.schema import migrate as migrate_sqlite
from tests.store_fixtures import FakeClock, save_settings

SCHEMA_0014 = 14
NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
TODAY, YESTERDAY = NOW.date(), NOW.date() - dt.timedelta(days=1)
SERVER, OTHER_SERVER = 2001, 2002
ALICE, BOB, CAROL = 1001, 1002, 1003
DIRECT_MESSAGES = 0  # the usage table's server key for direct messages

# (day, server, member, succeeded): what the previous version counted
USAGE = [
    (TODAY, SERVER, ALICE, 2),
    (TODAY, SERVER, BOB, 2),
    (TODAY, DIRECT_MESSAGES, ALICE, 1),
    (TODAY, OTHER_SERVER, ALICE, 1),
    (YESTERDAY, SERVER, ALICE, 3),
]
# (member, server, status, cost, task): jobs in flight, and one delivered today (its count is in USAGE)
JOBS = [
    (ALICE, SERVER, "queued", 1, None),
    (BOB, SERVER, "running", 1, "task-bob"),
    (CAROL, SERVER, "submitting", 2, None),
    (ALICE, SERVER, "delivered", 1, "task-done"),
]
JOB_COLUMNS = (
    "requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url, locale, "
    "created_at, updated_at, cost, provider_task_id, submitted_at"
)
Execute = Callable[[str, Sequence[object]], Awaitable[object]]


def job_values(member: int, server: int, status: str, cost: int, task: str | None) -> list[object]:
    stamp = NOW - dt.timedelta(hours=1)
    sent = stamp if task else None
    return [
        member,
        server,
        3001,
        "slash",
        status,
        "low",
        "480p",
        "p",
        "u",
        "en",
        stamp,
        stamp,
        cost,
        task,
        sent,
    ]


async def fill(execute: Execute, marks: Callable[[int], str], text_times: bool) -> None:
    """The rows the previous version wrote, as it wrote them."""
    for day, server, member, succeeded in USAGE:
        params = [day.isoformat() if text_times else day, server, member, succeeded]
        await execute(f"INSERT INTO usage (day, guild_id, user_id, succeeded) VALUES ({marks(4)})", params)
    for job in JOBS:
        values = job_values(*job)
        if text_times:
            values = [encode_time(v) if isinstance(v, dt.datetime) else v for v in values]
        await execute(f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({marks(len(values))})", values)


async def made_at_0014_sqlite(path: Path) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate_sqlite(conn, path, load_migrations()[:SCHEMA_0014])
        await fill(conn.execute, lambda n: ", ".join("?" * n), text_times=True)


async def made_at_0014_postgres(url: str) -> None:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    try:
        await migrate_postgres(pool, "test", load_migrations("postgres")[:SCHEMA_0014])

        async def execute(statement: str, params: Sequence[object]) -> object:
            return await pool.execute(statement, *params)

        await fill(execute, lambda n: ", ".join(f"${i}" for i in range(1, n + 1)), text_times=False)
    finally:
        await pool.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def moved(request: pytest.FixtureRequest, tmp_path: Path) -> JobStore:
    """A store opened by this version on a database the previous one made (so migrated to 0015)."""
    clock = FakeClock(NOW)
    if request.param == "sqlite":
        path = tmp_path / "old.sqlite3"
        await made_at_0014_sqlite(path)
        store = await JobStore.open(path, clock=clock)
    else:
        url = request.getfixturevalue("postgres_url")
        await made_at_0014_postgres(url)
        store = await JobStore.open_postgres(url, clock=clock)
    yield store
    await store.close()


def quotas(store: JobStore, **limits: int) -> QuotaService:
    settings = Settings(discord_token="t", cometapi_key="k", _env_file=None, **limits)  # type: ignore[arg-type]
    return QuotaService(store, settings, clock=lambda: NOW)


async def test_every_daily_count_is_what_the_counters_and_the_jobs_in_flight_made_it(moved):
    alice = (await moved.standing(ALICE, SERVER)).spend
    # Alice here: 2 counted + 1 waiting; everywhere: + 1 in direct messages + 1 in the other server.
    assert (alice.person_units_here, alice.person_units) == (3, 5)
    # The server: Alice's 2 + Bob's 2 counted, and Alice's, Bob's and Carol's (2 units) jobs in flight.
    assert alice.guild_units == 2 + 2 + 1 + 1 + 2
    assert (await moved.standing(ALICE, None)).spend.person_units_here == 1
    assert (await moved.usage_today(SERVER, ALICE)).user_today == 2  # charged: the counter, not the wait


async def test_jobs_in_flight_hold_a_reservation_charged_once_at_the_provider(moved):
    queued, running, submitting, delivered = await moved.all_jobs()
    assert (await moved.charge_of(queued.id)).state is LedgerState.RESERVED
    assert (await moved.charge_of(running.id)).state is LedgerState.CHARGED
    assert (await moved.charge_of(submitting.id)).units == 2  # its own cost
    assert await moved.charge_of(delivered.id) is None  # counted by the counters already


async def test_the_same_requests_are_refused_and_taken_as_before(moved):
    """The server lets members make 3 a day and itself 9: as before the move, Alice (2 done, 1 waiting)
    and Bob (2 done, 1 running) are refused, Carol (2 units sending) may make one more, then the
    server is full. When Alice's waiting job fails, she has room again, as the counters gave her."""
    await save_settings(moved, GuildSettings(guild_id=SERVER, max_daily_per_user=3, max_daily_per_guild=9))
    service = quotas(moved, max_daily_jobs_per_user=10)
    for member in (ALICE, BOB):
        with pytest.raises(QuotaExceeded) as refused:
            await service.check(SERVER, member)
        assert (refused.value.limit, refused.value.limit_value) == (LimitKind.USER_DAILY, 3)
    await service.check(SERVER, CAROL)
    await save_settings(moved, GuildSettings(guild_id=SERVER, max_daily_per_user=3, max_daily_per_guild=8))
    with pytest.raises(QuotaExceeded) as full:
        await service.check(SERVER, CAROL)
    assert full.value.limit is LimitKind.GUILD_DAILY

    queued = next(job for job in await moved.all_jobs() if job.status is JobStatus.QUEUED)
    await moved.mark_failed(queued.id, FailureKind.REFUSED, "refused before its submit")
    await save_settings(moved, GuildSettings(guild_id=SERVER, max_daily_per_user=3, max_daily_per_guild=9))
    await service.check(SERVER, ALICE)


async def test_yesterdays_counters_count_nothing_today_and_the_operators_limit_spans_servers(moved):
    """Yesterday's 3 are gone; Alice's 5 today in every server meet an operator limit of 5."""
    with pytest.raises(QuotaExceeded) as refused:
        await quotas(moved, max_daily_jobs_per_user=5).check(OTHER_SERVER, ALICE)
    assert refused.value.limit_value == 5
    await quotas(moved, max_daily_jobs_per_user=6).check(OTHER_SERVER, ALICE)
