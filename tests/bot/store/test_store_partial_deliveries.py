"""A job delivered in part: delivered, the missing clips listed, charged for what arrived (both engines)."""

from __future__ import annotations

import pytest

from bot.models import JobStatus, charged_units
from bot.store import InvalidTransition
from tests.store_fixtures import GUILD, USER, sample_job

CLIPS = [f"https://x/{n}.mp4" for n in range(4)]


async def succeeded(store, *, cost: int = 1):
    job = await store.create_job(sample_job(clips=4, cost=cost))
    await store.mark_submitted(job.id, f"task-{job.id}")
    return await store.mark_succeeded(job.id, CLIPS)


async def used(store) -> int:
    return (await store.usage_today(GUILD, USER)).user_today


@pytest.mark.parametrize(("cost", "after_partial"), [(1, 1), (4, 3)])
async def test_a_partial_delivery_keeps_the_charge_of_the_clips_that_arrived(store, cost, after_partial):
    """Per job: charged whole once a clip arrived. Per clip: 3 of 4 arrived, 3 charged; the fourth
    posted later counts then, once, however often that is recorded."""
    job = await succeeded(store, cost=cost)
    partial = await store.mark_partly_delivered(job.id, [3])
    assert partial.status is JobStatus.DELIVERED and partial.missing_clips == (3,)
    assert partial.partly_delivered and partial.delivered_at is not None
    assert await used(store) == after_partial
    assert await store.count_partly_delivered() == 1

    complete = await store.mark_clips_posted(job.id, [3])
    again = await store.mark_clips_posted(job.id, [3])
    assert complete.missing_clips == again.missing_clips == () and not complete.partly_delivered
    assert await used(store) == cost
    assert await store.count_partly_delivered() == 0
    assert (await store.get_job(job.id)).missing_clips == ()


async def test_clips_posted_in_two_goes_count_each_time_and_odd_indexes_are_refused(store):
    job = await succeeded(store, cost=4)
    await store.mark_partly_delivered(job.id, [1, 2, 3])
    assert await used(store) == 1
    assert (await store.mark_clips_posted(job.id, [2])).missing_clips == (1, 3)
    assert await used(store) == 2
    with pytest.raises(InvalidTransition):
        await store.mark_clips_posted(job.id, [4])
    with pytest.raises(ValueError, match="no clip delivered"):
        await store.mark_partly_delivered((await succeeded(store)).id, [0, 1, 2, 3])


async def test_only_a_succeeded_job_can_be_partly_delivered(store):
    job = await succeeded(store)
    await store.mark_delivered(job.id)
    with pytest.raises(InvalidTransition):
        await store.mark_partly_delivered(job.id, [1])
    assert (await store.mark_clips_posted(job.id, [1])).missing_clips == ()  # nothing was missing


def test_charged_units_rounds_up_and_charges_nothing_without_a_clip() -> None:
    assert [charged_units(1, 4, n) for n in range(5)] == [0, 1, 1, 1, 1]
    assert [charged_units(4, 4, n) for n in range(5)] == [0, 1, 2, 3, 4]
    assert [charged_units(2, 4, n) for n in range(5)] == [0, 1, 1, 2, 2]
