"""The lease keeper and the shared dispatcher, with an in-memory stand-in for the shared store.

The stand-in keeps leases and statuses like the real stores do (the store suite proves the SQL on
SQLite and PostgreSQL); here the point is what the tracker's side does with the answers.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from bot.models import Job, JobStatus
from bot.tracking.dispatcher_shared import Decide, SharedDispatcher, StoreDispatch
from bot.tracking.lease_keeper import CLAIM_BATCH, LeaseKeeper
from tests.bot.tracking.test_fair_queue import NOW, job


class Leases:
    """Leases of several processes over one set of jobs (the LeaseStore protocol, per owner)."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = {job.id: job for job in jobs}
        self.owner: dict[int, str | None] = dict.fromkeys(self.jobs)
        self.expired: set[int] = set()
        self.failing = False

    def view(self, owner: str) -> OwnerView:
        return OwnerView(self, owner)


@dataclasses.dataclass
class OwnerView:
    """One process's store: renew, claim and release touch only this owner's leases."""

    leases: Leases
    name: str

    async def renew_leases(self) -> frozenset[int]:
        if self.leases.failing:
            raise ConnectionError("the database is unreachable")
        return frozenset(i for i, owner in self.leases.owner.items() if owner == self.name)

    async def claim_expired(self, limit: int = CLAIM_BATCH) -> list[Job]:
        free = [
            i for i, owner in sorted(self.leases.owner.items()) if owner is None or i in self.leases.expired
        ]
        taken = free[:limit]
        for job_id in taken:
            self.leases.owner[job_id] = self.name
            self.leases.expired.discard(job_id)
        return [self.leases.jobs[job_id] for job_id in taken]

    async def release_leases(self) -> int:
        mine = [i for i, owner in self.leases.owner.items() if owner == self.name]
        for job_id in mine:
            self.leases.owner[job_id] = None
        return len(mine)


class Process:
    """What the tracker gives the keeper: the jobs it holds, letting go and adopting."""

    def __init__(self) -> None:
        self.held: set[int] = set()
        self.adopted: list[list[int]] = []

    def let_go(self, job_id: int) -> None:
        self.held.discard(job_id)

    async def adopt(self, jobs: list[Job]) -> None:
        self.adopted.append([job.id for job in jobs])
        self.held.update(job.id for job in jobs)


def keeper(store: OwnerView, process: Process, lease_seconds: float = 30.0) -> LeaseKeeper:
    return LeaseKeeper(
        store,
        lease_seconds=lease_seconds,
        interval=0.01,
        held=lambda: set(process.held),
        let_go=process.let_go,
        adopt=process.adopt,
    )


async def test_a_process_takes_over_only_the_jobs_whose_lease_expired():
    leases = Leases([job(i, 100) for i in range(1, 5)])
    a, b = Process(), Process()
    assert await keeper(leases.view("a"), a).take_over() == 4
    assert await keeper(leases.view("b"), b).take_over() == 0  # a holds them all
    leases.expired = {2, 3}  # a stopped renewing those
    await keeper(leases.view("b"), b).tick()
    assert b.held == {2, 3}
    await keeper(leases.view("a"), a).renew()
    assert a.held == {1, 4}  # a lets go of what b took, and keeps the rest


async def test_take_over_adopts_in_batches_until_none_are_left():
    leases = Leases([job(i, 100) for i in range(1, CLAIM_BATCH * 2 + 6)])
    process = Process()
    assert await keeper(leases.view("a"), process).take_over() == CLAIM_BATCH * 2 + 5
    assert [len(batch) for batch in process.adopted] == [CLAIM_BATCH, CLAIM_BATCH, 5]


async def test_a_job_added_during_the_renewal_is_not_let_go():
    leases = Leases([job(1, 100)])
    process = Process()
    store = leases.view("a")
    renew = store.renew_leases

    async def renew_while_a_job_arrives() -> frozenset[int]:
        held = await renew()
        process.held.add(99)  # created by this process after the renewal's UPDATE ran
        return held

    store.renew_leases = renew_while_a_job_arrives  # type: ignore[method-assign]
    lease_keeper = keeper(store, process)
    await lease_keeper.take_over()
    await lease_keeper.renew()
    assert process.held == {1, 99}


