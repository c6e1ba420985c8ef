"""Opening a PostgreSQL job store: migrations once across processes, and refusals in one clear line.

The PostgreSQL side of tests/bot/store/test_store_schema.py (which is about SQLite files).
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest

from bot.models import JobStatus
from bot.store import JobStore, StoreError
from bot.store.migrations import load_migrations
from bot.store.postgres.schema import describe_url
from tests.bot.store.test_store import job_in
from tests.postgres_server import database_url

LATEST = len(load_migrations("postgres"))


async def versions(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [
            row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
        ]
    finally:
        await conn.close()


def assert_one_clear_line(error: StoreError, *parts: str) -> None:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    for part in parts:
        assert part in message, (part, message)


async def test_two_processes_starting_at_once_apply_each_migration_once(postgres_url, caplog):
    caplog.set_level(logging.INFO, logger="bot.store.postgres.schema")
    one, two = await asyncio.gather(
        JobStore.open_postgres(postgres_url), JobStore.open_postgres(postgres_url)
    )
    async with one, two:
        job = await job_in(one, JobStatus.RUNNING)
        assert await two.get_job(job.id) == job
    applied = [r.getMessage() for r in caplog.records if "applied database migration" in r.getMessage()]
    assert len(applied) == LATEST
    assert await versions(postgres_url) == list(range(1, LATEST + 1))


async def test_reopening_applies_nothing_and_keeps_data(postgres_url, caplog):
    async with await JobStore.open_postgres(postgres_url) as store:
        job = await job_in(store, JobStatus.SUCCEEDED)
    caplog.set_level(logging.INFO, logger="bot.store.postgres.schema")
    async with await JobStore.open_postgres(postgres_url) as store:
        assert await store.get_job(job.id) == job
        assert (await store.usage_today(job.guild_id, job.requester_id)).user_today == 1
    assert not [r for r in caplog.records if "applied database migration" in r.getMessage()]


async def test_newer_schema_is_refused_untouched(postgres_url):
    async with await JobStore.open_postgres(postgres_url):
        pass
    conn = await asyncpg.connect(postgres_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future.sql')")
    finally:
        await conn.close()
    with pytest.raises(StoreError) as caught:
        await JobStore.open_postgres(postgres_url)
    assert_one_clear_line(caught.value, describe_url(postgres_url), "schema version 99", f"up to {LATEST}")
    assert (await versions(postgres_url))[-1] == 99


async def test_an_unreachable_server_is_one_line_without_the_password():
    url = "postgresql://motionbot:hunter2-secret@127.0.0.1:1/motionbot"
    with pytest.raises(StoreError) as caught:
        await JobStore.open_postgres(url)
    assert_one_clear_line(caught.value, "PostgreSQL motionbot@127.0.0.1:1", "cannot reach", "DATABASE_URL")
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is not None


async def test_a_missing_database_is_named(postgres_server):
    url = database_url(postgres_server, "no_such_database")
    with pytest.raises(StoreError) as caught:
        await JobStore.open_postgres(url)
    assert_one_clear_line(caught.value, "PostgreSQL no_such_database@", "does not exist", "DATABASE_URL")


async def test_a_refused_login_says_to_check_the_user(postgres_url):
    url = postgres_url.replace("postgresql://postgres@", "postgresql://nobody:pw-secret@", 1)
    with pytest.raises(StoreError) as caught:
        await JobStore.open_postgres(url)
    assert_one_clear_line(caught.value, "refused the login", "user name and password")
    assert "pw-secret" not in str(caught.value)


async def test_engine_description_and_closing(postgres_url):
    store = await JobStore.open_postgres(postgres_url, max_connections=2)
    assert (store.engine, store.shared) == ("postgresql", True)
    assert store.describe() == describe_url(postgres_url) and store.describe().startswith("PostgreSQL test_")
    with pytest.raises(StoreError, match="no file path"):
        _ = store.path
    await store.close()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.get_job(1)


@pytest.mark.parametrize(
    ("url", "described"),
    [
        ("postgresql://bot:secret@db.example:6543/jobs", "PostgreSQL jobs@db.example:6543"),
        ("postgres://bot@localhost/jobs", "PostgreSQL jobs@localhost:5432"),
        ("postgresql:///jobs?host=/run/postgresql&port=5433", "PostgreSQL jobs@/run/postgresql:5433"),
        ("postgresql://bot:secret@[::1]:5432/jobs", "PostgreSQL jobs@::1:5432"),
    ],
)
def test_describe_never_shows_the_password(url, described):
    assert describe_url(url) == described


async def test_sqlite_describes_its_file(tmp_path):
    async with await JobStore.open(tmp_path / "x.sqlite3") as store:
        assert (store.engine, store.shared) == ("sqlite", False)
        assert store.describe() == f"database {tmp_path / 'x.sqlite3'}"


async def test_a_connection_lost_mid_run_is_a_store_error_and_the_pool_recovers(postgres_url):
    async with await JobStore.open_postgres(postgres_url, max_connections=1) as store:
        job = await job_in(store, JobStatus.QUEUED)
        admin = await asyncpg.connect(postgres_url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await admin.close()
        # The pool may notice the dead connection first and replace it; if the query meets it, the
        # caller gets one clear line. Either way the next call works on a fresh connection.
        try:
            assert await store.get_job(job.id) == job
        except StoreError as lost:
            assert_one_clear_line(lost, "lost the connection to PostgreSQL", "nothing was read")
        assert await store.get_job(job.id) == job


async def test_a_user_without_the_right_to_create_tables_is_one_line_and_the_pool_closed(postgres_url):
    # PostgreSQL 15 no longer lets every user create tables in the public schema.
    admin = await asyncpg.connect(postgres_url)
    try:
        await admin.execute("DROP ROLE IF EXISTS motionbot_reader")
        await admin.execute("CREATE ROLE motionbot_reader LOGIN")
    finally:
        await admin.close()
    url = postgres_url.replace("postgresql://postgres@", "postgresql://motionbot_reader@", 1)
    with pytest.raises(StoreError) as caught:
        await JobStore.open_postgres(url, max_connections=2)
    assert_one_clear_line(
        caught.value, f"cannot open {describe_url(url)}", "permission denied", "DATABASE_URL"
    )
    admin = await asyncpg.connect(postgres_url)
    try:  # nothing of ours is left connected as that user
        count = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'motionbot_reader'"
        )
    finally:
        await admin.close()
    assert count == 0
