"""`python -m bot move-to-postgres`: an SQLite store moves into an empty PostgreSQL one, whole and once.

Real stores on both sides (an SQLite file and the private PostgreSQL server); the command runs
through ``bot.__main__.main`` like an admin's shell would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from bot.__main__ import main
from bot.models import (
    ConsentMode,
    ConsentStatus,
    FailureKind,
    GuildSettings,
    Job,
    JobSource,
    JobStatus,
    Motion,
    Quality,
    RoleAllowance,
    UsageCounts,
)
from bot.store import JobStore
from bot.store.job_rules import LATE_WATCH_LEASE
from bot.store.postgres import sql as postgres_sql
from bot.store.transfer import TransferRefused
from tests import REPO, cli_support
from tests.bot.store.test_store import job_in
from tests.store_fixtures import (
    GUILD,
    OTHER_GUILD,
    OTHER_USER,
    START,
    USER,
    FakeClock,
    consent_request,
    sample_job,
    save_settings,
)

restore_logging = cli_support.restore_logging

SETTINGS = GuildSettings(
    guild_id=GUILD,
    allowed_channel_ids=frozenset({3001, 3002}),
    reactions_enabled=False,
    reaction_emoji="🎬",
    reaction_channel_ids=frozenset({3003}),
    buttons_everyone=True,
    default_motion=Motion.HIGH,
    default_quality=Quality.HD,
    default_clips=2,
    count_clips=True,
    max_concurrent_per_user=3,
    max_daily_per_user=7,
    max_daily_per_guild=40,
    budget_server_day=5_000_000,
    budget_server_month=None,
    budget_person_day=500_000,
    budget_person_month=4_250_000,
    consent=ConsentMode.ASK,
)
ALLOWANCES = [
    RoleAllowance(GUILD, 7001, day=1_500_000, month=None),
    RoleAllowance(GUILD, 7002, month=9_000_000),
]
OTHER_SETTINGS = GuildSettings(guild_id=OTHER_GUILD, default_quality=Quality.SD)


def target_name(url: str) -> str:
    parts = urlsplit(url)
    return f"PostgreSQL {parts.path[1:]}@{parts.hostname}:{parts.port}"


async def fill(path: Path, clock: FakeClock) -> int:
    """Jobs in every final status over two days, settings, usage and meta; return the deleted job's id."""
    async with await JobStore.open(path, clock=clock) as store:
        delivered = await job_in(store, JobStatus.DELIVERED, source_message_id=4001, source_author_id=4002)
        await store.set_card_message(delivered.id, 5001)
        await store.record_post(delivered.id, 3001, 5002)  # a reply with more clips
        await store.record_post(delivered.id, 3002, 5003)  # a /show re-post elsewhere
        refused = await job_in(store, JobStatus.SUBMITTING, guild_id=None, attachment_size_limit=10 << 20)
        await store.requeue(refused.id, no_instance=True)  # no account for it: capacity_refused_at
        await store.mark_failed(refused.id, FailureKind.NO_CAPACITY, "no account for more than 60 minutes")
        cancelled = await job_in(store, JobStatus.CANCELLED, requester_id=OTHER_USER)
        await store.mark_deleted(cancelled.id)  # a member deleted it: it stays deleted on PostgreSQL
        late = await job_in(
            store, JobStatus.SUCCEEDED, clips=2, loop=True, end_image_url="https://e.x/end.png"
        )
        await store.mark_failed(late.id, FailureKind.TIMEOUT, "delivery took too long", timed_out=True)
        extension = await store.create_job(
            sample_job(source=JobSource.EXTEND, parent_job_id=delivered.id, clip_index=1, extension_count=1)
        )
        await store.mark_failed(extension.id, FailureKind.INTERRUPTED, "stopped")
        clock.advance(days=1)
        await job_in(store, JobStatus.DELIVERED, requester_id=OTHER_USER, guild_id=None, cost=2)
        deleted = await job_in(store, JobStatus.FAILED)
        await save_settings(store, SETTINGS)
        await save_settings(store, OTHER_SETTINGS)
        for allowance in ALLOWANCES:
            await store.set_role_allowance(allowance, most=25)
        await store.set_meta("command_hash", "abc123")
        await store.set_meta("another", "value")
        await ask_twice(store)
    with sqlite3.connect(path) as conn:  # a job an admin deleted: its id was given once all the same
        conn.execute("DELETE FROM jobs WHERE id = ?", (deleted.id,))
    conn.close()
    return deleted.id