async def test_a_process_that_cannot_renew_for_a_lease_period_lets_everything_go():
    leases = Leases([job(1, 100), job(2, 100)])
    process = Process()
    lease_keeper = keeper(leases.view("a"), process, lease_seconds=0.0)
    await lease_keeper.take_over()
    leases.failing = True
    with pytest.raises(ConnectionError):
        await lease_keeper.renew()
    assert process.held == set()  # another process may own them by now


async def test_a_short_outage_keeps_the_jobs():
    leases = Leases([job(1, 100)])
    process = Process()
    lease_keeper = keeper(leases.view("a"), process, lease_seconds=60.0)
    await lease_keeper.take_over()
    leases.failing = True
    with pytest.raises(ConnectionError):
        await lease_keeper.renew()
    assert process.held == {1}


async def test_the_keeper_runs_on_after_a_failed_round_and_releases_on_stop():
    leases = Leases([job(1, 100)])
    process = Process()
    lease_keeper = keeper(leases.view("a"), process)
    leases.failing = True
    stopping = asyncio.Event()
    task = asyncio.create_task(lease_keeper.run(stopping))
    await asyncio.sleep(0.05)  # a few failed rounds
    leases.failing = False
    while not process.held:
        await asyncio.sleep(0.01)
    stopping.set()
    await task
    await lease_keeper.release()
    assert leases.owner[1] is None


# -- the shared dispatcher --------------------------------------------------------------------------


class SharedLine:
    """The dispatch transaction of a shared store, in memory: every process's jobs in one place."""

    def __init__(self, jobs: list[Job], holders: dict[int, str] | None = None) -> None:
        self.jobs = {job.id: job for job in jobs}
        self.holders = holders or dict.fromkeys(self.jobs, "a")
        self.claimed_by: dict[int, str] = {}
        self.served: list[Job] = []  # finished jobs that were at the provider while the line waited

    def mine(self, owner: str) -> dict[int, Job]:
        """The jobs ``owner`` holds, as its tracker has them."""
        return {job_id: self.jobs[job_id] for job_id, holder in self.holders.items() if holder == owner}

    def dispatch_for(self, owner: str) -> StoreDispatch:
        async def dispatch(decide: Decide) -> list[Job]:
            waiting = [j for j in self.jobs.values() if j.status is JobStatus.QUEUED]
            at_provider = [j for j in self.jobs.values() if j.status in AT_PROVIDER]
            moved = []
            served = sorted(self.served, key=by_id)
            for job_id in await decide(sorted(waiting, key=by_id), sorted(at_provider, key=by_id), served):
                if self.jobs[job_id].status is JobStatus.QUEUED:
                    self.jobs[job_id] = dataclasses.replace(self.jobs[job_id], status=JobStatus.SUBMITTING)
                    self.claimed_by[job_id] = owner
                    moved.append(self.jobs[job_id])
            return moved

        return dispatch


AT_PROVIDER = (JobStatus.SUBMITTING, JobStatus.SUBMITTED, JobStatus.RUNNING)


def by_id(item: Job) -> int:
    return item.id


def shared_dispatcher(cap: int, limit: int = 5) -> SharedDispatcher:
    async def running_limit(_guild: int | None) -> int:
        return limit

    return SharedDispatcher(
        refresh_seconds=60.0, cap=cap, running_limit=running_limit, busy_base=1.0, clock=lambda: NOW
    )


async def test_the_provider_cap_counts_every_process_jobs():
    # Process b already has two jobs at the provider; a may only start one more with a cap of 3.
    line = SharedLine(
        [job(1, 100, JobStatus.RUNNING), job(2, 200, JobStatus.SUBMITTED), job(3, 300), job(4, 400)]
    )
    a = shared_dispatcher(cap=3)
    claimed = await a.claim(line.dispatch_for("a"), line.mine("a"))
    assert [j.id for j in claimed] == [3]
    assert a.running_count({}) == 3
    assert a.queue.position(4) == 1  # the line a shows on cards is the whole line


