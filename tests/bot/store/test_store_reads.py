"""Reads on their own connection: they never queue behind a write, and they see every committed write.

Read-your-writes, settings changes and atomic admission run on both engines; the others are about
SQLite's two connections and another process's file lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3

import pytest

from bot.checks.quotas import QuotaExceeded, QuotaService
from bot.models import GuildSettings, Job, JobStatus
from bot.store import JobStore, StoreError
from bot.store.sqlite.engine import SqliteTx
from tests.bot.checks.test_quotas import make_settings
from tests.bot.store.test_store import GUILD, USER, sample_job
from tests.bot.store.test_store_concurrency import LockHolder
from tests.store_fixtures import save_settings, sqlite_store_and_engine

# Far below SQLite's busy timeout (5 s) that a read queued behind a blocked write would have to wait out.
READ_BUDGET = 1.0


async def test_reads_answer_while_our_write_waits_for_another_process(tmp_path):
    """Another process holds the write lock and our create_job waits for it: every read still answers."""
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path) as store:
        first = await store.create_job(sample_job())
        await save_settings(store, GuildSettings(guild_id=GUILD, max_daily_per_user=3))
        holder = LockHolder(path)
        await holder.hold()
        try:
            blocked = asyncio.create_task(store.create_job(sample_job(prompt="second")))
            await asyncio.sleep(0)  # the write takes the writer and starts waiting for the lock
            async with asyncio.timeout(READ_BUDGET):
                settings = await store.get_guild_settings(GUILD)
                usage = await store.usage_today(GUILD, USER)
                running = await store.running_jobs(USER)
                page = await store.recent_jobs(USER, GUILD, limit=5)
                active = await store.count_active_jobs(GUILD)
            assert not blocked.done()
        finally:
            await holder.release()
        second = await blocked
        after = await store.running_jobs(USER)

    assert settings is not None and settings.max_daily_per_user == 3
    assert (usage.user_today, usage.guild_today) == (0, 0)
    assert running == page == [first] and active == 1  # the waiting write is not visible yet
    assert [job.id for job in after] == [first.id, second.id]  # and lands once the lock is gone


async def test_a_read_started_after_a_write_committed_sees_it(open_store):
    """Read-your-writes across the two connections, for every kind of record, many times over."""
    async with await open_store() as store:
        for n in range(30):
            job = await store.create_job(sample_job(prompt=f"job {n}"))
            assert await store.get_job(job.id) == job
            submitted = await store.mark_submitted(job.id, f"task-{n}")
            assert await store.get_job(job.id) == submitted
            await store.set_meta("last", str(n))
            assert await store.get_meta("last") == str(n)
            await save_settings(store, GuildSettings(guild_id=GUILD, max_daily_per_guild=n + 1))
            stored = await store.get_guild_settings(GUILD)
            assert stored is not None and stored.max_daily_per_guild == n + 1
        assert len(await store.jobs_with_status(JobStatus.SUBMITTED)) == 30


async def test_interleaved_writers_and_readers_always_see_their_own_writes(open_store):
    async with await open_store() as store:

        async def write_then_read(n: int) -> bool:
            job = await store.create_job(sample_job(prompt=f"job {n}"))
            return await store.get_job(job.id) == job

        assert all(await asyncio.gather(*(write_then_read(n) for n in range(50))))


async def test_one_read_sees_one_snapshot_even_when_another_process_commits_in_between(tmp_path):
    """A multi-statement read runs in one read transaction, so its statements agree with each other."""
    path = tmp_path / "db.sqlite3"
    store, engine = await sqlite_store_and_engine(path)
    async with store:
        await store.create_job(sample_job())

        def commit_elsewhere() -> None:
            with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
                other.execute("UPDATE jobs SET prompt = 'changed elsewhere'")

        async def prompt(tx: SqliteTx) -> str:
            (row,) = await tx.rows("SELECT prompt FROM jobs")
            return str(row[0])

        async def work(tx: SqliteTx) -> tuple[str, str]:
            before = await prompt(tx)
            await asyncio.to_thread(commit_elsewhere)
            return before, await prompt(tx)

        before, after = await engine.read(work)
        latest = await store.get_job(1)
    assert before == after != "changed elsewhere"
    assert latest is not None and latest.prompt == "changed elsewhere"


async def test_the_read_connection_cannot_write(tmp_path):
    store, engine = await sqlite_store_and_engine(tmp_path / "db.sqlite3")
    async with store:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await engine.read(lambda tx: tx.execute("DELETE FROM jobs"))


async def test_close_closes_both_connections(tmp_path):
    store = await JobStore.open(tmp_path / "db.sqlite3")
    job = await store.create_job(sample_job())
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.get_job(job.id)  # a read: the reader
    with pytest.raises(StoreError, match="closed"):
        await store.create_job(sample_job())  # a write: the writer
    # PRAGMA optimize ran and the last connection checkpointed the WAL away: none is left open
    assert not (tmp_path / "db.sqlite3-wal").exists()


async def test_an_in_memory_database_is_refused_because_its_reader_would_see_another_database():
    with pytest.raises(StoreError, match="WAL"):
        await JobStore.open(":memory:")


async def test_two_settings_changes_at_once_both_land(open_store):
    """update_guild_settings reads and writes in one transaction, so no change overwrites another."""
    async with await open_store() as store:
        await asyncio.gather(
            store.update_guild_settings(GUILD, lambda s: dataclasses.replace(s, max_daily_per_user=4)),
            store.update_guild_settings(GUILD, lambda s: dataclasses.replace(s, buttons_everyone=True)),
            store.update_guild_settings(GUILD, lambda s: dataclasses.replace(s, max_daily_per_guild=9)),
        )
        stored = await store.get_guild_settings(GUILD)
    assert stored is not None
    assert (stored.max_daily_per_user, stored.buttons_everyone, stored.max_daily_per_guild) == (4, True, 9)


async def test_admission_stays_atomic_with_reads_on_their_own_connection(open_store):
    """Twenty requests at once for three free places (one running, two waiting): exactly three are stored.

    Admission counts (inside the write transaction) and stores the job with its reservation in that
    same transaction, and the next admission's count starts after that commit, so it sees the new job.
    """
    async with await open_store() as store:
        quotas = QuotaService(
            store, make_settings(max_concurrent_jobs_per_user=1, max_waiting_jobs_per_user=2)
        )

        async def start(n: int) -> Job:
            return await quotas.admission(sample_job(prompt=f"job {n}"))

        results = await asyncio.gather(*(start(n) for n in range(20)), return_exceptions=True)
        running = await store.running_jobs(USER)
    started = [result for result in results if isinstance(result, Job)]
    refused = [result for result in results if isinstance(result, QuotaExceeded)]
    assert (len(started), len(refused), len(running)) == (3, 17, 3)