async def ask_twice(store: JobStore) -> None:
    """A request for consent still waiting (its prompt posted) and one the poster denied."""
    waiting, _ = await store.open_consent(consent_request(source_message_id=4001))
    await store.set_consent_prompt(waiting.id, 6001)
    denied, _ = await store.open_consent(consent_request(source_message_id=4002))
    await store.decide_consent(denied.id, ConsentStatus.DENIED)


async def snapshot_of(store: JobStore, clock: FakeClock) -> dict[str, object]:
    """What the bot reads back from a store: jobs, settings, role allowances, both days' usage, meta."""
    days = {}
    for moved in (0, -1):
        clock.advance(days=moved)
        days[moved] = [
            await store.usage_today(guild, user) for guild in (GUILD, None) for user in (USER, OTHER_USER)
        ]
    clock.advance(days=1)
    return {
        "jobs": await store.all_jobs(),
        "settings": [await store.get_guild_settings(g) for g in (GUILD, OTHER_GUILD, 9999)],
        "allowances": [await store.role_allowances(g) for g in (GUILD, OTHER_GUILD)],
        "usage": days,
        "meta": [await store.get_meta(key) for key in ("command_hash", "another", "absent")],
        "consents": [await store.get_consent(consent_id) for consent_id in (1, 2, 3)],
    }


async def move(path: Path, url: str, clock: FakeClock) -> str:
    async with await JobStore.open(path, clock=clock) as sqlite:
        snapshot = await sqlite.export_snapshot()
    async with await JobStore.open_postgres(url, clock=clock) as postgres:
        await postgres.import_snapshot(snapshot)
        return snapshot.summary(postgres.describe())


async def fetch(url: str, statement: str, *params: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(statement, *params))
    finally:
        await conn.close()


async def test_everything_is_copied_exactly_and_the_next_id_is_above_every_given_one(
    tmp_path, postgres_url, clock
):
    path = tmp_path / "motionbot.sqlite3"
    deleted = await fill(path, clock)
    async with await JobStore.open(path, clock=clock) as sqlite:
        before = await snapshot_of(sqlite, clock)
    assert [job.status for job in before["jobs"]] == [  # type: ignore[union-attr]
        JobStatus.DELIVERED,
        JobStatus.FAILED,
        JobStatus.CANCELLED,
        JobStatus.TIMED_OUT,
        JobStatus.FAILED,
        JobStatus.DELIVERED,
    ]

    assert before["allowances"] == [ALLOWANCES, []]
    assert before["usage"] == {
        0: [UsageCounts(0, 0), UsageCounts(0, 0), UsageCounts(0, 0), UsageCounts(2, 0)],
        # the delivered job and the one whose delivery timed out (the provider billed it)
        -1: [UsageCounts(2, 2), UsageCounts(0, 2), UsageCounts(0, 0), UsageCounts(0, 0)],
    }

    summary = await move(path, postgres_url, clock)

    name = target_name(postgres_url)
    copied = (
        "copied 6 jobs, 2 servers' settings, 2 role allowances, 0 usage rows, 7 ledger rows, 2 meta values,"
        " 2 requests for consent"
    )
    assert summary == f"{copied} from database {path} to {name}"
    async with await JobStore.open_postgres(postgres_url, clock=clock) as postgres:
        assert await snapshot_of(postgres, clock) == before
        timed_out = before["jobs"][3]  # type: ignore[index]
        assert timed_out.clip_urls and timed_out.timed_out_at and timed_out.provider_task_id
        assert [job.id for job in await postgres.late_watch_jobs(clock.now - LATE_WATCH_LEASE)] == [4]
        assert before["jobs"][1].capacity_refused_at == START  # type: ignore[index]
        extension = before["jobs"][4]  # type: ignore[index]
        assert (extension.parent_job_id, extension.source) == (1, JobSource.EXTEND)
        following = await postgres.create_job(sample_job())
        asked, _ = await postgres.open_consent(consent_request(source_message_id=4003))
    assert asked.id == 3  # the ids on buttons already in Discord are never given again
    consents = before["consents"]
    assert [c.status if c else None for c in consents] == [  # type: ignore[attr-defined]
        ConsentStatus.PENDING,
        ConsentStatus.DENIED,
        None,
    ]
    assert following.id == deleted + 1 > max(job.id for job in before["jobs"])  # type: ignore[union-attr]
    leased = await fetch(postgres_url, "SELECT id FROM jobs WHERE lease_owner IS NOT NULL")
    assert [row["id"] for row in leased] == [following.id]  # copied jobs wait for a process to claim them


