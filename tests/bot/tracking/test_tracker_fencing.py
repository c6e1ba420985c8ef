"""The tracker of a process that stalled past its lease drops its work on the job another process took.

Process A is a real ``JobTracker`` on PostgreSQL; process B is a second store on the same database
(owner "two", its clock past A's lease) doing what B's tracker does when it takes a job over. A's
stall is made in one of two ways, so it is always A that acts first on what it knew before:

- its poll answer is held at the CometAPI double while B takes the job over, then released;
- its event loop is frozen (``frozen``) while B works on another thread's loop: to every task of A
  that is exactly a SIGSTOP, a VM pause or a long GC, and A resumes in the middle of its cycle.

The two-process end-to-end proof (real processes, SIGSTOP/SIGCONT) is in
``tests/reliability/test_paused_process.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import pytest

from bot.models import FailureKind, Job, JobStatus
from bot.store import JobStore
from bot.tracking.events import JobEventKind
from bot.tracking.tracker import JobTracker
from tests.bot.store.test_store import START, FakeClock
from tests.bot.tracking.test_tracker import Recorder, new_job
from tests.bot.tracking.test_tracker_records import forgotten, until
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.fixtures_cometapi import make_cometapi_client

T = TypeVar("T")
LEASE = 30.0
CLIPS = ["https://cdn.example/a.mp4"]
DROPPED = "was taken over by another process"


def frozen(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` on another thread's event loop while this loop waits, unable to run any task."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()  # type: ignore[arg-type]


async def take_over(url: str, job_id: int, then: Callable[[JobStore, Job], Awaitable[Job]]) -> Job:
    """Be process B: claim the job once A's lease expired, then do ``then`` with it as B holds it."""
    later = FakeClock(START + dt.timedelta(seconds=LEASE + 1))
    async with await JobStore.open_postgres(url, lease_owner="two", clock=later) as two:
        async with asyncio.timeout(5):  # the oldest expired job first: this one
            while not (claimed := [job for job in await two.claim_expired(limit=1) if job.id == job_id]):
                await asyncio.sleep(0.01)  # A's renewal held the row for a moment (SKIP LOCKED)
        return await then(two, claimed[0])


async def succeed(two: JobStore, job: Job) -> Job:
    """B stores the provider's success: it is delivering the clips now (and charged the member)."""
    return await two.mark_succeeded(job.id, CLIPS)


async def fail_interrupted(two: JobStore, job: Job) -> Job:
    """What B's tracker does with a SUBMITTING job it adopts: the submit's fate is unknowable."""
    reason = "the bot restarted while sending this job"
    return await two.mark_failed(job.id, FailureKind.INTERRUPTED, reason)


async def logged_or(caplog: pytest.LogCaptureFixture, text: str, other: Callable[[], bool]) -> None:
    """Wait until a log line contains ``text`` or ``other()`` holds (what the old code did instead)."""
    async with asyncio.timeout(10):
        while not (any(text in r.getMessage() for r in caplog.records) or other()):
            await asyncio.sleep(0.01)


@pytest.fixture
async def one(postgres_url: str) -> AsyncIterator[JobStore]:
    """Process A's store; its clock never moves, so B's clock is past every lease A takes or renews."""
    async with await JobStore.open_postgres(postgres_url, lease_owner="one", clock=FakeClock(START)) as store:
        yield store


@pytest.fixture
def process_a(one: JobStore, cometapi_double, cometapi_session, caplog):
    caplog.set_level(logging.INFO, logger="bot")

    @asynccontextmanager
    async def run(poll_interval: float, clock: FakeClock) -> AsyncIterator[tuple[JobTracker, Recorder]]:
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url)
        timeout = dt.timedelta(minutes=5)
        tracker = JobTracker(one, client, poll_interval=poll_interval, job_timeout=timeout, clock=clock)
        events = Recorder()
        tracker.subscribe(events)
        await tracker.start()
        try:
            yield tracker, events
        finally:
            await tracker.stop()

    return run


async def submitted(one: JobStore, tracker: JobTracker, events: Recorder) -> Job:
    job = await one.create_job(new_job())
    await tracker.enqueue(job)
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(job.id))
    return job


async def test_a_stale_success_answer_after_a_takeover_delivers_nothing(
    one: JobStore, process_a, cometapi_double, postgres_url, caplog
):
    """A's poll answer is in flight; B takes the job over and stores the success; A's answer lands."""
    cometapi_double.default_plan = TaskPlan(duration=600.0)
    async with process_a(0.05, FakeClock(START)) as (tracker, events):
        job = await submitted(one, tracker, events)
        held = cometapi_double.hold("list")
        await asyncio.wait_for(held.arrived.wait(), 5)

        taken = await take_over(postgres_url, job.id, succeed)
        (task_id,) = cometapi_double.tasks
        cometapi_double.finish(task_id)
        held.release()
        await logged_or(caplog, DROPPED, lambda: JobEventKind.SUCCEEDED in events.kinds(job.id))

        assert JobEventKind.SUCCEEDED not in events.kinds(job.id)  # A's cards deliver nothing
        assert await one.get_job(job.id) == taken
        assert tracker.jobs_lost == 1


