"""Leases and dispatch on both engines: two stores on one database stand for two Motionbot processes."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import FailureKind, Job, JobStatus
from bot.store import JobStore
from tests.bot.store.test_store import FakeClock, job_in, sample_job

LEASE = 30.0


async def pair(open_store) -> tuple[JobStore, JobStore]:
    return await open_store(lease_owner="one"), await open_store(lease_owner="two")


async def test_the_creator_holds_a_new_jobs_lease_until_it_expires(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    job = await one.create_job(sample_job())
    assert await one.renew_leases() == {job.id}
    assert await two.claim_expired() == []
    clock.advance(seconds=LEASE + 1)  # one stopped renewing: its lease ran out
    claimed = await two.claim_expired()
    assert [j.id for j in claimed] == [job.id] and claimed[0] == await one.get_job(job.id)
    assert await one.renew_leases() == frozenset()  # dropped: two took it
    assert await two.renew_leases() == {job.id}


async def test_the_process_that_cancels_a_job_takes_its_lease(open_store):
    # A member presses Cancel in the process of their server's shard; another process tracks the job.
    one, two = await pair(open_store)
    job = await one.create_job(sample_job())
    await one.mark_submitting(job.id)
    cancelled = await two.mark_cancelled(job.id)
    assert cancelled.status is JobStatus.CANCELLED
    assert await one.renew_leases() == frozenset()  # one stops polling it
    assert await two.renew_leases() == {job.id}  # two announces the cancel until the card shows it


async def test_renewing_keeps_the_lease_past_its_first_expiry(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    job = await one.create_job(sample_job())
    for _ in range(3):
        clock.advance(seconds=LEASE - 1)
        assert await one.renew_leases() == {job.id}
        assert await two.claim_expired() == []


@pytest.mark.parametrize(
    ("status", "leasable"),
    [(status, status not in (JobStatus.DELIVERED,)) for status in JobStatus],
)
async def test_which_jobs_are_leasable(store: JobStore, status: JobStatus, leasable: bool):
    """Unfinished jobs and final ones whose card does not say so yet; delivered jobs are done."""
    job = await job_in(store, status)
    assert (job.id in await store.renew_leases()) is leasable


async def test_a_final_job_is_released_once_its_card_shows_it_except_during_the_late_watch(
    store: JobStore, clock: FakeClock
):
    failed = await job_in(store, JobStatus.FAILED)
    timed_out_queued = await job_in(store, JobStatus.TIMED_OUT)  # never reached the provider
    running = await job_in(store, JobStatus.RUNNING)
    late = await store.mark_failed(running.id, FailureKind.TIMEOUT, "slow", timed_out=True)
    for job in (failed, timed_out_queued, late):
        await store.mark_final_shown(job.id)
    assert await store.renew_leases() == {late.id}  # the provider may still deliver it
    clock.advance(hours=24, seconds=-1)
    assert await store.renew_leases() == {late.id}
    clock.advance(seconds=2)
    assert await store.renew_leases() == frozenset()


async def test_claim_takes_unowned_and_expired_jobs_in_id_order_up_to_the_limit(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    jobs = [await one.create_job(sample_job(prompt=f"job {n}")) for n in range(5)]
    await job_in(one, JobStatus.DELIVERED)  # nothing to do: never claimed
    clock.advance(seconds=LEASE + 1)
    first = await two.claim_expired(limit=3)
    rest = await two.claim_expired(limit=3)
    assert [j.id for j in first] == [j.id for j in jobs[:3]]
    assert [j.id for j in rest] == [j.id for j in jobs[3:]]
    assert await two.claim_expired() == []
    with pytest.raises(ValueError, match="limit"):
        await two.claim_expired(limit=0)


async def test_released_leases_are_claimed_at_once(open_store):
    one, two = await pair(open_store)
    jobs = [await one.create_job(sample_job()) for _ in range(3)]
    assert await one.release_leases() == 3
    assert await one.release_leases() == 0
    assert [j.id for j in await two.claim_expired()] == [j.id for j in jobs]
    assert await one.renew_leases() == frozenset()


async def test_lease_owner_defaults_to_host_pid_and_random(open_store):
    first, second = await open_store(), await open_store()
    parts = first.lease_owner.split(":")
    assert len(parts) == 3 and parts[1].isdigit()
    assert first.lease_owner != second.lease_owner


# -- dispatch ------------------------------------------------------------------------------------


async def test_dispatch_moves_exactly_the_chosen_queued_jobs(open_store):
    one, two = await pair(open_store)
    queued = [await two.create_job(sample_job(prompt=f"q{n}")) for n in range(4)]
    running = await job_in(two, JobStatus.RUNNING)
    delivered = await job_in(two, JobStatus.DELIVERED)
    seen: list[tuple[list[int], list[int]]] = []

    async def decide(waiting: list[Job], at_provider: list[Job], served: list[Job]) -> list[int]:
        seen.append(([j.id for j in waiting], [j.id for j in at_provider]))
        return [queued[2].id, queued[0].id, running.id, delivered.id, 999_999]

    moved = await one.dispatch(decide)

    assert seen == [([j.id for j in queued], [running.id])]
    assert [(j.id, j.status) for j in moved] == [
        (queued[0].id, JobStatus.SUBMITTING),
        (queued[2].id, JobStatus.SUBMITTING),
    ]
    assert await one.get_job(running.id) == running  # only QUEUED jobs move
    assert await one.renew_leases() == {queued[0].id, queued[2].id}  # the dispatcher holds them now
    assert await two.renew_leases() == {queued[1].id, queued[3].id, running.id}


async def test_dispatch_tells_decide_who_was_served_while_the_line_waited(store: JobStore, clock: FakeClock):
    before = await job_in(store, JobStatus.DELIVERED)  # finished before anyone waited: forgotten
    clock.advance(seconds=1)
    waiting = await store.create_job(sample_job(prompt="waits"))
    clock.advance(seconds=1)
    served = await job_in(store, JobStatus.DELIVERED)  # at the provider, and done, while it waited
    running = await job_in(store, JobStatus.RUNNING)
    seen: list[tuple[list[int], list[int], list[int]]] = []

    async def decide(line: list[Job], at_provider: list[Job], done: list[Job]) -> list[int]:
        seen.append(([j.id for j in line], [j.id for j in at_provider], [j.id for j in done]))
        return []

    await store.dispatch(decide)
    assert seen == [([waiting.id], [running.id], [served.id])]
    assert before.id not in seen[0][2]


async def test_dispatch_with_nothing_chosen_changes_nothing(store: JobStore):
    job = await store.create_job(sample_job())

    async def decide(waiting: list[Job], at_provider: list[Job], served: list[Job]) -> list[int]:
        return []

    assert await store.dispatch(decide) == []
    assert await store.get_job(job.id) == job


# -- two processes at once -----------------------------------------------------------------------


async def test_two_claimers_never_get_the_same_job(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    jobs = [await one.create_job(sample_job(prompt=f"job {n}")) for n in range(40)]
    await one.release_leases()
    results = await asyncio.gather(*((one, two)[n % 2].claim_expired(limit=7) for n in range(8)))
    claimed = [job.id for batch in results for job in batch]
    assert sorted(claimed) == sorted(set(claimed))  # no job twice
    held_one, held_two = await one.renew_leases(), await two.renew_leases()
    assert not held_one & held_two and held_one | held_two == set(claimed)
    assert len(claimed) == min(40, 8 * 7) and {j.id for j in jobs} == set(claimed)


async def test_dispatch_never_exceeds_what_decide_allows_across_processes(open_store):
    """Each dispatcher fills the provider up to 3; racing, they still never put more than 3 there."""
    one, two = await pair(open_store)
    for n in range(12):
        await one.create_job(sample_job(prompt=f"job {n}"))
    capacity = 3

    async def decide(waiting: list[Job], at_provider: list[Job], served: list[Job]) -> list[int]:
        await asyncio.sleep(0.01)  # a slow decision widens any race
        free = max(capacity - len(at_provider), 0)
        return [job.id for job in waiting[:free]]

    results = await asyncio.gather(*((one, two)[n % 2].dispatch(decide) for n in range(6)))
    moved = [job.id for batch in results for job in batch]
    assert len(moved) == len(set(moved)) == capacity
    assert len(await one.jobs_with_status(JobStatus.SUBMITTING)) == capacity


async def test_concurrent_renew_and_claim_agree_on_one_owner(open_store, clock: FakeClock):
    one, two = await pair(open_store)
    jobs = [await one.create_job(sample_job(prompt=f"job {n}")) for n in range(20)]
    clock.advance(seconds=LEASE + 1)
    renewed, claimed = await asyncio.gather(one.renew_leases(), two.claim_expired())
    claimed_ids = {job.id for job in claimed}
    assert not renewed & claimed_ids
    assert await one.renew_leases() | await two.renew_leases() == {job.id for job in jobs}


async def test_change_meta_is_true_once_per_value_across_processes(open_store):
    one, two = await pair(open_store)
    results = await asyncio.gather(*((one, two)[n % 2].change_meta("alert", "key-a") for n in range(6)))
    assert sorted(results) == [False] * 5 + [True]  # exactly one process sends the alert
    assert await two.change_meta("alert", "key-a") is False
    assert await one.change_meta("alert", "key-b") is True  # a new key is new news
    assert await two.get_meta("alert") == "key-b"
