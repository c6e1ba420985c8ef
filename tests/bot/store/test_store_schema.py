"""Opening an SQLite job store: migrations, refusals with clear messages, pragmas and index use.

These are about the SQLite file itself; tests/bot/store/test_store_postgres.py has the PostgreSQL equivalents.
"""

from __future__ import annotations

import importlib.resources
import logging
import random
import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.models import JobStatus
from bot.store import JobStore, StoreError
from bot.store.migrations import Migration, load_migrations
from bot.store.sqlite import sql
from bot.store.sqlite.schema import migrate
from tests.bot.store.test_store import USER, job_in, sample_job
from tests.store_fixtures import sqlite_store_and_engine

TABLES = {"jobs", "meta", "guild_settings", "usage", "ledger", "role_allowances", "consent_requests"}


def migration_file_count() -> int:
    folder = importlib.resources.files("bot.store") / "migrations" / "sqlite"
    return sum(1 for entry in folder.iterdir() if entry.name.endswith(".sql"))


def read_file(path: Path, query: str) -> list[tuple[object, ...]]:
    """Run ``query`` on ``path`` with a plain sqlite3 connection, as another process would."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def user_version(path: Path) -> int:
    return int(str(read_file(path, "PRAGMA user_version")[0][0]))


def table_names(path: Path) -> set[str]:
    rows = read_file(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(row[0]) for row in rows}


async def build_partial_database(path: Path, migrations: tuple[Migration, ...]) -> None:
    """Create a database with only ``migrations`` applied, as an older Motionbot left it."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await migrate(conn, path, migrations)


# -- migrations ----------------------------------------------------------------------------------


def test_migrations_are_numbered_from_one():
    migrations = load_migrations()
    assert len(migrations) == migration_file_count() >= 2
    assert [migration.version for migration in migrations] == list(range(1, len(migrations) + 1))
    assert all(migration.sql.strip() for migration in migrations)


def test_both_dialects_have_the_same_steps():
    """Schema version N means the same change on SQLite and on PostgreSQL."""
    sqlite, postgres = load_migrations("sqlite"), load_migrations("postgres")
    assert [m.name for m in sqlite] == [m.name for m in postgres]
    assert len(sqlite) == 20 and sqlite[-1].name == "0020_private_posts.sql"


async def test_open_creates_folder_file_and_schema(tmp_path):
    path = tmp_path / "nested" / "deeper" / "motionbot.sqlite3"
    store = await JobStore.open(path)
    await store.close()
    assert path.is_file()
    assert user_version(path) == migration_file_count()
    assert table_names(path) >= TABLES


async def test_open_migrates_an_empty_file(tmp_path):
    path = tmp_path / "empty.sqlite3"
    path.touch()
    store = await JobStore.open(str(path))
    await store.close()
    assert user_version(path) == migration_file_count()
    assert table_names(path) >= TABLES


async def test_reopening_applies_nothing_and_keeps_data(tmp_path, caplog):
    path = tmp_path / "db.sqlite3"
    caplog.set_level(logging.INFO, logger="bot.store.sqlite.schema")
    async with await JobStore.open(path) as store:
        job = await store.create_job(sample_job())
    applied_first = [r for r in caplog.records if "applied database migration" in r.getMessage()]
    assert len(applied_first) == migration_file_count()
    caplog.clear()
    async with await JobStore.open(path) as store:
        assert await store.get_job(job.id) == job
    assert not [r for r in caplog.records if "applied database migration" in r.getMessage()]
    assert user_version(path) == migration_file_count()


async def test_older_database_is_migrated_on_open(tmp_path):
    path = tmp_path / "old.sqlite3"
    await build_partial_database(path, load_migrations()[:1])
    assert user_version(path) == 1
    assert "usage" not in table_names(path)
    async with await JobStore.open(path) as store:
        job = await job_in(store, JobStatus.SUCCEEDED)
        usage = await store.usage_today(job.guild_id, USER)
    assert usage.user_today == 1
    assert user_version(path) == migration_file_count()
    assert table_names(path) >= TABLES


async def test_newer_database_is_refused_untouched(tmp_path):
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError) as caught:
        await JobStore.open(path)
    message = str(caught.value)
    assert str(path) in message
    assert "schema version 99" in message
    assert f"up to {migration_file_count()}" in message
    assert user_version(path) == 99
    assert table_names(path) == set()


async def test_failed_migration_rolls_back_completely(tmp_path):
    path = tmp_path / "db.sqlite3"
    good = Migration(1, "0001_good.sql", "CREATE TABLE kept (a INTEGER);")
    bad = Migration(2, "0002_bad.sql", "CREATE TABLE dropped (a INTEGER);\nINSERT INTO missing VALUES (1);")
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(StoreError, match=r"0002_bad\.sql") as caught:
            await migrate(conn, path, (good, bad))
        assert not conn.in_transaction
    assert "schema version 1" in str(caught.value)
    assert user_version(path) == 1
    assert table_names(path) == {"kept"}


# -- refusals ------------------------------------------------------------------------------------


