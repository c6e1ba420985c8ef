"""Fencing tokens on both engines: every claim of a job's lease bumps its token, a stale token is refused.

Two stores on one database stand for two Motionbot processes: ``one`` created the job and was paused
past its lease, ``two`` took the job over. Whatever ``one`` then writes with the token it holds is
refused with ``LeaseLost`` and leaves the row (and the daily usage) as ``two`` left it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.models import FailureKind, Job, JobStatus
from bot.store import InvalidTransition, JobStore, LeaseLost
from tests.bot.store.test_store import FakeClock, job_in, sample_job

LEASE = 30.0
CLIPS = ["https://cdn.example/a.mp4", "https://cdn.example/b.mp4"]


async def pair(open_store) -> tuple[JobStore, JobStore]:
    return await open_store(lease_owner="one"), await open_store(lease_owner="two")


async def taken_over(one: JobStore, two: JobStore, clock: FakeClock, status: JobStatus) -> tuple[Job, Job]:
    """A job ``one`` drove to ``status``, then took over by ``two``: (as ``one`` holds it, as stored)."""
    held = await job_in(one, status)
    clock.advance(seconds=LEASE + 1)  # one was paused: its lease ran out
    (claimed,) = await two.claim_expired()
    return held, claimed


async def test_creation_sets_the_token_claims_bump_it_and_renewals_keep_it(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    job = await one.create_job(sample_job())
    assert job.lease_token == 1
    clock.advance(seconds=LEASE - 1)
    await one.renew_leases()
    assert (await one.get_job(job.id)).lease_token == 1  # type: ignore[union-attr]
    clock.advance(seconds=LEASE + 1)
    (claimed,) = await two.claim_expired()
    assert claimed.lease_token == 2
    await two.release_leases()
    assert (await two.get_job(job.id)).lease_token == 2  # type: ignore[union-attr]  # release: no claim
    (again,) = await one.claim_expired()
    assert again.lease_token == 3


async def test_the_dispatch_bumps_the_token_of_the_jobs_it_moves(open_store):
    one, two = await pair(open_store)
    chosen, left = await one.create_job(sample_job()), await one.create_job(sample_job(prompt="left"))

    async def decide(waiting: list[Job], at_provider: list[Job], served: list[Job]) -> list[int]:
        return [chosen.id]

    (moved,) = await two.dispatch(decide)
    assert moved.lease_token == chosen.lease_token + 1
    assert (await one.get_job(left.id)) == left


async def test_a_cancel_takes_the_lease_but_keeps_the_token(open_store):
    """The canceller announces the cancel; the status alone refuses every tracked write of the old holder."""
    one, two = await pair(open_store)
    job = await job_in(one, JobStatus.RUNNING)
    cancelled = await two.mark_cancelled(job.id)
    assert cancelled.lease_token == job.lease_token
    with pytest.raises(InvalidTransition) as refused:
        await one.mark_succeeded(job.id, CLIPS, token=job.lease_token)
    assert not isinstance(refused.value, LeaseLost) and refused.value.current is JobStatus.CANCELLED


Write = Callable[[JobStore, Job], Awaitable[Job]]
STALE_WRITES: dict[str, tuple[JobStatus, Write]] = {
    "start submitting": (JobStatus.QUEUED, lambda s, j: s.mark_submitting(j.id, token=j.lease_token)),
    "requeue": (JobStatus.SUBMITTING, lambda s, j: s.requeue(j.id, token=j.lease_token)),
    "claim the submit": (JobStatus.SUBMITTING, lambda s, j: s.claim_submit(j.id, token=j.lease_token)),
    "mark submitted": (
        JobStatus.SUBMITTING,
        lambda s, j: s.mark_submitted(j.id, "task-late", token=j.lease_token),
    ),
    "mark succeeded": (JobStatus.RUNNING, lambda s, j: s.mark_succeeded(j.id, CLIPS, token=j.lease_token)),
    "mark failed": (
        JobStatus.RUNNING,
        lambda s, j: s.mark_failed(j.id, FailureKind.PROVIDER_FAILED, "late", token=j.lease_token),
    ),
    "time out": (
        JobStatus.RUNNING,
        lambda s, j: s.mark_failed(j.id, FailureKind.TIMEOUT, "slow", timed_out=True, token=j.lease_token),
    ),
    "claim the delivery": (
        JobStatus.SUCCEEDED,
        lambda s, j: s.claim_delivery(j.id, token=j.lease_token),
    ),
    "mark delivered": (JobStatus.SUCCEEDED, lambda s, j: s.mark_delivered(j.id, token=j.lease_token)),
    "fail the delivery": (
        JobStatus.SUCCEEDED,
        lambda s, j: s.mark_failed(j.id, FailureKind.DELIVERY, "gone", token=j.lease_token),
    ),
}


@pytest.mark.parametrize("write", list(STALE_WRITES))
async def test_a_write_with_a_stale_token_is_refused_and_changes_nothing(
    open_store, clock: FakeClock, write: str
):
    status, attempt = STALE_WRITES[write]
    one, two = await pair(open_store)
    held, claimed = await taken_over(one, two, clock, status)
    with pytest.raises(LeaseLost) as lost:
        await attempt(one, held)
    assert (lost.value.held, lost.value.stored, lost.value.current) == (
        held.lease_token,
        claimed.lease_token,
        status,
    )
    assert await two.get_job(held.id) == claimed
    assert await attempt(two, claimed)  # the new holder's token is the stored one: it writes


async def test_a_stale_token_is_refused_before_the_status_is_looked_at(open_store, clock: FakeClock):
    """The paused process's success arrives after the new holder stored it: lost, not "already succeeded"."""
    one, two = await pair(open_store)
    held, claimed = await taken_over(one, two, clock, JobStatus.RUNNING)
    succeeded = await two.mark_succeeded(held.id, CLIPS, token=claimed.lease_token)
    with pytest.raises(LeaseLost) as lost:
        await one.mark_succeeded(held.id, CLIPS, token=held.lease_token)
    assert lost.value.current is JobStatus.SUCCEEDED
    with pytest.raises(LeaseLost):  # the resumed sweep: no timeout, no refund of the charged job
        await one.mark_failed(held.id, FailureKind.TIMEOUT, "slow", timed_out=True, token=held.lease_token)
    assert await two.get_job(held.id) == succeeded
    assert (await two.usage_today(succeeded.guild_id, succeeded.requester_id)).user_today == 1


