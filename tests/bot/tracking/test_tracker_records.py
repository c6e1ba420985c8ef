"""One record per job in the tracker: a job is forgotten whole, and an ended job keeps only what outlives it.

Everything the tracker keeps about a job is in its ``TrackedJob``, made and dropped by ``TrackedJobs``;
cancel, withdraw and a let-go (``test_tracker_fencing``) all forget through the same routine. The
tracker tests look for the job in everything the tracker holds (``tests.traces``), so a map or a
field added later and not forgotten fails them; the dispatcher's line is checked by its answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from bot.models import Job, JobStatus, Quality
from bot.provider import CometAPIClient
from bot.store import JobStore
from bot.tracking.dispatcher import Dispatcher
from bot.tracking.events import EventBus, JobEventKind
from bot.tracking.schedule import PollState
from bot.tracking.tracked import PendingSuccess, TrackedJob, TrackedJobs
from bot.tracking.tracker import JobTracker
from tests.bot.tracking.test_fair_queue import job
from tests.bot.tracking.test_tracker import make_tracker, new_job, queue, store  # noqa: F401 - fixtures
from tests.doubles.cometapi_jobs import TaskPlan
from tests.traces import traces

# Not the tracker's memory of jobs: the store and the provider (asked, not kept), the event bus (an
# event in delivery), the dispatcher's line (checked by its answers: its caches of the last order and
# its fairness memory of who was served since the line formed name jobs by design).
NOT_THE_TRACKERS = (JobStore, CometAPIClient, EventBus, Dispatcher)
REFUSED_AT = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)


def forgotten(tracker: JobTracker, job_id: int) -> list[str]:
    """Return where the tracker still keeps ``job_id``, its line included (empty: forgotten whole)."""
    found = traces(tracker, job_id, skip=NOT_THE_TRACKERS)
    if tracker.queue_place(job_id) is not None:
        found.append("the dispatcher's line")
    return found


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_job_cancelled_while_its_task_is_missing_from_the_listing_leaves_no_trace(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """Cancelled between a listing that left its task out and the direct fetch that follows."""
    cometapi_double.default_plan = TaskPlan(duration=3600, omit_from_list=True)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(job.id))
    held = cometapi_double.hold("fetch")
    await asyncio.wait_for(held.arrived.wait(), 5)  # two listings missed it: it is asked for directly
    polled_at = tracker.last_poll_at  # the poll waits for that answer

    await tracker.cancel(job.id)

    assert forgotten(tracker, job.id) == []
    held.release()
    await until(lambda: tracker.last_poll_at != polled_at)
    assert forgotten(tracker, job.id) == []  # the answer that was in flight brought nothing back
    assert tracker.in_flight == 0


async def test_a_withdrawn_job_the_provider_had_no_account_for_leaves_no_trace(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """Refused with code 3 (its wait for an account is being counted), back in line, then withdrawn."""
    cometapi_double.no_instance(times=None, video_type=Quality.HD.video_type)
    tracker, _ = await make_tracker(busy_retry_seconds=60)
    (job,) = await queue(store, tracker, new_job(quality=Quality.HD))
    await until(lambda: cometapi_double.counts["submit"] >= 1 and tracker.queue_place(job.id) is not None)

    assert tracker.withdraw(job.id) is not None

    assert forgotten(tracker, job.id) == []
    assert tracker.in_flight == 0 and tracker.waiting == 0


# -- the record itself ---------------------------------------------------------------------------------

# A value away from its default for every field but ``job``: a field added later needs one here, and
# its place in OUTLIVES_ACTIVITY if it must outlive the job's activity.
SAMPLES: dict[str, Callable[[Job], object]] = {
    "poll": lambda job: PollState(started_at=1.0, next_due=2.0),
    "misses": lambda job: 2,
    "refused_since": lambda job: REFUSED_AT,
    "success": lambda job: PendingSuccess(job, ("https://cdn.example/a.mp4",)),
    "late": lambda job: True,
}
OUTLIVES_ACTIVITY = {"success", "late"}


def a_job(status: JobStatus, job_id: int = 7) -> Job:
    return job(job_id, user=11, status=status)


def full_record(records: TrackedJobs, job: Job) -> TrackedJob:
    """Return the job's record with every field set."""
    record = records.hold(job)
    for name, sample in SAMPLES.items():
        setattr(record, name, sample(job))
    return record


def test_every_field_of_the_record_has_a_sample():
    assert set(SAMPLES) == {field.name for field in dataclasses.fields(TrackedJob)} - {"job"}


@pytest.mark.parametrize("ended", [JobStatus.TIMED_OUT, JobStatus.FAILED, JobStatus.SUCCEEDED])
def test_a_job_that_is_no_longer_active_keeps_only_what_outlives_its_activity(ended: JobStatus):
    records = TrackedJobs()
    record = full_record(records, a_job(JobStatus.RUNNING))

    records.track(a_job(ended))

    defaults = TrackedJob(a_job(ended))
    changed = {
        field.name
        for field in dataclasses.fields(TrackedJob)
        if getattr(record, field.name) != getattr(defaults, field.name)
    }
    assert changed == OUTLIVES_ACTIVITY  # and ``job`` is the ended version
    assert records.get(7) is record and record.job.status is ended and 7 not in records.active


@pytest.mark.parametrize("last", sorted(OUTLIVES_ACTIVITY))
def test_the_record_of_an_ended_job_goes_with_the_last_thing_left_to_do(last: str):
    records = TrackedJobs()
    record = full_record(records, a_job(JobStatus.TIMED_OUT))
    for name in OUTLIVES_ACTIVITY - {last}:
        setattr(record, name, getattr(TrackedJob(record.job), name))
    records.release(record)
    assert records.get(7) is record  # something is still to do

    setattr(record, last, getattr(TrackedJob(record.job), last))
    records.release(record)

    assert records.get(7) is None and list(records) == [] and traces(records, 7) == []


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.TIMED_OUT])
def test_drop_forgets_the_job_whole(status: JobStatus):
    records = TrackedJobs()
    full_record(records, a_job(status))
    full_record(records, a_job(status, job_id=8))

    records.drop(7)

    assert traces(records, 7) == [] and list(records) == [8]


def test_the_active_jobs_are_those_whose_latest_version_is_active():
    records = TrackedJobs()
    records.track(a_job(JobStatus.QUEUED))
    records.track(a_job(JobStatus.FAILED, job_id=8))  # never active here: nothing to keep
    assert dict(records.active) == {7: a_job(JobStatus.QUEUED)} and list(records) == [7]

    records.track(a_job(JobStatus.SUBMITTED))
    assert records.active[7].status is JobStatus.SUBMITTED

    records.track(a_job(JobStatus.CANCELLED))
    assert dict(records.active) == {} and list(records) == []