async def test_random_bytes_are_refused(tmp_path):
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(random.Random(7).randbytes(16384))
    with pytest.raises(StoreError) as caught:
        await JobStore.open(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not an SQLite database" in message
    assert "backup" in message


async def test_damaged_database_is_refused(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    async with await JobStore.open(path) as store:
        for _ in range(200):
            await store.create_job(sample_job(prompt="x" * 500))
    read_file(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = int(str(read_file(path, "PRAGMA page_size")[0][0]))
    data = bytearray(path.read_bytes())
    # Keep the header page, scribble over the b-tree pages that follow.
    data[page_size : page_size * 6] = random.Random(3).randbytes(page_size * 5)
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        await JobStore.open(path)
    assert str(path) in str(caught.value)
    assert "backup" in str(caught.value)


async def test_failed_integrity_check_is_refused(tmp_path):
    path = tmp_path / "bad-freelist.sqlite3"
    async with await JobStore.open(path) as store:
        await store.create_job(sample_job())
    read_file(path, "PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    # Header bytes 32..39: first freelist trunk page and freelist length; point at a missing page.
    data[32:40] = (9999).to_bytes(4, "big") + (3).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        await JobStore.open(path)
    message = str(caught.value)
    assert str(path) in message
    assert "failed its integrity check" in message
    assert "invalid page number 9999" in message


async def test_path_under_a_file_is_refused(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("I am a file")
    path = blocker / "motionbot.sqlite3"
    with pytest.raises(StoreError) as caught:
        await JobStore.open(path)
    assert str(path) in str(caught.value)
    assert "DATABASE_PATH" in str(caught.value)


async def test_folder_as_database_path_is_refused(tmp_path):
    with pytest.raises(StoreError) as caught:
        await JobStore.open(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert "is a folder" in str(caught.value)


# -- pragmas and indexes -------------------------------------------------------------------------


async def test_wal_mode_is_persistent(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path) as store:
        await store.create_job(sample_job())
        assert read_file(path, "PRAGMA journal_mode") == [("wal",)]
        assert Path(f"{path}-wal").exists()


async def test_connection_pragmas(tmp_path):
    store, engine = await sqlite_store_and_engine(tmp_path / "db.sqlite3", busy_timeout_ms=1234)
    async with store:
        # the pragmas are per connection: writes run on the writer, reads on the reader
        expected = {
            engine.write: {"synchronous": 1, "foreign_keys": 1, "busy_timeout": 1234, "query_only": 0},
            engine.read: {"busy_timeout": 1234, "query_only": 1, "journal_mode": "wal"},
        }
        for run, pragmas in expected.items():
            for pragma, value in pragmas.items():
                rows = await run(lambda tx, pragma=pragma: tx.rows(f"PRAGMA {pragma}"))
                assert rows[0][0] == value, pragma


UI_QUERIES = {
    "recent jobs": (sql.RECENT_JOBS, (USER, 1, 10, 0), "ix_jobs_requester_created"),
    "running jobs": (sql.RUNNING_JOBS, (USER,), "ix_jobs_requester_status"),
    "jobs by status": (sql.JOBS_WITH_STATUS, ('["running"]',), "ix_jobs_status"),
    "a server's active jobs": (sql.COUNT_ACTIVE_IN_GUILD, (1,), "ix_jobs_guild_status"),
    "job by task": (sql.SELECT_JOB_ID_BY_TASK, ("task",), "ux_jobs_provider_task"),
    "a person's spend": (sql.SPEND, (USER, 1, "2025-01-01", "2025-01"), "ix_ledger_person"),
    "a server's spend": (sql.SPEND, (USER, 1, "2025-01-01", "2025-01"), "ix_ledger_guild"),
    "the bot's spend": (sql.SPEND, (USER, 1, "2025-01-01", "2025-01"), "ix_ledger_month"),
    "charged today": (sql.CHARGED_TODAY, ("2025-01-01", "2025-01", 1, USER), "ix_ledger_guild"),
    "renew leases": (sql.RENEW_LEASES, ("me", "2025", "2024"), "ix_jobs_leasable"),
    # The planner reads the status indexes here (no statistics yet); what matters is: no table scan.
    "claim expired": (sql.CLAIM_EXPIRED, ("me", "2025", "2024", "2025", 100), "USING INDEX"),
}


@pytest.mark.parametrize("name", list(UI_QUERIES))
async def test_ui_queries_use_an_index(tmp_path, name):
    statement, params, index = UI_QUERIES[name]
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path):
        pass
    conn = sqlite3.connect(path)
    try:
        plan = [str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)]
    finally:
        conn.close()
    assert any(step.startswith("SEARCH") and index in step for step in plan), plan
    # A subquery's one-row result (the ledger's sums) is scanned once it is made: not a table scan.
    made = {step.split()[1] for step in plan if step.startswith("MATERIALIZE")}
    scans = [step for step in plan if step.startswith("SCAN") and "INDEX" not in step]
    assert not [step for step in scans if step.split()[1] not in made], plan
