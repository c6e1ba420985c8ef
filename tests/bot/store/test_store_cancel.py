"""Cancelling jobs in the store, and migration 0006 that made room for the CANCELLED status."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from bot.models import ACTIVE_STATUSES, FINAL_STATUSES, JobStatus, LedgerState
from bot.store import CancelWouldCharge, InvalidTransition, JobNotFound, JobStore, TooLateToCancel
from bot.store.migrations import load_migrations
from bot.store.sqlite.schema import migrate
from tests.bot.store.test_store import GUILD, USER, job_in

ACTIVE = [JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING]
TOO_LATE = [JobStatus.SUCCEEDED, JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.TIMED_OUT]


def test_cancelled_is_final_and_not_active():
    assert JobStatus.CANCELLED.is_final and not JobStatus.CANCELLED.is_active
    assert JobStatus.CANCELLED in FINAL_STATUSES and JobStatus.CANCELLED not in ACTIVE_STATUSES


@pytest.mark.parametrize("status", ACTIVE)
async def test_a_job_without_a_result_is_cancelled_and_leaves_the_active_lists(store, clock, status):
    job = await job_in(store, status)
    clock.advance(seconds=5)

    cancelled = await store.mark_cancelled(job.id)

    assert cancelled.status is JobStatus.CANCELLED
    assert cancelled.finished_at == cancelled.updated_at == clock.now
    assert cancelled.final_shown_at is None  # the card still has to say so
    assert await store.running_jobs(USER) == []
    assert await store.count_active_jobs(GUILD) == 0
    assert await store.unannounced_failures() == [cancelled]
    assert (await store.count_by_status())[JobStatus.CANCELLED] == 1


@pytest.mark.parametrize("status", TOO_LATE)
async def test_a_job_with_its_result_cannot_be_cancelled(store, status):
    job = await job_in(store, status)
    with pytest.raises(TooLateToCancel) as caught:
        await store.mark_cancelled(job.id)
    assert caught.value.current is status
    assert await store.get_job(job.id) == job


async def test_cancelling_twice_is_refused_and_an_unknown_job_is_not_found(store):
    job = await store.mark_cancelled((await job_in(store, JobStatus.RUNNING)).id)
    with pytest.raises(TooLateToCancel) as caught:
        await store.mark_cancelled(job.id)
    assert caught.value.current is JobStatus.CANCELLED
    with pytest.raises(JobNotFound):
        await store.mark_cancelled(9999)


async def test_a_result_arriving_after_the_cancel_is_refused_and_the_job_stays_charged(store):
    """The provider had the task when it was cancelled: it bills it, so the job stays charged (once)."""
    job = await job_in(store, JobStatus.RUNNING)
    await store.mark_cancelled(job.id)

    updated = await store.update_progress_many([(job.id, JobStatus.RUNNING, 90)])
    with pytest.raises(InvalidTransition):
        await store.mark_succeeded(job.id, ["https://cdn.example/late.mp4"])

    assert updated == []
    assert (await store.get_job(job.id)).status is JobStatus.CANCELLED
    assert (await store.usage_today(GUILD, USER)).user_today == 1


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (JobStatus.QUEUED, LedgerState.RELEASED),  # waiting: the provider never had it
        (JobStatus.SUBMITTING, LedgerState.CHARGED),  # its submit is on the wire: it may have it
        (JobStatus.SUBMITTED, LedgerState.CHARGED),
        (JobStatus.RUNNING, LedgerState.CHARGED),
    ],
)
async def test_a_cancel_is_free_only_while_the_job_waits(store, status, state):
    job = await job_in(store, status)
    cancelled = await store.mark_cancelled(job.id)
    assert (await store.charge_of(job.id)).state is state
    assert cancelled.billed is (state is LedgerState.CHARGED)


@pytest.mark.parametrize("status", [JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING])
async def test_a_cancel_meant_to_be_free_changes_nothing_once_the_job_left_the_line(store, status):
    """The member pressed Cancel on a waiting job, which reached the provider before the write."""
    job = await job_in(store, status)
    with pytest.raises(CancelWouldCharge):
        await store.mark_cancelled(job.id, free_only=True)
    assert (await store.get_job(job.id)).status is status
    queued = await job_in(store, JobStatus.QUEUED)
    assert (await store.mark_cancelled(queued.id, free_only=True)).status is JobStatus.CANCELLED


# -- migration 0006 ------------------------------------------------------------------------------


def schema_objects(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        return {str(name): str(sql) for name, sql in rows}
    finally:
        conn.close()


async def old_database(path: Path) -> None:
    """A database at schema 5 with a parent, its extension and a deleted newest job."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn, path, load_migrations()[:5])
        columns = (
            "requester_id, guild_id, channel_id, source, status, motion, quality, prompt, image_url, "
            "locale, parent_job_id, clip_index, extension_count, provider_task_id, clip_urls, "
            "created_at, updated_at, timed_out_at"
        )
        stamp = "2025-03-01T10:00:00.000000+00:00"
        rows = [
            (
                USER,
                GUILD,
                3001,
                "slash",
                "delivered",
                "low",
                "480p",
                "p",
                "u",
                "en",
                None,
                None,
                0,
                "t1",
                '["a","b"]',
                stamp,
                stamp,
                None,
            ),
            (
                USER,
                GUILD,
                3001,
                "extend",
                "running",
                "high",
                "720p",
                "p",
                "u",
                "vi",
                1,
                2,
                1,
                "t2",
                "[]",
                stamp,
                stamp,
                None,
            ),
            (
                USER,
                GUILD,
                3001,
                "slash",
                "timed_out",
                "low",
                "480p",
                "p",
                "u",
                "en",
                None,
                None,
                0,
                "t3",
                "[]",
                stamp,
                stamp,
                stamp,
            ),
            (
                USER,
                GUILD,
                3001,
                "slash",
                "queued",
                "low",
                "480p",
                "p",
                "u",
                "en",
                None,
                None,
                0,
                None,
                "[]",
                stamp,
                stamp,
                None,
            ),
        ]
        marks = ", ".join("?" * 18)
        await conn.executemany(f"INSERT INTO jobs ({columns}) VALUES ({marks})", rows)
        await conn.execute("DELETE FROM jobs WHERE id = 4")


