"""No account for a job (code 3): it yields its turn and fails after a bound; a full queue keeps its place.

The upstream answers code 3 ("无可用的账号实例") when no account can make a job's kind of video (720p
needs an HD-capable account) for as long as that lasts. Such a job must neither wait for ever nor hold
the line: it goes behind the other waiting jobs and fails, free, once its submits have been refused so
for longer than ``JOB_TIMEOUT_MINUTES``. A full queue (code 23) is everyone's: the job keeps its place.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import FailureKind, JobStatus, Quality
from bot.store import JobStore
from bot.tracking.events import JobEventKind
from bot.tracking.tracker import JobTracker
from tests.bot.tracking.test_tracker import Recorder, make_tracker, new_job, queue, store  # noqa: F401 - fixtures
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.fixtures_cometapi import make_cometapi_client

HD = Quality.HD.video_type
BOUND = dt.timedelta(seconds=1.5)


async def test_a_job_without_an_account_lets_the_others_go_then_fails_free_after_the_bound(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """One slot; the 720p job first in line is always refused with code 3, the 480p jobs behind it are
    sent and finish meanwhile, and the 720p job fails as NO_CAPACITY once the bound has passed."""
    cometapi_double.default_plan = TaskPlan(duration=0.2)
    cometapi_double.no_instance(times=None, video_type=HD)
    tracker, events = await make_tracker(provider_cap=1, job_timeout=BOUND)
    hd, *others = await queue(
        store,
        tracker,
        new_job("sharp", quality=Quality.HD, requester_id=11),
        new_job("one", requester_id=12),
        new_job("two", requester_id=13),
    )

    done = await events.wait_final(*(job.id for job in others), timeout=5)
    assert [job.status for job in done] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    assert events.final(hd.id) is None  # still waiting its turn while the others went

    (failed,) = await events.wait_final(hd.id, timeout=10)
    assert (failed.status, failed.failure_kind) == (JobStatus.FAILED, FailureKind.NO_CAPACITY)
    assert failed.provider_task_id is None and failed.capacity_refused_at is not None
    assert "无可用的账号实例" in (failed.error or "")
    assert failed.finished_at is not None and all(
        job.finished_at is not None and job.finished_at < failed.finished_at for job in done
    )
    first_refusal = min(record.at for record in cometapi_double.request_log if record.endpoint == "submit")
    last_refusal = max(record.at for record in cometapi_double.request_log if record.endpoint == "submit")
    assert last_refusal - first_refusal >= BOUND.total_seconds()  # not failed before the bound
    assert (await store.usage_today(22, 11)).user_today == 0  # refused jobs are free
    assert len(cometapi_double.tasks) == 2  # only the 480p jobs were made


async def test_a_refused_job_goes_behind_the_line_and_its_card_says_so(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """After code 3 the job's place is last; the others move up (POSITION events for their cards)."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    running = await store.create_job(new_job("running", requester_id=10))
    tracker, events = await make_tracker(provider_cap=2, job_timeout=dt.timedelta(minutes=5))
    await tracker.enqueue(running)
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(running.id))
    cometapi_double.no_instance(times=None, video_type=HD)
    hd, second, third = await queue(
        store,
        tracker,
        new_job("sharp", quality=Quality.HD, requester_id=11),
        new_job("one", requester_id=12),
        new_job("two", requester_id=13),
    )
    # The 720p job took the free slot first, was refused, and waits behind the two 480p jobs, one of
    # which has its slot now.
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(second.id))
    place = tracker.queue_place(hd.id)
    assert place is not None and place.place == 2
    assert tracker.queue_place(third.id).place == 1  # type: ignore[union-attr]
    stored = await store.get_job(hd.id)
    assert stored is not None and stored.status is JobStatus.QUEUED and stored.capacity_refused_at is not None


async def test_a_full_queue_keeps_the_job_first_in_line(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """Code 23 is the provider full for everyone: the refused job keeps its place and goes first."""
    cometapi_double.default_plan = TaskPlan(duration=0.2)
    attempts = 4  # per send: make_cometapi_client's 1 + max_retries
    cometapi_double.queue_full(times=attempts + 1)
    tracker, events = await make_tracker(provider_cap=1)
    first, behind = await queue(
        store, tracker, new_job("first", requester_id=11), new_job("behind", requester_id=12)
    )
    done = await events.wait_final(first.id, behind.id)
    assert [job.status for job in done] == [JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]
    assert done[0].submitted_at is not None and done[1].submitted_at is not None
    assert done[0].submitted_at < done[1].submitted_at
    assert done[0].capacity_refused_at is None


async def test_a_job_accepted_within_the_bound_is_made(
    store,  # noqa: F811
    make_tracker,  # noqa: F811
    cometapi_double,
):
    """Code 3 for a while, then an account frees up: the job is sent and succeeds (no failure)."""
    cometapi_double.default_plan = TaskPlan(duration=0.2)
    cometapi_double.no_instance(times=10, video_type=HD)
    tracker, events = await make_tracker(job_timeout=dt.timedelta(minutes=5))
    (job,) = await queue(store, tracker, new_job("sharp", quality=Quality.HD))
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.SUCCEEDED and final.failure_kind is None
    assert cometapi_double.counts["submit"] == 11


@pytest.fixture
async def two_processes(postgres_url: str, cometapi_double, cometapi_session):
    """Two trackers on one PostgreSQL database (processes "one" and "two"), one slot between them."""
    started: list[tuple[JobStore, JobTracker]] = []  # (its own store, its tracker)

    async def start(owner: str, **options) -> tuple[JobStore, JobTracker, Recorder]:
        own = await JobStore.open_postgres(postgres_url, lease_owner=owner)
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
        settings = {"poll_interval": 0.05, "job_timeout": dt.timedelta(minutes=5), "busy_retry_seconds": 0.05}
        tracker = JobTracker(own, client, provider_cap=1, **{**settings, **options})
        events = Recorder()
        tracker.subscribe(events)
        await tracker.start()
        started.append((own, tracker))
        return own, tracker, events

    yield start
    for own, tracker in started:
        await tracker.stop()
        await own.close()


async def test_every_process_sees_a_refused_job_behind_the_others(two_processes, cometapi_double):
    """Process one's 720p job is first in the shared line and always refused with code 3; process
    two's 480p job must get the one slot. The yield is stored, so both processes order the line the
    same way: kept in one process's memory, each would leave the slot to the other's job."""
    cometapi_double.default_plan = TaskPlan(duration=0.2)
    cometapi_double.no_instance(times=None, video_type=HD)
    one, tracker_one, events_one = await two_processes("one", job_timeout=BOUND)
    two, tracker_two, events_two = await two_processes("two")
    hd = await one.create_job(new_job("sharp", quality=Quality.HD, requester_id=11))
    await tracker_one.enqueue(hd)
    await events_one.wait_for(lambda: cometapi_double.counts["submit"] > 0)
    other = await two.create_job(new_job("other", requester_id=12, guild_id=23))
    await tracker_two.enqueue(other)

    (made,) = await events_two.wait_final(other.id, timeout=5)
    assert made.status is JobStatus.SUCCEEDED
    (refused,) = await events_one.wait_final(hd.id, timeout=10)
    assert (refused.status, refused.failure_kind) == (JobStatus.FAILED, FailureKind.NO_CAPACITY)
    assert refused.finished_at is not None and made.finished_at is not None
    assert made.finished_at < refused.finished_at
