"""A wake-up of the tracker's loop that comes while a cycle is under way is not lost.

The loop sleeps until the next thing is due (a poll, the end of a busy hold, a re-read of the shared
line) or until woken: a job enqueued, a slot freed. A wake-up set while the cycle awaits (its running
limit read, the shared dispatch's transaction) is for work that cycle may have missed; it must start a
new cycle at once, not wait for the next poll. Each test holds a cycle in progress (at its
running-limit read, a constructor argument; or in the shared dispatch's write, behind a row lock),
wakes the tracker meanwhile, and keeps every other wake-up source quiet (the submit the cycle starts
is held at the CometAPI double; the poll interval is long).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from bot.models import Job
from bot.store import JobStore
from bot.tracking.events import JobEventKind
from bot.tracking.tracker import JobTracker
from tests.bot.tracking.test_tracker import Recorder, new_job, queue, store  # noqa: F401 - fixtures
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.fixtures_cometapi import make_cometapi_client

SLOW_POLL = 10.0  # a lost wake-up waits this long (or more) for the next cycle
AT_ONCE = 3.0  # what "at once" is allowed to take on a loaded machine


class LimitGate:
    """A running-limit lookup that, once armed, holds the cycle that asks until ``release()``."""

    def __init__(self) -> None:
        self.armed = False
        self.entered = asyncio.Event()
        self._released = asyncio.Event()

    async def __call__(self, _guild_id: int | None) -> int:
        if self.armed:
            self.armed = False
            self.entered.set()
            await self._released.wait()
        return 5

    def release(self) -> None:
        self._released.set()


@pytest.fixture
async def start_tracker(cometapi_double, cometapi_session):
    """Start trackers whose client waits out a held answer (no time-out, no retry, so no wake-up)."""
    trackers: list[JobTracker] = []

    async def start(on: JobStore, **options) -> tuple[JobTracker, Recorder]:
        client = make_cometapi_client(cometapi_session, cometapi_double.base_url, timeout=60, max_retries=0)
        settings = {"poll_interval": SLOW_POLL, "job_timeout": dt.timedelta(minutes=5), **options}
        tracker = JobTracker(on, client, **settings)
        events = Recorder()
        tracker.subscribe(events)
        await tracker.start()
        trackers.append(tracker)
        return tracker, events

    yield start
    for tracker in trackers:
        await tracker.stop()


def sent(double: CometAPIDouble, job: Job) -> bool:
    """Return True once the double has read ``job``'s submit (a held one is not read yet)."""
    return any(body.get("state") == job.state_tag for body in double.submissions)


async def until(condition, timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_slot_freed_during_a_cycle_goes_to_the_next_job_at_once(
    store,  # noqa: F811
    start_tracker,
    cometapi_double,
):
    """Two slots, one running job; while the cycle that hands out the other slot reads the running
    limit, the running job is cancelled: the job left waiting gets the freed slot at once."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    gate = LimitGate()
    tracker, events = await start_tracker(store, provider_cap=2, running_limit=gate)
    (running,) = await queue(store, tracker, new_job("running", requester_id=10))
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(running.id))
    first = await store.create_job(new_job("first", requester_id=11))
    second = await store.create_job(new_job("second", requester_id=12))
    gate.armed = True
    held = cometapi_double.hold("submit")  # the first job's submit: no wake-up from its answer
    try:
        await tracker.enqueue(first)
        await tracker.enqueue(second)
        await asyncio.wait_for(gate.entered.wait(), AT_ONCE)  # the cycle gives out the one free slot
        await tracker.cancel(running.id)  # frees a second slot, and wakes the loop
        gate.release()
        await asyncio.wait_for(held.arrived.wait(), AT_ONCE)
        await until(lambda: sent(cometapi_double, second), AT_ONCE)
        assert not sent(cometapi_double, first)  # still held: nothing but the cancel woke the loop
    finally:
        held.release()
        gate.release()
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(second.id))


@pytest.fixture
async def shared_store(postgres_url: str) -> AsyncIterator[JobStore]:
    async with await JobStore.open_postgres(postgres_url, lease_owner="one") as one:
        yield one


@asynccontextmanager
async def row_locked(url: str, job_id: int) -> AsyncIterator[asyncpg.Connection]:
    """Hold a lock on the job's row from another connection until the block ends (then roll back)."""
    connection = await asyncpg.connect(url)
    transaction = connection.transaction()
    try:
        await transaction.start()
        await connection.execute("SELECT id FROM jobs WHERE id = $1 FOR UPDATE", job_id)
        yield connection
        await transaction.rollback()
    finally:
        await connection.close()


async def blocked_on_a_lock(connection: asyncpg.Connection) -> None:
    """Wait until some other session of this database waits for a lock (our row's)."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        " AND datname = current_database() AND pid <> pg_backend_pid()"
    )
    async with asyncio.timeout(AT_ONCE):
        while not await connection.fetchval(query):
            await asyncio.sleep(0.01)


async def test_a_job_enqueued_while_a_shared_dispatch_is_written_is_sent_at_once(
    shared_store: JobStore, start_tracker, postgres_url: str, cometapi_double
):
    """Several processes: a job enqueued while the dispatch moves the jobs it picked to SUBMITTING
    (its UPDATE waits for a row lock another connection holds) was not in that decision; the next
    cycle must send it at once, not at the next re-read of the line a poll interval later."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await start_tracker(shared_store)
    held = cometapi_double.hold("submit")  # the first job's submit: no wake-up from its answer
    try:
        first = await shared_store.create_job(new_job("first", requester_id=11))
        async with row_locked(postgres_url, first.id) as other:
            await tracker.enqueue(first)
            await blocked_on_a_lock(other)  # the cycle's dispatch picked it and waits to move it
            second = await shared_store.create_job(new_job("second", requester_id=12))
            await tracker.enqueue(second)
        await asyncio.wait_for(held.arrived.wait(), AT_ONCE)
        await until(lambda: sent(cometapi_double, second), AT_ONCE)
        assert not sent(cometapi_double, first)  # still held: nothing but the enqueue woke the loop
    finally:
        held.release()
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(second.id))


async def test_the_loop_does_not_spin_when_nothing_is_due(
    store,  # noqa: F811
    start_tracker,
    cometapi_double,
):
    """Clearing the wake-up before each cycle costs at most one more cycle per wake-up: idle, or with
    one job polled and one waiting for the slot, the loop still sleeps between the things due."""
    cometapi_double.default_plan = TaskPlan(duration=3600)
    tracker, events = await start_tracker(store, poll_interval=0.1, provider_cap=1)
    idle_from = tracker.cycles
    await asyncio.sleep(1.0)  # a window to count cycles in: nothing happens that could be awaited
    assert tracker.cycles - idle_from <= 5  # about one cycle per 0.4 s (the longest sleep)
    running, _waiting = await queue(store, tracker, new_job("running"), new_job("waits", requester_id=12))
    await events.wait_for(lambda: JobEventKind.SUBMITTED in events.kinds(running.id))
    await until(lambda: cometapi_double.counts["list"] > 0, AT_ONCE)  # it is polled
    busy_from = tracker.cycles
    await asyncio.sleep(1.0)
    assert tracker.cycles - busy_from <= 25  # about one poll per 0.1 s, each ending with a wake-up
