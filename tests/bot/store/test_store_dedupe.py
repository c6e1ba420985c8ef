"""create_job is idempotent per source: one job per member, source message and trigger in the window."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import JobSource, JobStatus
from bot.store import DUPLICATE_WINDOW, DuplicateJob
from tests.bot.store.test_store import OTHER_USER, USER, FakeClock, job_in, sample_job

MESSAGE, OTHER_MESSAGE = 5001, 5002


def from_message(**changes: object):
    fields: dict[str, object] = {"source": JobSource.REACTION, "source_message_id": MESSAGE, **changes}
    return sample_job(**fields)


async def test_the_same_member_message_and_trigger_again_is_refused_with_the_first_job(store):
    first = await store.create_job(from_message())

    with pytest.raises(DuplicateJob) as caught:
        await store.create_job(from_message())

    assert caught.value.job == first
    assert [job.id for job in await store.all_jobs()] == [first.id]
    assert await store.same_source_job(USER, MESSAGE, JobSource.REACTION) == first


@pytest.mark.parametrize(
    "changes",
    [
        {"requester_id": OTHER_USER},
        {"source_message_id": OTHER_MESSAGE},
        {"source": JobSource.CONTEXT_MENU},
    ],
    ids=["another member", "another message", "another trigger"],
)
async def test_a_different_member_message_or_trigger_makes_a_new_job(store, changes):
    await store.create_job(from_message())
    second = await store.create_job(from_message(**changes))
    assert len(await store.all_jobs()) == 2 and second.status is JobStatus.QUEUED


async def test_jobs_without_a_source_message_are_never_duplicates(store):
    """/animate has no source message: two identical requests are two jobs."""
    await store.create_job(sample_job())
    await store.create_job(sample_job())
    assert len(await store.all_jobs()) == 2


async def test_the_window_includes_its_last_moment_and_not_one_past(store, clock: FakeClock):
    first = await store.create_job(from_message())
    clock.advance(seconds=DUPLICATE_WINDOW.total_seconds())
    with pytest.raises(DuplicateJob):
        await store.create_job(from_message())
    clock.advance(microseconds=1)
    second = await store.create_job(from_message())
    assert second.id != first.id
    assert await store.same_source_job(USER, MESSAGE, JobSource.REACTION) == second


@pytest.mark.parametrize("status", [JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED])
async def test_a_failed_timed_out_or_cancelled_job_lets_the_member_retry(store, status):
    await job_in(store, status, source=JobSource.REACTION, source_message_id=MESSAGE)
    assert await store.same_source_job(USER, MESSAGE, JobSource.REACTION) is None
    retry = await store.create_job(from_message())
    assert retry.status is JobStatus.QUEUED


@pytest.mark.parametrize("status", [JobStatus.RUNNING, JobStatus.DELIVERED])
async def test_a_running_or_delivered_job_is_still_a_duplicate(store, status):
    await job_in(store, status, source=JobSource.REACTION, source_message_id=MESSAGE)
    with pytest.raises(DuplicateJob):
        await store.create_job(from_message())


async def test_two_stores_racing_make_exactly_one_job(open_store):
    """Two stores (as two processes would) creating one job at once: one is refused as a duplicate.

    SQLite: BEGIN IMMEDIATE serialises them. PostgreSQL: the advisory lock on the source message.
    """
    one, two = await open_store(), await open_store()
    for _ in range(3):  # several rounds, each on its own message
        results = await asyncio.gather(
            *(s.create_job(from_message(source_message_id=_ + 1)) for s in (one, two, one, two)),
            return_exceptions=True,
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, DuplicateJob) for r in results if isinstance(r, BaseException))
    assert len(await one.all_jobs()) == len(await two.all_jobs()) == 3