class Stall:
    """Freezes process A once, right after one of its dispatch transactions for which ``due`` holds.

    A's lease keeper may be inside a transaction of its own at that moment, holding the rows B must
    claim: the freeze waits for it to end first (a real pause can of course land there too; B then
    takes the job over after A commits, which is the case the other tests show).
    """

    def __init__(self, store: JobStore, due: Callable[[list[Job]], Awaitable[bool]]) -> None:
        self._due = due
        self._keeper_busy = 0
        self._store = store
        self.done = False
        dispatch, renew, claim = store.dispatch, store.renew_leases, store.claim_expired
        store.renew_leases = self._counted(renew)  # type: ignore[method-assign]
        store.claim_expired = self._counted(claim)  # type: ignore[method-assign]

        async def dispatch_then_stall(decide):  # type: ignore[no-untyped-def]
            moved = await dispatch(decide)
            if not self.done and await self._due(moved):
                while self._keeper_busy:
                    await asyncio.sleep(0.005)
                self.done = True
                self.during()
            return moved

        store.dispatch = dispatch_then_stall  # type: ignore[method-assign]
        self.during: Callable[[], None] = lambda: None

    def _counted(self, call):  # type: ignore[no-untyped-def]
        async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            self._keeper_busy += 1
            try:
                return await call(*args, **kwargs)
            finally:
                self._keeper_busy -= 1

        return counted


async def test_a_stale_timeout_sweep_fails_and_refunds_nothing(
    one: JobStore, process_a, cometapi_double, postgres_url, caplog
):
    """A freezes with the job at the provider; B takes it over and succeeds; A wakes past its timeout."""
    cometapi_double.default_plan = TaskPlan(duration=600.0)
    sweep = FakeClock(START)
    job = await one.create_job(new_job())
    taken: list[Job] = []

    async def at_provider(moved: list[Job]) -> bool:
        stored = await one.get_job(job.id)
        return stored is not None and stored.status is JobStatus.SUBMITTED

    def stall() -> None:
        taken.append(frozen(lambda: take_over(postgres_url, job.id, succeed)))
        sweep.advance(minutes=6)  # A slept through the job's timeout; its sweep runs next

    Stall(one, at_provider).during = stall
    async with process_a(60.0, sweep) as (tracker, events):  # no poll, no renewal meanwhile
        await tracker.enqueue(job)
        await logged_or(caplog, DROPPED, lambda: JobEventKind.FAILED in events.kinds(job.id))

        assert JobEventKind.FAILED not in events.kinds(job.id)  # no failure card, no DM
        assert await one.get_job(job.id) == taken[0]
        assert (await one.usage_today(job.guild_id, job.requester_id)).user_today == 1  # no refund
        assert tracker.jobs_lost == 1


async def test_a_claimed_submit_that_b_failed_as_interrupted_is_never_sent(
    one: JobStore, process_a, cometapi_double, postgres_url, caplog
):
    """A's dispatch hands it the job and A freezes; B fails the SUBMITTING job as interrupted; A wakes."""
    job = await one.create_job(new_job())
    taken: list[Job] = []

    async def handed_out(moved: list[Job]) -> bool:
        return bool(moved)

    stall = Stall(one, handed_out)
    stall.during = lambda: taken.append(frozen(lambda: take_over(postgres_url, job.id, fail_interrupted)))
    async with process_a(60.0, FakeClock(START)) as (tracker, events):
        await tracker.enqueue(job)
        await logged_or(caplog, DROPPED, lambda: cometapi_double.counts["submit"] > 0)

        assert cometapi_double.counts["submit"] == 0  # no task made (and billed) for a failed job
        assert await one.get_job(job.id) == taken[0]
        assert taken[0].status is JobStatus.FAILED and events.kinds(job.id) == []
        assert tracker.jobs_lost == 1


async def test_the_delivery_writes_of_a_job_taken_over_are_refused_and_counted(
    one: JobStore, process_a, postgres_url
):
    """What the Cards cog asks before and after posting, once B took over a success A had stored."""
    async with process_a(60.0, FakeClock(START)) as (tracker, _events):
        job = await one.create_job(new_job())
        for step in (one.mark_submitting, lambda i: one.mark_submitted(i, "task-1")):
            await step(job.id)
        ours = await one.mark_succeeded(job.id, CLIPS)
        assert await tracker.holds(ours) and await tracker.claim_delivery(ours)

        async def keep(two: JobStore, claimed: Job) -> Job:
            return claimed

        taken = await take_over(postgres_url, job.id, keep)
        assert not await tracker.holds(ours)  # no card edit
        assert not await tracker.claim_delivery(ours)  # no upload
        assert not await tracker.delivered(ours)
        assert not await tracker.delivery_failed(ours, "the channel is gone")  # no refund, no DM
        assert await one.get_job(job.id) == taken
        assert tracker.jobs_lost == 3


async def test_a_job_let_go_to_another_process_leaves_no_trace(
    one: JobStore, process_a, cometapi_double, postgres_url
):
    """A's listings left the task out (A asks for it directly now); B takes the job over; A lets it go."""
    cometapi_double.default_plan = TaskPlan(duration=600.0, omit_from_list=True)
    async with process_a(0.05, FakeClock(START)) as (tracker, events):
        job = await submitted(one, tracker, events)
        held = cometapi_double.hold("fetch")
        await asyncio.wait_for(held.arrived.wait(), 5)

        async def keep(two: JobStore, claimed: Job) -> Job:
            return claimed

        await take_over(postgres_url, job.id, keep)
        await until(lambda: tracker.jobs_let_go == 1)  # A's next renewal no longer holds it

        assert forgotten(tracker, job.id) == []
        held.release()