async def test_migration_keeps_rows_ids_indexes_and_the_autoincrement_sequence(tmp_path):
    path = tmp_path / "old.sqlite3"
    await old_database(path)
    indexes_before = schema_objects(path)

    async with await JobStore.open(path) as store:
        jobs = await store.all_jobs()
        new = await job_in(store, JobStatus.QUEUED)
        cancelled = await store.mark_cancelled(jobs[1].id)

    assert [(j.id, j.status, j.parent_job_id) for j in jobs] == [
        (1, JobStatus.DELIVERED, None),
        (2, JobStatus.RUNNING, 1),
        (3, JobStatus.TIMED_OUT, None),
    ]
    assert jobs[0].clip_urls == ("a", "b") and jobs[2].timed_out_at is not None
    assert (jobs[1].provider_task_id, jobs[1].clip_index, jobs[1].locale) == ("t2", 2, "vi")
    assert new.id == 5  # id 4 was given once and deleted: never reused
    assert cancelled.status is JobStatus.CANCELLED
    later = {name: sql for name, sql in schema_objects(path).items() if name not in indexes_before}
    assert schema_objects(path) == indexes_before | later
    assert set(later) == {
        "ix_jobs_guild_status",  # 0007
        "ix_jobs_leasable",  # 0010
        "ix_jobs_finished",  # 0010
        "ix_jobs_card_message",  # 0012
        "ix_ledger_person",  # 0015
        "ix_ledger_guild",  # 0015
        "ix_ledger_month",  # 0015
        "ix_consent_requests_pending",  # 0017
        "ix_consent_requests_requester",  # 0017
    }
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'jobs_old'").fetchall() == []
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'jobs'").fetchone()[0]
    finally:
        conn.close()
    assert "REFERENCES jobs (id) ON DELETE SET NULL" in ddl and "AUTOINCREMENT" in ddl