async def test_the_copy_covers_every_postgresql_column_but_the_lease(postgres_url):
    async with await JobStore.open_postgres(postgres_url):
        rows = await fetch(
            postgres_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'jobs'"
        )
    columns = {row["column_name"] for row in rows} - {"lease_owner", "lease_expires_at"}
    assert columns == {field.name for field in dataclasses.fields(Job)}
    assert all(column in postgres_sql.COPY_JOB for column in columns)


async def test_an_empty_sqlite_store_moves_and_ids_start_at_one(tmp_path, postgres_url, clock):
    path = tmp_path / "empty.sqlite3"
    async with await JobStore.open(path, clock=clock):
        pass
    summary = await move(path, postgres_url, clock)
    assert summary.startswith(
        "copied 0 jobs, 0 servers' settings, 0 role allowances, 0 usage rows, 0 ledger rows, 0 meta values, "
        "0 requests for consent from "
    )
    async with await JobStore.open_postgres(postgres_url, clock=clock) as postgres:
        assert (await postgres.create_job(sample_job())).id == 1


@pytest.mark.parametrize("held", ["job", "settings", "allowance", "usage", "ledger", "meta", "consent"])
async def test_a_postgresql_database_that_holds_anything_is_refused_and_left_as_it_was(
    tmp_path, postgres_url, clock, held
):
    path = tmp_path / "motionbot.sqlite3"
    await fill(path, clock)
    async with await JobStore.open_postgres(postgres_url, clock=clock) as postgres:
        if held == "job":
            await job_in(postgres, JobStatus.FAILED)
        elif held == "settings":
            await save_settings(postgres, OTHER_SETTINGS)
        elif held == "allowance":
            await postgres.set_role_allowance(ALLOWANCES[0], most=25)
        elif held == "usage":  # an old daily counter (the bot no longer writes them)
            await fetch(postgres_url, "INSERT INTO usage VALUES ('2025-03-01', $1, $2, 1)", GUILD, USER)
        elif held == "ledger":  # a ledger row without its job (as migration 0015 carries counters over)
            await fetch(
                postgres_url,
                "INSERT INTO ledger (person_id, guild_id, day, month, units, amount, state, created_at)"
                " VALUES ($1, $2, '2025-03-01', '2025-03', 1, 0, 'charged', now())",
                USER,
                GUILD,
            )
        elif held == "consent":
            await postgres.open_consent(consent_request())
        else:
            await postgres.set_meta("command_hash", "from-postgres")
        before = await fetch(postgres_url, "SELECT (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM meta)")
        # A job comes with its ledger row.
        with pytest.raises(
            TransferRefused, match=r"already holds 1 [a-z' ]+(, 1 ledger row)?; move into an empty"
        ):
            await move(path, postgres_url, clock)
        after = await fetch(postgres_url, "SELECT (SELECT COUNT(*) FROM jobs) + (SELECT COUNT(*) FROM meta)")
        assert after == before
        assert await postgres.get_guild_settings(GUILD) is None


