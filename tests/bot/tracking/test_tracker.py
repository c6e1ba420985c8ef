"""The job tracker against the CometAPI double and a real store: submit, poll in batches, finish."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from bot.models import FailureKind, Job, JobSource, JobStatus, Motion, NewJob, Quality
from bot.store import JobStore
from bot.tracking.events import JobEvent, JobEventKind
from bot.tracking.late_watch import LATE_WATCH_WINDOW, LateWatch
from bot.tracking.tracked import TrackedJobs
from bot.tracking.tracker import JobTracker, TrackerHalted
from tests.doubles.cometapi_faults import FaultKind
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.fixtures_cometapi import make_cometapi_client
from tests.reliability.lock_holder import write_lock_held


class Recorder:
    """Collects tracker events and lets a test await a condition on them."""

    def __init__(self) -> None:
        self.events: list[JobEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: JobEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def kinds(self, job_id: int) -> list[JobEventKind]:
        return [event.kind for event in self.events if event.job.id == job_id]

    def final(self, job_id: int) -> Job | None:
        for event in self.events:
            if event.job.id == job_id and event.kind in (JobEventKind.SUCCEEDED, JobEventKind.FAILED):
                return event.job
        return None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_final(self, *job_ids: int, timeout: float = 10.0) -> list[Job]:
        await self.wait_for(lambda: all(self.final(job_id) for job_id in job_ids), timeout)
        return [self.final(job_id) for job_id in job_ids]  # type: ignore[misc]


@pytest.fixture
async def store(tmp_path) -> AsyncIterator[JobStore]:
    store = await JobStore.open(tmp_path / "jobs.sqlite3")
    yield store
    await store.close()


@pytest.fixture
async def make_tracker(store, cometapi_double, cometapi_session):
    trackers: list[JobTracker] = []

    async def make(**options) -> tuple[JobTracker, Recorder]:
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
        defaults = {"poll_interval": 0.05, "job_timeout": dt.timedelta(minutes=5), "busy_retry_seconds": 0.05}
        defaults.update(options)
        tracker = JobTracker(store, client, **defaults)
        recorder = Recorder()
        tracker.subscribe(recorder)
        await tracker.start()
        trackers.append(tracker)
        return tracker, recorder

    yield make
    for tracker in trackers:
        await tracker.stop()


def new_job(prompt: str = "a cat", **fields) -> NewJob:
    values = {
        "requester_id": 11,
        "guild_id": 22,
        "channel_id": 33,
        "source": JobSource.SLASH,
        "motion": Motion.LOW,
        "quality": Quality.SD,
        "prompt": prompt,
        "image_url": "https://cdn.discordapp.test/attachments/1/2/cat.png",
    }
    values.update(fields)
    return NewJob(**values)


async def queue(store: JobStore, tracker: JobTracker, *jobs: NewJob) -> list[Job]:
    stored = [await store.create_job(job) for job in jobs]
    for job in stored:
        await tracker.enqueue(job)
    return stored


async def test_job_is_submitted_with_its_state_polled_and_succeeds(store, make_tracker, cometapi_double):
    """A queued job goes out with its id as state, reports progress and ends SUCCEEDED with 4 clips."""
    cometapi_double.default_plan = TaskPlan(duration=0.4)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.SUCCEEDED
    assert len(final.clip_urls) == 4
    assert cometapi_double.submissions[0]["state"] == f"motionbot:{job.id}"
    kinds = events.kinds(job.id)
    assert kinds[0] is JobEventKind.SUBMITTED
    assert JobEventKind.PROGRESS in kinds
    assert kinds[-1] is JobEventKind.SUCCEEDED
    stored = await store.get_job(job.id)
    assert stored is not None and stored.status is JobStatus.SUCCEEDED
    assert (await store.usage_today(22, 11)).user_today == 1


async def test_many_jobs_are_polled_in_batches_not_one_request_per_job(store, make_tracker, cometapi_double):
    """Forty concurrent jobs cost far fewer list requests than one fetch per job per tick."""
    cometapi_double.default_plan = TaskPlan(duration=0.5)
    tracker, events = await make_tracker(poll_interval=0.1)
    jobs = await queue(store, tracker, *(new_job(f"job {n}") for n in range(40)))
    finals = await events.wait_final(*(job.id for job in jobs))
    assert all(job.status is JobStatus.SUCCEEDED for job in finals)
    assert cometapi_double.counts["fetch"] == 0
    polls_per_job = cometapi_double.counts["list"] / len(jobs)
    assert polls_per_job < 1.0, cometapi_double.counts


async def test_at_most_one_list_call_per_poll_interval_however_many_jobs_are_due(
    store, make_tracker, cometapi_double
):
    """Jobs submitted at different moments fall due at different times, yet share one call per interval."""
    cometapi_double.default_plan = TaskPlan(duration=1.2)
    tracker, events = await make_tracker(poll_interval=0.2)
    jobs = []
    for n in range(6):  # each submission waits for the previous one's: their polls fall due apart
        (job,) = await queue(store, tracker, new_job(f"job {n}"))
        await events.wait_for(lambda j=job: JobEventKind.SUBMITTED in events.kinds(j.id))
        jobs.append(job)
    finals = await events.wait_final(*(job.id for job in jobs))
    assert all(job.status is JobStatus.SUCCEEDED for job in finals)
    starts = [
        record.at for record in cometapi_double.request_log if record.path.endswith("list-by-condition")
    ]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert gaps and min(gaps) >= 0.2 * 0.95, gaps


async def test_moderation_refusal_fails_the_job_with_the_reason(store, make_tracker, cometapi_double):
    cometapi_double.moderate_submits("nude", prompt="nude", reason="可能包含敏感词")
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job("nude body"))
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.FAILED
    assert final.failure_kind is FailureKind.MODERATION
    assert "nude" in (final.error or "") or "敏感词" in (final.error or "")
    assert (await store.usage_today(22, 11)).user_today == 0


async def test_waiting_jobs_wait_for_a_slot_under_the_provider_cap(store, make_tracker, cometapi_double):
    """Cap 2, five jobs: two at the provider at any time, the rest wait with positions, all succeed."""
    cometapi_double.default_plan = TaskPlan(duration=0.3)
    tracker, events = await make_tracker(provider_cap=2)
    jobs = await queue(store, tracker, *(new_job(f"job {n}", requester_id=100 + n) for n in range(5)))
    await events.wait_for(lambda: any(e.kind is JobEventKind.POSITION for e in events.events))
    assert tracker.provider_running <= 2 and tracker.waiting == 3
    assert [tracker.queue_place(job.id) is not None for job in jobs] == [False, False, True, True, True]
    finals = await events.wait_final(*(job.id for job in jobs))
    assert all(job.status is JobStatus.SUCCEEDED for job in finals)
    assert tracker.waiting == 0 and tracker.provider_running == 0


async def test_a_waiting_job_is_not_timed_out_but_one_at_the_provider_is(
    store, make_tracker, cometapi_double
):
    """JOB_TIMEOUT counts time at the provider: a job waiting longer than the timeout still runs."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker(provider_cap=1, job_timeout=dt.timedelta(seconds=0.4))
    first, second = await queue(store, tracker, new_job("stuck"), new_job("waits"))
    (timed_out,) = await events.wait_final(first.id)
    assert timed_out.status is JobStatus.TIMED_OUT
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(second.id))  # waited > 0.4 s
    (later,) = await events.wait_final(second.id)
    assert later.status is JobStatus.TIMED_OUT and later.submitted_at is not None
    assert later.finished_at is not None and later.finished_at - later.submitted_at >= dt.timedelta(
        seconds=0.4
    )