async def test_progress_with_a_stale_token_is_skipped(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    held, claimed = await taken_over(one, two, clock, JobStatus.RUNNING)
    kept = await job_in(one, JobStatus.RUNNING, prompt="still ours")
    reports = [(held.id, JobStatus.RUNNING, 80), (kept.id, JobStatus.RUNNING, 70)]
    tokens = {held.id: held.lease_token, kept.id: kept.lease_token}
    updated = await one.update_progress_many(reports, tokens=tokens)
    assert [(job.id, job.progress) for job in updated] == [(kept.id, 70)]
    assert await two.get_job(held.id) == claimed


async def test_a_claim_before_an_act_renews_the_lease(open_store, clock: FakeClock):
    """A process about to upload holds the job a whole lease period from then, whatever its last renewal."""
    one, two = await pair(open_store)
    job = await job_in(one, JobStatus.SUCCEEDED)
    clock.advance(seconds=LEASE - 1)
    claimed = await one.claim_delivery(job.id, token=job.lease_token)
    assert claimed.lease_token == job.lease_token
    clock.advance(seconds=LEASE - 1)  # past the creation's lease, within the delivery claim's
    assert await two.claim_expired() == []


async def test_a_claim_refuses_a_job_in_the_wrong_status(store: JobStore):
    job = await job_in(store, JobStatus.DELIVERED)
    with pytest.raises(InvalidTransition) as refused:
        await store.claim_delivery(job.id, token=job.lease_token)
    assert not isinstance(refused.value, LeaseLost)
