"""Issue 18 item 1, step by step: a process paused with its poll answer in flight, its job taken over.

Shared by ``test_paused_process.py`` (which asserts each run) and ``bench/two_process_report.py``
(which runs it ten times for the reliability report). Two real bot processes (shards 0 and 1 of 2,
``two_process_scenario``) share one PostgreSQL database; one run goes:

1. Alice's job (shard 0's server) reaches the provider, leased to process A (shard 0's).
2. The CometAPI double holds A's next list call; once A has asked, A gets SIGSTOP (again, if it was
   stopped inside a database transaction: a stopped transaction would hold the rows B must claim).
3. The task finishes at the provider and the held answer (SUCCEEDED) goes out, into A's socket.
4. A's lease expires; B takes the job over, polls, stores the success and starts delivering; its
   clip downloads are held, so B is mid-delivery (the job SUCCEEDED) for as long as the test likes.
5. A gets SIGCONT and acts on its stale answer. While B's downloads are held only A can touch the
   card; the run waits until A logs that it dropped the job (or, on code without fencing, until A
   edits the card or fetches the clips itself), then lets B finish.

Each clip must reach Discord exactly once, and A must leave the card alone after the takeover.
``paused_mid_delivery`` pauses A later instead: it stored the success itself and is downloading the
clips when it stops; B takes the job over and delivers it; A resumes about to post them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from bot.models import Job, JobStatus
from tests.reliability.subprocess_bot import BotProcess
from tests.reliability.two_process_scenario import (
    LEASE_SECONDS,
    READ_TICK,
    TwoProcessWorld,
    animate,
    lease_pids,
    wait_jobs,
)

# The held answer must be the one A reads after SIGCONT, not a client timeout and a retry.
PAUSE_SETTINGS: dict[str, object] = {"provider_timeout_seconds": 30}
DROPPED = "was taken over by another process"
PAUSE_RUNS = 10
STOP_SETTLE = 0.15  # after SIGSTOP: longer than any transaction of a running process
# A transaction idle for longer than STOP_SETTLE belongs to the stopped process.
STALLED_TRANSACTIONS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND state LIKE 'idle in transaction%'
    AND state_change < now() - make_interval(secs => $1)
"""


@dataclass(frozen=True)
class PauseRun:
    """What one run left: the job as stored at the end and what the paused process did."""

    job: Job
    dropped: bool  # A logged that it dropped its work on the job
    card_edits_by_a: int  # card revisions while B's downloads were held: only A could make them
    owner: int | None  # pid in the job's lease at the end
    paused_seconds: float


async def paused_run(world: TwoProcessWorld, prompt: str) -> PauseRun:
    """Run the scenario once with a new job of shard 0's server; see the module docstring."""
    a = world.processes[0]
    job = await _at_provider(world, prompt)
    poll = world.comet.hold("list")
    await asyncio.wait_for(poll.arrived.wait(), 10)
    paused_at = time.monotonic()
    await pause_outside_transactions(a, world.url)
    assert job.provider_task_id is not None
    world.comet.finish(job.provider_task_id)
    downloads = world.comet.hold("clip", times=job.clips)
    poll.release()
    await asyncio.wait_for(downloads.arrived.wait(), LEASE_SECONDS + 15)  # B is delivering

    card = world.discord.state.messages[_card_id(job)]
    revisions, fetched = len(card.history), world.comet.counts["clip"]
    a.resume()
    paused = time.monotonic() - paused_at
    dropped = f"job {job.id} {DROPPED}"
    await _until(
        lambda: (
            dropped in a.log_text() or len(card.history) > revisions or world.comet.counts["clip"] > fetched
        ),
        timeout=10,
    )
    edits_by_a = len(card.history) - revisions
    downloads.release()
    final = await _delivered(world, job)
    owner = (await lease_pids(world.url)).get(job.id)
    return PauseRun(final, dropped in a.log_text(), edits_by_a, owner, paused)


async def paused_mid_delivery(world: TwoProcessWorld, prompt: str) -> PauseRun:
    """A stores the success itself and is paused while downloading the clips; B takes over and delivers.

    When A resumes its downloads finish and it is about to post: the delivery claim must stop it.
    """
    a = world.processes[0]
    job = await _at_provider(world, prompt)
    downloads = world.comet.hold("clip", times=job.clips)  # A's: B's come later and pass
    assert job.provider_task_id is not None
    world.comet.finish(job.provider_task_id)
    await asyncio.wait_for(downloads.full.wait(), 10)  # every one A makes, or B's would be held
    paused_at = time.monotonic()
    await pause_outside_transactions(a, world.url)
    final = await _delivered(world, job, timeout=LEASE_SECONDS + 20)  # by B

    card = world.discord.state.messages[_card_id(job)]
    revisions, sent = len(card.history), len(world.discord.bot_messages())
    a.resume()
    paused = time.monotonic() - paused_at
    downloads.release()
    dropped = f"job {job.id} {DROPPED}"
    changed = lambda: len(card.history) > revisions or len(world.discord.bot_messages()) > sent  # noqa: E731
    await _until(lambda: dropped in a.log_text() or changed(), timeout=10)
    edits_by_a = len(card.history) - revisions + len(world.discord.bot_messages()) - sent
    owner = (await lease_pids(world.url)).get(job.id)
    return PauseRun(final, dropped in a.log_text(), edits_by_a, owner, paused)


async def pause_outside_transactions(bot: BotProcess, url: str) -> None:
    """SIGSTOP ``bot`` at a moment it holds no database transaction open (retrying a few times)."""
    for _ in range(20):
        bot.pause()
        await asyncio.sleep(STOP_SETTLE)  # no event says "nothing happened": give B's work time
        if not await stalled_transactions(url):
            return
        bot.resume()
        await asyncio.sleep(READ_TICK)  # let it commit, then stop it again
    raise RuntimeError("could not stop the process outside a database transaction")


async def stalled_transactions(url: str) -> int:
    """Return how many sessions sit in a transaction for longer than a running process ever does."""
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(STALLED_TRANSACTIONS, STOP_SETTLE))
    finally:
        await conn.close()


async def _at_provider(world: TwoProcessWorld, prompt: str) -> Job:
    """Send ``prompt`` in shard 0's server; return its job once submitted and leased to A."""
    home = world.servers[0]
    await animate(world.discord, world.member_of(home), home, prompt)
    jobs = await wait_jobs(world.url, lambda jobs: _submitted(jobs, prompt), 20, f"{prompt!r} submitted")
    return next(job for job in jobs if job.prompt == prompt)


def _submitted(jobs: list[Job], prompt: str) -> bool:
    at_provider = (JobStatus.SUBMITTED, JobStatus.RUNNING)
    return any(j.prompt == prompt and j.status in at_provider and j.card_message_id for j in jobs)


async def _delivered(world: TwoProcessWorld, job: Job, timeout: float = 20.0) -> Job:
    jobs = await wait_jobs(
        world.url,
        lambda jobs: any(j.id == job.id and j.status is JobStatus.DELIVERED for j in jobs),
        timeout,
        f"job {job.id} delivered",
    )
    return next(j for j in jobs if j.id == job.id)


def _card_id(job: Job) -> int:
    assert job.card_message_id is not None
    return job.card_message_id


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    """Re-check ``condition()`` on a short tick (a child's log and the doubles have no change feed)."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(READ_TICK)
    except TimeoutError:
        return  # the caller reads what happened (or did not)