async def test_two_processes_share_one_fair_line_and_each_sends_only_its_own_jobs():
    jobs = [job(i, 100 + i % 3) for i in range(1, 10)]
    line = SharedLine(jobs, {i: "a" if i % 2 else "b" for i in range(1, 10)})
    a, b = shared_dispatcher(cap=4, limit=1), shared_dispatcher(cap=4, limit=1)
    first = await a.claim(line.dispatch_for("a"), line.mine("a"))
    # One job per member at a time (limit 1): jobs 1, 2, 3 have their turn; 2 is b's to send.
    assert [j.id for j in first] == [1, 3] and a.queue.position(2) == 1
    second = await b.claim(line.dispatch_for("b"), line.mine("b"))
    assert [j.id for j in second] == [2]
    assert line.claimed_by == {1: "a", 2: "b", 3: "a"}
    b.changed()
    assert await b.claim(line.dispatch_for("b"), line.mine("b")) == []  # every member is at their limit


async def test_a_member_served_by_any_process_waits_behind_one_who_was_not():
    # Alice's first job was served (by whichever process) while her others waited; Bob posted later.
    line = SharedLine([job(2, 100), job(3, 100), job(4, 200)])
    line.served = [job(1, 100, JobStatus.DELIVERED)]
    a = shared_dispatcher(cap=1)
    assert [j.id for j in await a.claim(line.dispatch_for("a"), line.mine("a"))] == [4]


async def test_a_held_dispatcher_reads_the_line_but_claims_nothing():
    line = SharedLine([job(1, 100), job(2, 200)])
    a = shared_dispatcher(cap=5)
    a.busy(retry_after=30.0)
    assert await a.claim(line.dispatch_for("a"), line.mine("a")) == []
    assert a.queue.position(2) == 2
    assert line.claimed_by == {}


async def test_the_line_is_read_again_only_after_a_change_or_the_refresh_time():
    line = SharedLine([job(1, 100, JobStatus.RUNNING), job(2, 100)])
    a = shared_dispatcher(cap=1)
    assert await a.claim(line.dispatch_for("a"), line.mine("a")) == []
    line.jobs[1] = dataclasses.replace(
        line.jobs[1], status=JobStatus.DELIVERED
    )  # another process's job ended
    assert await a.claim(line.dispatch_for("a"), line.mine("a")) == []  # not read again yet
    a.changed()
    assert [j.id for j in await a.claim(line.dispatch_for("a"), line.mine("a"))] == [2]


async def test_queue_view_shows_the_other_processes_jobs():
    line = SharedLine([job(1, 100, JobStatus.RUNNING, guild=7), job(2, 200, guild=7), job(3, 300, guild=8)])
    a = shared_dispatcher(cap=1)
    await a.claim(line.dispatch_for("a"), line.mine("a"))
    view = a.view({}, guild_id=7, limit=10)
    assert [j.id for j in view.running] == [1]
    # Place in the whole line: server 8 has had no turn in this round yet, so its job goes first.
    assert [(place, j.id) for place, j in view.waiting] == [(2, 2)]
    assert view.waiting_total == 1


async def test_our_job_stored_after_the_line_was_read_still_waits_in_line():
    # The read ran before job 3 was committed; the tracker already holds it as waiting.
    line = SharedLine([job(1, 100, JobStatus.RUNNING), job(2, 200)], {1: "b", 2: "b"})
    a = shared_dispatcher(cap=1)
    late = job(3, 300)
    assert await a.claim(line.dispatch_for("a"), {3: late}) == []
    assert a.queue.position(3) == 2  # behind Bob's, not lost from the line
    view = a.view({3: late}, guild_id=1, limit=10)
    assert [j.id for j in view.running] == [1]  # and not shown as running
    assert [j.id for _, j in view.waiting] == [2, 3]