async def test_unfinished_jobs_are_refused_naming_how_many_and_their_statuses(tmp_path, postgres_url, clock):
    path = tmp_path / "motionbot.sqlite3"
    await fill(path, clock)
    async with await JobStore.open(path, clock=clock) as store:
        await job_in(store, JobStatus.QUEUED)
        await job_in(store, JobStatus.QUEUED)
        await job_in(store, JobStatus.RUNNING)
        await job_in(store, JobStatus.SUCCEEDED)
    with pytest.raises(TransferRefused) as refused:
        await move(path, postgres_url, clock)
    assert "still has 4 unfinished jobs (2 queued, 1 running, 1 succeeded)" in str(refused.value)
    assert "let them finish" in str(refused.value)
    async with await JobStore.open_postgres(postgres_url, clock=clock) as postgres:
        assert await postgres.all_jobs() == []


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture
def move_env(monkeypatch, tmp_path, restore_logging):
    """Only the database settings: the command needs no Discord token and no CometAPI key."""
    for name in cli_support.SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "data" / "motionbot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    (tmp_path / "settings.env").touch()  # empty: the settings come from the environment
    monkeypatch.chdir(tmp_path)
    return path


def run_move(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(["move-to-postgres", "--env-file", "settings.env", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_the_command_moves_the_database_and_prints_one_line(
    move_env, postgres_url, monkeypatch, capsys, clock
):
    asyncio.run(fill(move_env, clock))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    code, out, _ = run_move(capsys)
    assert code == 0
    copied = "copied 6 jobs, 2 servers' settings, 2 role allowances, 0 usage rows, 7 ledger rows, 2 meta"
    assert out == [
        f"{copied} values, 2 requests for consent from database {move_env} to {target_name(postgres_url)}"
    ]
    code, out, err = run_move(capsys)  # a second run finds PostgreSQL full
    assert (code, out, len(err)) == (1, [], 1)
    held = (
        "already holds 6 jobs, 2 servers' settings, 2 role allowances, 7 ledger rows, 2 meta values,"
        " 2 requests for consent"
    )
    assert held in err[0]


def test_from_names_another_file_and_a_missing_file_is_exit_2(
    move_env, postgres_url, monkeypatch, capsys, clock
):
    other = move_env.parent / "old.sqlite3"
    asyncio.run(fill(other, clock))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    code, out, err = run_move(capsys)
    assert (code, out, err) == (2, [], [f"there is no database at {move_env}; check DATABASE_PATH or --from"])
    code, out, _ = run_move(capsys, "--from", str(other))
    assert code == 0 and out[0].startswith("copied 6 jobs") and f"from database {other} to" in out[0]


def test_without_database_url_it_says_so_in_one_line_and_exits_2(move_env, capsys, clock):
    asyncio.run(fill(move_env, clock))
    code, out, err = run_move(capsys)
    assert code == 2 and out == []
    assert len(err) == 1 and err[0].startswith("DATABASE_URL is not set")


def test_unfinished_jobs_are_refused_with_exit_1_before_postgresql_is_touched(
    move_env, postgres_url, monkeypatch, capsys, clock
):
    async def unfinished() -> None:
        async with await JobStore.open(move_env, clock=clock) as store:
            await job_in(store, JobStatus.SUBMITTED)

    asyncio.run(unfinished())
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    code, out, err = run_move(capsys)
    assert code == 1 and out == [] and len(err) == 1
    assert "1 unfinished job (1 submitted)" in err[0]
    tables = asyncio.run(fetch(postgres_url, "SELECT tablename FROM pg_tables WHERE tablename = 'jobs'"))
    assert tables == []  # not even migrated


HOLD_LOCK = """
import sys
from pathlib import Path
from bot.store import instance_lock
with instance_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_bot_running_on_the_file_is_refused_with_exit_1(move_env, postgres_url, monkeypatch, capsys, clock):
    asyncio.run(fill(move_env, clock))
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    holder = subprocess.Popen(  # stands in for `python -m bot run` on the same file
        [sys.executable, "-c", HOLD_LOCK, str(move_env)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        code, out, err = run_move(capsys)
    finally:
        holder.communicate("", timeout=30)
    assert code == 1 and out == []
    assert err == [
        f"a Motionbot (pid {holder.pid}) is running on the database {move_env}; stop it first, then move"
    ]
    code, out, _ = run_move(capsys)  # once it stopped, the move goes through
    assert code == 0 and out[0].startswith("copied 6 jobs")