async def test_withdraw_takes_a_waiting_job_out_of_the_line(store, make_tracker, cometapi_double):
    """What Cancel builds on: a withdrawn waiting job is never sent; the one behind it moves up."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker(provider_cap=1)
    _running, withdrawn, behind = await queue(store, tracker, *(new_job(f"job {n}") for n in range(3)))
    await events.wait_for(lambda: tracker.queue_place(behind.id) is not None and tracker.waiting == 2)
    assert tracker.queue_place(behind.id).place == 2
    assert tracker.withdraw(withdrawn.id) is not None
    assert tracker.queue_place(withdrawn.id) is None and tracker.queue_place(behind.id).place == 1
    assert tracker.withdraw(withdrawn.id) is None


@pytest.mark.parametrize("busy", ["queue_full", "no_instance"])
async def test_queue_full_is_retried_later_and_then_succeeds(store, make_tracker, cometapi_double, busy):
    """The client's own retries run out on a long queue-full (code 23) or no-account-instance (code 3)
    spell; the tracker re-queues the job, which then succeeds."""
    getattr(cometapi_double, busy)(times=10)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.SUCCEEDED
    assert cometapi_double.counts["submit"] == 11


async def test_rejected_key_fails_the_job_once_and_stops_submitting(
    store, make_tracker, cometapi_double, caplog
):
    """A 401 is not retried, is logged once, and later jobs are refused without calling the API."""
    cometapi_double.reply(
        401, {"error": {"message": "bad key", "type": "comet_api_error"}}, endpoint="submit"
    )
    tracker, events = await make_tracker()
    with caplog.at_level(logging.CRITICAL, logger="bot.tracking.tracker"):
        (job,) = await queue(store, tracker, new_job())
        (final,) = await events.wait_final(job.id)
    assert final.failure_kind is FailureKind.CONFIGURATION
    assert tracker.auth_failed and not tracker.accepting
    assert cometapi_double.counts["submit"] == 1
    assert len([r for r in caplog.records if r.levelno == logging.CRITICAL]) == 1
    with pytest.raises(TrackerHalted):
        await tracker.enqueue(await store.create_job(new_job()))


@pytest.mark.parametrize(
    ("plan", "kind", "reason"),
    [
        (TaskPlan(fail_reason="上游任务超时（超过1小时）"), FailureKind.PROVIDER_FAILED, "上游任务超时"),
        (
            TaskPlan(fail_reason="Banned prompt detected", failure_progress=""),
            FailureKind.PROVIDER_FAILED,
            "Banned",
        ),
        (TaskPlan(modal=True), FailureKind.NEEDS_INPUT, ""),
    ],
)
async def test_provider_side_failures_end_the_job_with_a_reason(
    store, make_tracker, cometapi_double, plan, kind, reason
):
    cometapi_double.default_plan = plan
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.FAILED
    assert final.failure_kind is kind
    assert reason in (final.error or "")
    assert final.error


async def test_stuck_job_times_out_with_a_clear_reason(store, make_tracker, cometapi_double):
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker(job_timeout=dt.timedelta(seconds=0.3))
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.TIMED_OUT
    assert final.failure_kind is FailureKind.TIMEOUT
    assert "no result after" in (final.error or "")


async def test_task_the_provider_forgot_is_failed_after_a_direct_fetch(store, make_tracker, cometapi_double):
    """A task missing from the batch listing is fetched directly; unknown there, the job fails."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(job.id))
    stored = await store.get_job(job.id)
    assert stored is not None and stored.provider_task_id is not None
    del cometapi_double.tasks[stored.provider_task_id]
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.FAILED
    assert cometapi_double.counts["fetch"] == 1
    assert "no longer knows" in (final.error or "")


