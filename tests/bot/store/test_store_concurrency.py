"""Concurrent use of the job store (both engines), and writes that meet another process's SQLite lock."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.models import JobStatus
from bot.store import InvalidTransition, JobStore, StoreError
from tests.bot.store.test_store import job_in, sample_job

JOBS = 200


class LockHolder:
    """Another process's write lock, taken by a plain sqlite3 connection on a thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._locked = threading.Event()
        self._release = threading.Event()
        self._task: asyncio.Future[None] | None = None

    async def hold(self, *, seconds: float | None = None) -> None:
        """Take the lock and return once it is held; it is released after ``seconds`` or on release()."""
        self._task = asyncio.ensure_future(asyncio.to_thread(self._run, seconds))
        locked = await asyncio.to_thread(self._locked.wait, 5)
        assert locked, "the lock holder never got the lock"

    async def release(self) -> None:
        self._release.set()
        assert self._task is not None
        await self._task

    def _run(self, seconds: float | None) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._locked.set()
            self._release.wait(seconds)
            conn.execute("COMMIT")
        finally:
            conn.close()


async def test_two_hundred_concurrent_transitions_are_all_persisted(open_store):
    async with await open_store() as store:
        jobs = await asyncio.gather(*(store.create_job(sample_job(prompt=f"job {n}")) for n in range(JOBS)))
        ids = [job.id for job in jobs]
        assert len(set(ids)) == JOBS
        await asyncio.gather(*(store.mark_submitting(job_id) for job_id in ids))
        await asyncio.gather(*(store.mark_submitted(job_id, f"task-{job_id}") for job_id in ids))
    async with await open_store() as reopened:
        stored = await reopened.jobs_with_status(JobStatus.SUBMITTED)
        counts = await reopened.count_by_status()
    assert [job.id for job in stored] == sorted(ids)
    assert {job.provider_task_id for job in stored} == {f"task-{job_id}" for job_id in ids}
    assert counts[JobStatus.SUBMITTED] == JOBS


async def test_racing_transitions_on_one_job_let_exactly_one_win(open_store):
    """Twenty attempts, half of them through a second store (another process): one wins."""
    one, two = await open_store(), await open_store()
    job = await one.create_job(sample_job())
    results = await asyncio.gather(
        *((one, two)[n % 2].mark_submitting(job.id) for n in range(20)), return_exceptions=True
    )
    winners = [result for result in results if not isinstance(result, BaseException)]
    losers = [result for result in results if isinstance(result, InvalidTransition)]
    assert (len(winners), len(losers)) == (1, 19)


async def test_concurrent_progress_reports_keep_the_highest(open_store):
    async with await open_store() as store:
        job = await job_in(store, JobStatus.SUBMITTED)
        reports = [37, 5, 99, 12, 64, 0, 98]
        reporting = (store.update_progress_many([(job.id, JobStatus.RUNNING, p)]) for p in reports)
        await asyncio.gather(*reporting)
        stored = await store.get_job(job.id)
    assert stored is not None
    assert (stored.status, stored.progress) == (JobStatus.RUNNING, 99)


async def test_success_and_usage_commit_together_under_concurrency(open_store):
    async with await open_store() as store:
        jobs = [await job_in(store, JobStatus.RUNNING) for _ in range(30)]
        urls = ["https://cdn.example/1.mp4"]
        await asyncio.gather(*(store.mark_succeeded(job.id, urls) for job in jobs))
        usage = await store.usage_today(jobs[0].guild_id, jobs[0].requester_id)
    assert usage.user_today == usage.guild_today == 30


async def test_write_waits_out_a_brief_lock_from_another_process(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path) as store:
        job = await store.create_job(sample_job())
        holder = LockHolder(path)
        await holder.hold(seconds=0.05)
        updated = await store.mark_submitting(job.id)
        await holder.release()
        assert await store.get_job(job.id) == updated
    assert updated.status is JobStatus.SUBMITTING


async def test_lock_conflicts_are_retried_with_backoff(tmp_path, caplog):
    path = tmp_path / "db.sqlite3"
    caplog.set_level(logging.WARNING, logger="bot.store.sqlite.engine")
    # busy_timeout 0: SQLite reports the lock at once, so only the store's retry can save the write.
    async with await JobStore.open(path, busy_timeout_ms=0) as store:
        job = await store.create_job(sample_job())
        holder = LockHolder(path)
        await holder.hold(seconds=0.05)
        updated = await store.mark_submitting(job.id)
        await holder.release()
    async with await JobStore.open(path) as reopened:
        assert await reopened.get_job(job.id) == updated
    assert updated.status is JobStatus.SUBMITTING
    assert any("database is locked" in record.getMessage() for record in caplog.records)


async def test_a_lock_that_outlasts_the_retries_is_reported_and_changes_nothing(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path, busy_timeout_ms=0, lock_retry_seconds=0.1) as store:
        job = await store.create_job(sample_job())
        holder = LockHolder(path)
        await holder.hold()
        try:
            with pytest.raises(StoreError) as caught:
                await store.mark_submitting(job.id)
        finally:
            await holder.release()
        assert "locked by another process" in str(caught.value)
        assert str(path) in str(caught.value)
        assert await store.get_job(job.id) == job
        assert (await store.mark_submitting(job.id)).status is JobStatus.SUBMITTING


async def test_reads_continue_while_another_process_writes(tmp_path):
    path = tmp_path / "db.sqlite3"
    async with await JobStore.open(path, busy_timeout_ms=0, lock_retry_seconds=0.1) as store:
        job = await store.create_job(sample_job())
        holder = LockHolder(path)
        await holder.hold()
        try:
            assert await store.get_job(job.id) == job
            assert await store.recent_jobs(job.requester_id, job.guild_id, limit=5) == [job]
        finally:
            await holder.release()
