"""Job store behaviour: records, status transitions, progress and the store life cycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.models import (
    Charge,
    FailureKind,
    Job,
    JobSource,
    JobStatus,
    LedgerState,
    Motion,
    Quality,
)
from bot.store import InvalidTransition, JobNotFound, JobStore, StoreError
from tests.store_fixtures import (  # noqa: F401 - re-exported for the other store tests
    GUILD,
    OTHER_GUILD,
    OTHER_USER,
    PLUS_SEVEN,
    START,
    USER,
    FakeClock,
    sample_job,
)


async def reported(store: JobStore, job_id: int, status: JobStatus, progress: int) -> Job:
    """Record one provider progress report on a tracked job, the way a poll does."""
    (job,) = await store.update_progress_many([(job_id, status, progress)])
    return job


async def job_in(store: JobStore, status: JobStatus, **changes: object) -> Job:
    """Create a job and drive it along legal transitions to ``status``."""
    job = await store.create_job(sample_job(**changes))
    if status is JobStatus.FAILED:
        return await store.mark_failed(job.id, FailureKind.REFUSED, "no")
    if status is JobStatus.TIMED_OUT:
        return await store.mark_failed(job.id, FailureKind.TIMEOUT, "late", timed_out=True)
    if status is JobStatus.QUEUED:
        return job
    if status is JobStatus.CANCELLED:
        return await store.mark_cancelled(job.id)
    steps: dict[JobStatus, Callable[[], Awaitable[Job]]] = {
        JobStatus.SUBMITTING: lambda: store.mark_submitting(job.id),
        JobStatus.SUBMITTED: lambda: store.mark_submitted(job.id, f"task-{job.id}"),
        JobStatus.RUNNING: lambda: reported(store, job.id, JobStatus.RUNNING, 10),
        JobStatus.SUCCEEDED: lambda: store.mark_succeeded(job.id, [f"https://cdn.example/{job.id}.mp4"]),
        JobStatus.DELIVERED: lambda: store.mark_delivered(job.id),
    }
    for step, advance in steps.items():  # dict order is the life-cycle order
        job = await advance()
        if step is status:
            return job
    raise AssertionError(f"no path to {status}")


# -- records -------------------------------------------------------------------------------------


async def test_create_job_stores_every_field_as_queued(store, clock):
    expires = START + dt.timedelta(minutes=15)
    parent = await store.create_job(sample_job())
    new = sample_job(
        guild_id=None,
        source=JobSource.EXTEND,
        motion=Motion.HIGH,
        quality=Quality.HD,
        locale="vi",
        parent_job_id=parent.id,
        clip_index=2,
        extension_count=1,
        source_message_id=4001,
        interaction_token="secret-token-value",
        token_expires_at=expires.astimezone(PLUS_SEVEN),
    )
    job = await store.create_job(new)
    assert job.status is JobStatus.QUEUED
    assert (job.requester_id, job.guild_id, job.channel_id) == (USER, None, 3001)
    assert (job.source, job.motion, job.quality, job.locale) == (
        JobSource.EXTEND,
        Motion.HIGH,
        Quality.HD,
        "vi",
    )
    assert (job.prompt, job.image_url) == ("a cat walks", "https://cdn.example/cat.png")
    assert (job.parent_job_id, job.clip_index, job.extension_count) == (parent.id, 2, 1)
    assert (job.source_message_id, job.card_message_id, job.provider_task_id) == (4001, None, None)
    assert job.interaction_token == "secret-token-value"
    assert job.token_expires_at == expires
    assert job.created_at == job.updated_at == START
    assert (job.progress, job.clip_urls, job.error, job.failure_kind) == (0, (), None, None)
    assert job.state_tag == f"motionbot:{job.id}"
    assert await store.get_job(job.id) == job


async def test_returned_datetimes_are_aware_utc(store):
    job = await job_in(store, JobStatus.DELIVERED, token_expires_at=START.astimezone(PLUS_SEVEN))
    stamps = [job.created_at, job.updated_at, job.submitted_at, job.finished_at, job.delivered_at]
    stamps.append(job.token_expires_at)
    for stamp in stamps:
        assert stamp is not None
        assert stamp.tzinfo is dt.UTC
        assert stamp == START


async def test_naive_datetime_is_refused(store):
    with pytest.raises(ValueError, match="naive"):
        await store.create_job(sample_job(token_expires_at=dt.datetime(2025, 1, 1)))  # noqa: DTZ001
    assert await store.all_jobs() == []


async def test_interaction_token_is_not_in_repr(store):
    job = await store.create_job(sample_job(interaction_token="secret-token-value"))
    assert "secret-token-value" not in repr(job)
    assert job.interaction_token == "secret-token-value"


async def test_clip_urls_round_trip_in_order(store):
    job = await job_in(store, JobStatus.RUNNING)
    urls = ["https://cdn.example/z.mp4", "https://cdn.example/a.mp4", "https://cdn.example/m.mp4"]
    await store.mark_succeeded(job.id, urls)
    stored = await store.get_job(job.id)
    assert stored is not None
    assert stored.clip_urls == tuple(urls)


@pytest.mark.parametrize("urls", [[], "https://cdn.example/a.mp4", ["https://cdn.example/a.mp4", ""]])
async def test_mark_succeeded_refuses_bad_clip_lists(store, urls):
    job = await job_in(store, JobStatus.RUNNING)
    with pytest.raises(ValueError, match="clip"):
        await store.mark_succeeded(job.id, urls)
    assert await store.get_job(job.id) == job


async def test_unknown_ids(store):
    assert await store.get_job(12345) is None
    with pytest.raises(JobNotFound, match="12345"):
        await store.mark_submitting(12345)
    with pytest.raises(JobNotFound):
        await store.set_card_message(12345, 1)
    with pytest.raises(JobNotFound):
        await store.reset_token(12345)


async def test_create_job_with_missing_parent_is_refused(store):
    with pytest.raises(JobNotFound):
        await store.create_job(sample_job(parent_job_id=999, clip_index=1, source=JobSource.EXTEND))
    assert await store.all_jobs() == []


async def test_task_id_belongs_to_one_job_only(store):
    first = await job_in(store, JobStatus.SUBMITTED)
    second = await job_in(store, JobStatus.SUBMITTING)
    with pytest.raises(StoreError, match=f"already belongs to job {first.id}"):
        await store.mark_submitted(second.id, f"task-{first.id}")
    assert await store.get_job(second.id) == second


async def test_card_message_and_token_reset(store, clock):
    job = await store.create_job(sample_job(interaction_token="tok", token_expires_at=START))
    clock.advance(seconds=5)
    with_card = await store.set_card_message(job.id, 5001)
    assert with_card.card_message_id == 5001
    assert with_card.updated_at == START + dt.timedelta(seconds=5)
    cleared = await store.reset_token(job.id)
    assert (cleared.interaction_token, cleared.token_expires_at) == (None, None)
    assert cleared.card_message_id == 5001
    assert (await store.set_card_message(job.id, None)).card_message_id is None


async def test_card_message_can_change_on_a_final_job(store):
    job = await job_in(store, JobStatus.DELIVERED)
    updated = await store.set_card_message(job.id, 5002)
    assert (updated.status, updated.card_message_id) == (JobStatus.DELIVERED, 5002)


# -- transitions ---------------------------------------------------------------------------------

Action = Callable[[JobStore, int], Awaitable[Job]]
FAILABLE = {JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING}
FAILABLE |= {JobStatus.SUCCEEDED}

# action name -> (call, statuses it may start from, status it leads to)
ACTIONS: dict[str, tuple[Action, set[JobStatus], JobStatus]] = {
    "mark_submitting": (
        lambda s, i: s.mark_submitting(i),
        {JobStatus.QUEUED},
        JobStatus.SUBMITTING,
    ),
    "requeue": (lambda s, i: s.requeue(i), {JobStatus.SUBMITTING}, JobStatus.QUEUED),
    "mark_submitted": (
        lambda s, i: s.mark_submitted(i, f"new-task-{i}"),
        {JobStatus.QUEUED, JobStatus.SUBMITTING},
        JobStatus.SUBMITTED,
    ),
    "mark_succeeded": (
        lambda s, i: s.mark_succeeded(i, ["https://cdn.example/x.mp4"]),
        {JobStatus.SUBMITTED, JobStatus.RUNNING},
        JobStatus.SUCCEEDED,
    ),
    "mark_failed": (
        lambda s, i: s.mark_failed(i, FailureKind.PROVIDER_FAILED, "boom"),
        FAILABLE,
        JobStatus.FAILED,
    ),
    "mark_timed_out": (
        lambda s, i: s.mark_failed(i, FailureKind.TIMEOUT, "too slow", timed_out=True),
        FAILABLE,
        JobStatus.TIMED_OUT,
    ),
    "mark_delivered": (
        lambda s, i: s.mark_delivered(i),
        {JobStatus.SUCCEEDED},
        JobStatus.DELIVERED,
    ),
    "mark_cancelled": (
        lambda s, i: s.mark_cancelled(i),
        {JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING},
        JobStatus.CANCELLED,
    ),
}


@pytest.mark.parametrize("start", list(JobStatus))
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_transition_matrix(store, clock, start, action):
    call, allowed, result = ACTIONS[action]
    job = await job_in(store, start)
    clock.advance(minutes=1)
    if start in allowed:
        updated = await call(store, job.id)
        assert updated.status is result
        assert updated.updated_at == clock.now
        assert await store.get_job(job.id) == updated
    else:
        with pytest.raises(InvalidTransition) as caught:
            await call(store, job.id)
        assert caught.value.current is start
        assert await store.get_job(job.id) == job


@pytest.mark.parametrize("start", list(JobStatus))
async def test_progress_reports_move_only_submitted_and_running_jobs(store, clock, start):
    job = await job_in(store, start)
    clock.advance(minutes=1)
    updated = await store.update_progress_many([(job.id, JobStatus.RUNNING, 50)])
    if start in {JobStatus.SUBMITTED, JobStatus.RUNNING}:
        assert [(moved.status, moved.progress, moved.updated_at) for moved in updated] == [
            (JobStatus.RUNNING, 50, clock.now)
        ]
        assert await store.get_job(job.id) == updated[0]
    else:  # skipped: a late report never fails the poll's batch
        assert updated == []
        assert await store.get_job(job.id) == job


async def test_nothing_leaves_a_final_status(store):
    for status in (JobStatus.DELIVERED, JobStatus.FAILED, JobStatus.TIMED_OUT, JobStatus.CANCELLED):
        job = await job_in(store, status)
        for call, _allowed, _result in ACTIONS.values():
            with pytest.raises(InvalidTransition):
                await call(store, job.id)
        assert await store.update_progress_many([(job.id, JobStatus.RUNNING, 50)]) == []
        assert await store.get_job(job.id) == job


async def test_happy_path_records_timestamps(store, clock):
    job = await store.create_job(sample_job())
    clock.advance(seconds=1)
    submitted = await store.mark_submitted((await store.mark_submitting(job.id)).id, "task-1")
    assert (submitted.provider_task_id, submitted.submitted_at) == ("task-1", clock.now)
    clock.advance(seconds=1)
    succeeded = await store.mark_succeeded(job.id, ["https://cdn.example/1.mp4"])
    assert (succeeded.progress, succeeded.finished_at) == (100, clock.now)
    clock.advance(seconds=1)
    delivered = await store.mark_delivered(job.id)
    assert delivered.status is JobStatus.DELIVERED
    assert delivered.delivered_at == clock.now
    assert delivered.finished_at == succeeded.finished_at
    assert delivered.created_at == START


async def test_failure_records_kind_error_and_time(store, clock):
    job = await job_in(store, JobStatus.RUNNING)
    clock.advance(minutes=3)
    failed = await store.mark_failed(job.id, FailureKind.MODERATION, "banned word: cat")
    assert (failed.status, failed.failure_kind, failed.error) == (
        JobStatus.FAILED,
        FailureKind.MODERATION,
        "banned word: cat",
    )
    assert failed.finished_at == clock.now


async def test_a_requeue_for_lack_of_an_account_stamps_when_and_a_busy_one_keeps_it(store, clock):
    """requeue(no_instance=True) records the refusal's time (the job then waits behind the others);
    a plain requeue (queue full) leaves it as it was: never set, or the last such refusal."""
    job = await job_in(store, JobStatus.SUBMITTING)
    assert job.capacity_refused_at is None
    assert (await store.requeue(job.id)).capacity_refused_at is None
    await store.mark_submitting(job.id)
    clock.advance(minutes=1)
    refused = await store.requeue(job.id, no_instance=True)
    assert (refused.status, refused.capacity_refused_at) == (JobStatus.QUEUED, clock.now)
    await store.mark_submitting(job.id)
    clock.advance(minutes=1)
    assert (await store.requeue(job.id)).capacity_refused_at == refused.capacity_refused_at
    stored = await store.get_job(job.id)
    assert stored is not None and stored.capacity_refused_at == refused.capacity_refused_at


async def test_delivery_failure_keeps_the_provider_finish_time(store, clock):
    job = await job_in(store, JobStatus.SUCCEEDED)
    clock.advance(minutes=3)
    failed = await store.mark_failed(job.id, FailureKind.DELIVERY, "upload refused")
    assert failed.status is JobStatus.FAILED
    assert failed.finished_at == job.finished_at == START
    assert failed.clip_urls == job.clip_urls


async def test_progress_never_moves_backwards(store):
    job = await job_in(store, JobStatus.SUBMITTED)
    assert (await reported(store, job.id, JobStatus.SUBMITTED, 5)).progress == 5
    assert (await reported(store, job.id, JobStatus.RUNNING, 60)).progress == 60
    late = await reported(store, job.id, JobStatus.RUNNING, 40)
    assert (late.status, late.progress) == (JobStatus.RUNNING, 60)
    stale = await reported(store, job.id, JobStatus.SUBMITTED, 0)
    assert (stale.status, stale.progress) == (JobStatus.RUNNING, 60)
    assert (await store.get_job(job.id)) == stale


@pytest.mark.parametrize("target", [JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.FAILED])
async def test_progress_reports_only_name_tracked_statuses(store, target):
    job = await job_in(store, JobStatus.RUNNING)
    with pytest.raises(ValueError, match="bad progress report"):
        await store.update_progress_many([(job.id, target, 70)])
    assert await store.get_job(job.id) == job


@pytest.mark.parametrize("progress", [-1, 101])
async def test_progress_reports_out_of_range_are_refused(store, progress):
    job = await job_in(store, JobStatus.RUNNING)
    with pytest.raises(ValueError, match="bad progress report"):
        await store.update_progress_many([(job.id, JobStatus.RUNNING, progress)])
    assert await store.get_job(job.id) == job


# -- life cycle ----------------------------------------------------------------------------------


async def test_closed_store_refuses_work(open_store):
    store = await open_store()
    await store.close()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.get_job(1)


async def test_async_context_manager_closes(open_store):
    async with await open_store() as store:
        job = await store.create_job(sample_job())
    with pytest.raises(StoreError, match="closed"):
        await store.get_job(job.id)


# -- late success (a job the bot timed out that the provider finishes afterwards) ---------------


async def test_a_job_the_bot_timed_out_may_still_succeed_and_stays_charged(store, clock):
    """The provider had the task: timed out by the bot, it is charged (once), late success or not."""
    job = await job_in(store, JobStatus.RUNNING)
    clock.advance(minutes=60)
    timed_out = await store.mark_failed(job.id, FailureKind.TIMEOUT, "no result", timed_out=True)
    assert timed_out.timed_out_at == clock.now and not timed_out.arrived_late
    assert (await store.charge_of(job.id)) == Charge(LedgerState.CHARGED, 1, 0)
    clock.advance(minutes=5)
    late = await store.mark_succeeded(job.id, ["https://cdn.example/late.mp4"])
    assert (late.status, late.error, late.failure_kind) == (JobStatus.SUCCEEDED, None, None)
    assert late.timed_out_at == timed_out.timed_out_at and late.finished_at == clock.now
    assert late.arrived_late
    delivered = await store.mark_delivered(job.id)
    assert delivered.arrived_late and (await store.charge_of(job.id)) == Charge(LedgerState.CHARGED, 1, 0)
    with pytest.raises(InvalidTransition):
        await store.mark_succeeded(job.id, ["https://cdn.example/late.mp4"])


async def test_only_jobs_timed_out_by_the_bot_with_a_provider_task_may_succeed_late(store):
    provider_failed = await store.mark_failed(
        (await job_in(store, JobStatus.RUNNING)).id, FailureKind.PROVIDER_FAILED, "boom"
    )
    never_sent = await job_in(store, JobStatus.TIMED_OUT)  # timed out while queued: no provider task
    for job in (provider_failed, never_sent):
        with pytest.raises(InvalidTransition):
            await store.mark_succeeded(job.id, ["https://cdn.example/x.mp4"])


async def test_late_watch_jobs_lists_recent_timeouts_with_a_provider_task(store, clock):
    old = await job_in(store, JobStatus.RUNNING)
    await store.mark_failed(old.id, FailureKind.TIMEOUT, "no result", timed_out=True)
    clock.advance(hours=2)
    since = clock.now
    recent = await job_in(store, JobStatus.SUBMITTED)
    await store.mark_failed(recent.id, FailureKind.TIMEOUT, "no result", timed_out=True)
    await job_in(store, JobStatus.TIMED_OUT)  # no provider task
    failed = await job_in(store, JobStatus.RUNNING)
    await store.mark_failed(failed.id, FailureKind.PROVIDER_FAILED, "boom")
    assert [job.id for job in await store.late_watch_jobs(since)] == [recent.id]