async def test_start_resumes_in_flight_jobs_from_the_store(store, make_tracker, cometapi_double):
    """After a restart: running jobs are polled again, a lost submit fails, a finished job is re-announced."""
    running = await store.create_job(new_job("running"))
    task_id = cometapi_double.add_task(plan=TaskPlan(duration=0.2))
    await store.mark_submitted(running.id, task_id)
    lost = await store.create_job(new_job("lost"))
    await store.mark_submitting(lost.id)
    queued = await store.create_job(new_job("queued"))
    finished = await store.create_job(new_job("finished"))
    await store.mark_submitted(finished.id, cometapi_double.add_task())
    await store.mark_succeeded(finished.id, ["https://clips.test/0.mp4"])

    _, events = await make_tracker()
    done = await events.wait_final(running.id, lost.id, queued.id, finished.id)
    by_id = {job.id: job for job in done}
    assert by_id[running.id].status is JobStatus.SUCCEEDED
    assert by_id[lost.id].failure_kind is FailureKind.INTERRUPTED
    assert by_id[queued.id].status is JobStatus.SUCCEEDED
    assert events.kinds(finished.id) == [JobEventKind.SUCCEEDED]


async def test_a_failing_event_handler_never_stops_the_loop(store, make_tracker, cometapi_double, caplog):
    tracker, events = await make_tracker()

    async def explode(event: JobEvent) -> None:
        raise RuntimeError("handler bug")

    tracker.subscribe(explode)
    jobs = await queue(store, tracker, new_job("one"), new_job("two"))
    finals = await events.wait_final(*(job.id for job in jobs))
    assert all(job.status is JobStatus.SUCCEEDED for job in finals)
    assert any("event handler failed for job" in record.getMessage() for record in caplog.records)


