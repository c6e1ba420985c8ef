"""Deleted jobs in the store: the bot's posts of a job, the mark, the ledger kept (both engines)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import JobStatus, PostPlace, PrivatePost
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


async def test_private_posts_keep_their_place_and_clips_beside_the_channel_posts(store):
    """Ephemeral/webhook and DM messages share the posts column; channel posts read as before."""
    job = await store.create_job(sample_job())
    await store.record_post(job.id, BIG + 1, BIG + 2)
    expires = dt.datetime(2026, 12, 7, 3, 15, tzinfo=dt.UTC)
    card = PrivatePost(PostPlace.WEBHOOK, BIG + 3, BIG + 4, (0, 1, 2), "interaction-token", expires)
    stored = await store.record_private_post(job.id, card)
    assert stored.private_posts == (card,)
    dm = PrivatePost(PostPlace.DM, BIG + 5, BIG + 6, (3,))
    await store.record_private_post(job.id, dm)
    stored = await store.get_job(job.id)
    assert stored.posts == ((BIG + 1, BIG + 2),)
    assert stored.private_posts == (card, dm)


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
