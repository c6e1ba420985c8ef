"""Deleted jobs in the store: the bot's posts of a job, the mark, the ledger kept (both engines)."""

from __future__ import annotations

import pytest

from bot.models import JobStatus
from bot.store import InvalidTransition
from tests.bot.store.test_store import job_in
from tests.store_fixtures import sample_job

BIG = 1_300_000_000_000_000_000  # snowflakes are 64-bit: kept exactly, not as floats


async def test_posts_are_appended_in_order_and_kept_exactly(store):
    job = await store.create_job(sample_job(source_author_id=BIG + 9))
    await store.record_post(job.id, BIG + 1, BIG + 2)
    await store.record_post(job.id, BIG + 3, BIG + 4)
    stored = await store.get_job(job.id)
    assert stored.posts == ((BIG + 1, BIG + 2), (BIG + 3, BIG + 4))
    assert stored.source_author_id == BIG + 9 and not stored.deleted


async def test_a_finished_job_is_marked_deleted_once_and_keeps_its_ledger_row(store, clock):
    job = await job_in(store, JobStatus.DELIVERED)
    spent = await store.spend_totals()
    deleted = await store.mark_deleted(job.id)
    clock.advance(minutes=5)
    again = await store.mark_deleted(job.id)
    assert deleted.deleted and again.deleted_at == deleted.deleted_at
    assert deleted.status is JobStatus.DELIVERED
    assert await store.spend_totals() == spent


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED])
async def test_a_job_not_finished_cannot_be_deleted(store, status):
    job = await job_in(store, status)
    with pytest.raises(InvalidTransition):
        await store.mark_deleted(job.id)
    assert not (await store.get_job(job.id)).deleted