async def test_extension_is_sent_as_extend_of_the_parent_task(store, make_tracker, cometapi_double):
    tracker, events = await make_tracker()
    (parent,) = await queue(store, tracker, new_job())
    (done,) = await events.wait_final(parent.id)
    child = await store.create_job(
        new_job(
            source=JobSource.EXTEND,
            parent_job_id=parent.id,
            clip_index=2,
            extension_count=1,
            motion=Motion.HIGH,
        )
    )
    await tracker.enqueue(child)
    (final,) = await events.wait_final(child.id)
    assert final.status is JobStatus.SUCCEEDED
    body = cometapi_double.submissions[-1]
    assert body["action"] == "extend"
    assert (body["index"], body["taskId"], body["motion"]) == (2, done.provider_task_id, "high")


async def test_transient_poll_faults_are_survived(store, make_tracker, cometapi_double):
    cometapi_double.inject(FaultKind.SERVER_ERROR, times=6, status=503, endpoint="list")
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job())
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.SUCCEEDED


async def test_stop_is_clean_and_refuses_new_jobs(store, make_tracker):
    tracker, _ = await make_tracker()
    await tracker.stop()
    assert not tracker.accepting
    with pytest.raises(TrackerHalted):
        await tracker.enqueue(await store.create_job(new_job()))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"image_url": "ftp://example.test/cat.png"}, "image"),
        ({"image_url": ""}, "image"),
        ({"prompt": "x" * 2001}, "prompt"),  # words (1000) plus the flags the bot adds
    ],
)
async def test_bad_input_fails_the_job_before_any_request_and_keeps_the_store_consistent(
    store, make_tracker, cometapi_double, fields, reason
):
    """A job the client refuses to send ends FAILED (refused, with the reason) and nothing reaches the API."""
    tracker, events = await make_tracker()
    (job,) = await queue(store, tracker, new_job(**fields))
    (final,) = await events.wait_final(job.id)
    assert final.status is JobStatus.FAILED
    assert final.failure_kind is FailureKind.REFUSED
    assert reason in (final.error or "").lower()
    assert cometapi_double.counts["submit"] == 0
    assert await store.jobs_with_status(JobStatus.QUEUED, JobStatus.SUBMITTING) == []
    assert (await store.usage_today(22, 11)).user_today == 0


async def test_a_slow_poll_does_not_hold_up_new_submissions(store, make_tracker, cometapi_double):
    """While one batched poll waits on a slow provider, a new job is still submitted at once."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker()
    (first,) = await queue(store, tracker, new_job("first"))
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(first.id))
    cometapi_double.inject(FaultKind.SLOW, times=1, delay=2.0, endpoint="list")
    await asyncio.wait_for(_until(lambda: cometapi_double.counts["list"] >= 1), 2)
    (second,) = await queue(store, tracker, new_job("second"))
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(second.id), timeout=1.0)


async def _until(predicate) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


# -- every provider success ends stored --------------------------------------------------------


async def test_a_job_timed_out_by_the_bot_that_the_provider_finishes_later_succeeds_late(
    store, make_tracker, cometapi_double
):
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker(job_timeout=dt.timedelta(seconds=0.3))
    (job,) = await queue(store, tracker, new_job())
    (timed_out,) = await events.wait_final(job.id)
    assert timed_out.status is JobStatus.TIMED_OUT and timed_out.provider_task_id is not None
    cometapi_double.finish(timed_out.provider_task_id)
    await events.wait_for(lambda: JobEventKind.SUCCEEDED in events.kinds(job.id))
    late = await store.get_job(job.id)
    assert late is not None and late.status is JobStatus.SUCCEEDED and late.arrived_late
    assert events.kinds(job.id)[-2:] == [JobEventKind.FAILED, JobEventKind.SUCCEEDED]
    assert (await store.usage_today(22, 11)).user_today == 1


async def test_a_timed_out_job_replaced_by_a_retry_ignores_its_late_result(
    store, make_tracker, cometapi_double
):
    """Only the retry is delivered; the stored job is no longer watched after a restart. Both timed-out
    jobs stay charged (issue 21): the provider had their tasks and bills them."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await make_tracker(job_timeout=dt.timedelta(seconds=0.3))
    retried, probe = await queue(store, tracker, new_job("retried"), new_job("probe"))
    first, second = await events.wait_final(retried.id, probe.id)
    await tracker.replaced_by_retry(retried.id)
    for job in (first, second):
        assert job.provider_task_id is not None
        cometapi_double.finish(job.provider_task_id)
    # One late poll asks for both tasks; the probe's late success shows that poll has run.
    await events.wait_for(lambda: JobEventKind.SUCCEEDED in events.kinds(probe.id))
    kept = await store.get_job(retried.id)
    assert kept is not None and kept.status is JobStatus.TIMED_OUT and kept.timed_out_at is None
    assert JobEventKind.SUCCEEDED not in events.kinds(retried.id)
    assert (await store.usage_today(22, 11)).user_today == 2  # charged since their submits


async def test_start_resumes_watching_a_recent_timeout(store, make_tracker, cometapi_double):
    job = await store.create_job(new_job())
    task_id = cometapi_double.add_task(plan=TaskPlan(duration=3600))
    await store.mark_submitted(job.id, task_id)
    await store.mark_failed(job.id, FailureKind.TIMEOUT, "no result", timed_out=True)
    await store.mark_final_shown(job.id)  # the timeout reached the card before the restart
    _, events = await make_tracker()
    cometapi_double.finish(task_id)
    await events.wait_for(lambda: JobEventKind.SUCCEEDED in events.kinds(job.id))
    assert events.kinds(job.id) == [JobEventKind.SUCCEEDED]


async def test_the_late_watch_ignores_timeouts_older_than_its_window(cometapi_session):
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    client = make_cometapi_client(cometapi_session, "http://127.0.0.1:1")
    records = TrackedJobs()
    watch = LateWatch(client, records, interval=1, clock=lambda: now)
    base = Job(
        id=1,
        requester_id=11,
        guild_id=22,
        channel_id=33,
        source=JobSource.SLASH,
        status=JobStatus.TIMED_OUT,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt="",
        image_url="https://cdn.example/cat.png",
        locale="en-US",
        created_at=now,
        updated_at=now,
        provider_task_id="task-1",
    )
    watch.add(dataclasses.replace(base, timed_out_at=now - LATE_WATCH_WINDOW - dt.timedelta(seconds=1)))
    watch.add(dataclasses.replace(base, id=2, timed_out_at=now - LATE_WATCH_WINDOW + dt.timedelta(seconds=1)))
    watch.add(dataclasses.replace(base, id=3, timed_out_at=now, provider_task_id=None))
    watch.add(dataclasses.replace(base, id=4, status=JobStatus.FAILED, timed_out_at=now))
    assert [record.job.id for record in records.values() if record.late] == [2] and len(watch) == 1
    assert list(records) == [2]  # the jobs not watched left nothing behind


async def test_a_success_whose_write_fails_is_retried_and_never_timed_out(
    tmp_path, cometapi_double, cometapi_session, caplog
):
    """The provider's success meets a locked database past the job's timeout: it is stored once unlocked."""
    path = tmp_path / "locked.sqlite3"
    store = await JobStore.open(path, busy_timeout_ms=50, lock_retry_seconds=0.05)
    client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
    tracker = JobTracker(store, client, poll_interval=0.05, job_timeout=dt.timedelta(seconds=0.5))
    events = Recorder()
    tracker.subscribe(events)
    cometapi_double.default_plan = TaskPlan(duration=3600)
    try:
        await tracker.start()
        (job,) = await queue(store, tracker, new_job())
        await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(job.id))
        submitted = await store.get_job(job.id)
        assert submitted is not None and submitted.provider_task_id is not None
        with caplog.at_level(logging.ERROR, logger="bot.tracking.success_writes"):
            async with write_lock_held(path) as holder:
                cometapi_double.finish(submitted.provider_task_id)
                await asyncio.sleep(0.8)  # past the job's timeout, every write failing meanwhile
                await holder.release()
            (final,) = await events.wait_final(job.id)
        assert final.status is JobStatus.SUCCEEDED and not final.arrived_late
        assert JobEventKind.FAILED not in events.kinds(job.id)
        assert any("storing the success of job" in record.getMessage() for record in caplog.records)
        assert (await store.usage_today(22, 11)).user_today == 1
    finally:
        await tracker.stop()
        await store.close()
