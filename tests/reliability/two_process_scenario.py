"""Two real bot processes (shards 0 and 1 of 2) on one PostgreSQL database, step by step.

Shared by ``test_two_processes.py`` (which asserts each step) and ``bench/two_process_report.py``
(which prints the figures in the reliability report). Each process runs the real entry point
(``python -m bot run``) with its own ``SHARD_IDS``; the double holds two servers, one on each shard,
so each process receives one server's commands. The scenario reads the shared database the way an
operator would: it has no change feed, so it re-reads it on a short tick.

The kill scenario: three jobs from each server, five at the provider and one waiting for a provider
slot, then shard 0's process is killed with SIGKILL; the survivor must take its jobs over once their
leases expire and deliver every job exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bot.models import Job, JobStatus
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, Guild, InteractionHandle, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.reliability.kill_scenario import clip_uploads
from tests.reliability.subprocess_bot import BotProcess, running_shard_process

LEASE_SECONDS = 5.0
POLL_SECONDS = 0.2
UPLOAD_SLACK = 1.5  # downloading four clips from the double and posting them, on a loaded machine
TAKEOVER_BUDGET = LEASE_SECONDS + POLL_SECONDS + UPLOAD_SLACK
JOBS_PER_SERVER = 3
SETTINGS: dict[str, object] = {
    "lease_seconds": LEASE_SECONDS,
    "poll_interval_seconds": POLL_SECONDS,
    "max_concurrent_jobs_per_user": 10,
    "max_daily_jobs_per_user": 100,
    "max_daily_jobs_per_guild": 100,
    # One job of the six waits in the shared line at the kill: it must be sent once, by the survivor.
    "provider_max_running": 2 * JOBS_PER_SERVER - 1,
    "provider_max_retries": 1,
}
READ_TICK = 0.05
LOG_PROBLEMS = ("Traceback", "CRITICAL")


def shard_of(guild: Guild) -> int:
    """Discord's formula for which of two shards receives a server's events."""
    return (guild.id >> 22) % 2


async def read_jobs(url: str) -> list[Job]:
    """Return every job in the shared database."""
    async with await JobStore.open_postgres(url, max_connections=1) as store:
        return await store.all_jobs()


async def lease_pids(url: str) -> dict[int, int | None]:
    """Return, per job, the process id in its lease owner (``host:pid:random``), or None."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT id, lease_owner FROM jobs ORDER BY id")
    finally:
        await conn.close()
    return {row["id"]: int(row["lease_owner"].split(":")[1]) if row["lease_owner"] else None for row in rows}


async def wait_jobs(url: str, predicate: Callable[[list[Job]], bool], timeout: float, what: str) -> list[Job]:
    """Re-read the shared database until ``predicate(jobs)`` holds; TimeoutError names what was awaited."""
    jobs: list[Job] = []
    try:
        async with asyncio.timeout(timeout):
            while not predicate(jobs := await read_jobs(url)):
                await asyncio.sleep(READ_TICK)
    except TimeoutError:
        statuses = Counter(job.status.value for job in jobs)
        raise TimeoutError(f"waited {timeout} s for {what}; jobs by status: {dict(statuses)}") from None
    return jobs


async def animate(discord: DiscordDouble, user: User, guild: Guild, prompt: str) -> InteractionHandle:
    """Send /animate in the first channel of ``guild``, check it was accepted in time, return its handle."""
    channel = next(iter(guild.channels.values()))
    image = png_bytes(width=256, height=256, seed=prompt)
    handle = await discord.slash(
        user, "animate", {"prompt": prompt}, attachment=("cat.png", image, "image/png"), channel=channel
    )
    assert (await handle.wait_response()).accepted
    return handle


def in_flight(jobs: list[Job]) -> bool:
    """Six jobs stored: five at the provider and one waiting for a slot."""
    statuses = Counter(job.status for job in jobs)
    at_provider = statuses[JobStatus.SUBMITTED] + statuses[JobStatus.RUNNING]
    return len(jobs) == 2 * JOBS_PER_SERVER and at_provider == 5 and statuses[JobStatus.QUEUED] == 1


def job_ids(jobs: list[Job]) -> set[int]:
    """Return the ids of ``jobs``."""
    return {job.id for job in jobs}


def delivered(ids: set[int]) -> Callable[[list[Job]], bool]:
    """A predicate: every job of ``ids`` is stored and delivered."""
    return lambda jobs: ids <= {job.id for job in jobs if job.status is JobStatus.DELIVERED}


def log_problems(text: str) -> list[str]:
    """Return which of a traceback and a CRITICAL line a process log contains."""
    return [problem for problem in LOG_PROBLEMS if problem in text]


@dataclass
class TwoProcessWorld:
    """Both doubles, the shared database's URL, the two servers and the processes once started."""

    discord: DiscordDouble
    comet: CometAPIDouble
    url: str
    folder: Path
    servers: list[Guild]  # servers[n] is on shard n
    settings: dict[str, object]
    processes: list[BotProcess] = field(default_factory=list)
    killed_at: float = 0.0

    @property
    def home(self) -> Guild:
        """The double's own server (Alice's)."""
        return self.discord.guild

    @property
    def other(self) -> Guild:
        """The second server (Bob's), on the other shard."""
        return next(server for server in self.servers if server is not self.home)

    @contextlib.asynccontextmanager
    async def processes_running(self) -> AsyncIterator[tuple[BotProcess, BotProcess]]:
        """Run shard 0's and shard 1's processes until the block ends (killed if still alive)."""
        async with self._process(0) as zero, self._process(1) as one:
            self.processes = [zero, one]
            yield zero, one

    def _process(self, shard: int) -> contextlib.AbstractAsyncContextManager[BotProcess]:
        unused = self.folder / "unused.sqlite3"  # DATABASE_URL wins: nothing goes to this file
        log = self.folder / f"shard{shard}.log"
        return running_shard_process(
            self.discord,
            self.comet,
            unused,
            log,
            shard_ids=(shard,),
            shard_count=2,
            database_url=self.url,
            **self.settings,
        )

    def member_of(self, guild: Guild) -> User:
        """Alice sends in her server, Bob in the other."""
        return self.discord.alice if guild is self.home else self.discord.bob

    def shard_of_job(self, job: Job) -> int:
        """Return the shard whose process received the job's command."""
        return next(n for n, server in enumerate(self.servers) if server.id == job.guild_id)

    async def send_jobs(self) -> None:
        """Send three jobs from each server, alternating between them."""
        for n in range(JOBS_PER_SERVER):
            for guild in self.servers:
                await animate(self.discord, self.member_of(guild), guild, f"clip {n} in {guild.name}")

    async def wait_in_flight(self, timeout: float = 20.0) -> list[Job]:
        """Wait until five jobs are at the provider and one waits for a slot; return them."""
        return await wait_jobs(self.url, in_flight, timeout, "five jobs at the provider and one waiting")

    async def kill_shard_zero(self) -> int:
        """SIGKILL shard 0's process (no shutdown code runs), note when, and return its exit code."""
        bot = self.processes[0]
        bot.kill()
        self.killed_at = time.monotonic()
        return await bot.wait_exit()

    def seconds_since_kill(self) -> float:
        """Return the seconds since shard 0's process was killed."""
        return time.monotonic() - self.killed_at

    def finish_at_provider(self) -> None:
        """Finish every task at the provider; the waiting job's task, once sent, finishes quickly."""
        for task_id in list(self.comet.tasks):
            self.comet.finish(task_id)
        self.comet.default_plan = TaskPlan(duration=0.3)

    def orphans(self, jobs: list[Job]) -> set[int]:
        """The killed process's jobs at the provider: only a takeover can deliver them."""
        return {job.id for job in jobs if self.shard_of_job(job) == 0 and job.status is not JobStatus.QUEUED}

    async def wait_delivered(self, ids: set[int], timeout: float, what: str) -> list[Job]:
        """Wait until every job of ``ids`` is delivered; return every stored job."""
        return await wait_jobs(self.url, delivered(ids), timeout, what)

    def clip_uploads(self) -> Counter[str]:
        """Return how often each clip file reached Discord (in a new message or a card edit)."""
        return clip_uploads(self.discord.bot_messages())

    def submits(self) -> Counter[str]:
        """Return how many submit bodies reached the provider, by their ``state`` tag (one per job)."""
        return Counter(str(body.get("state")) for body in self.comet.submissions)


@contextlib.asynccontextmanager
async def two_process_world(folder: Path, url: str, **settings: object) -> AsyncIterator[TwoProcessWorld]:
    """Start both doubles with a second server on the other shard; the processes start in a step."""
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=600.0)  # nothing finishes until the scenario says so
        other = await discord.add_guild(
            "Other", shard=(1 - shard_of(discord.guild), 2), members=(discord.bob,)
        )
        servers = sorted([discord.guild, other], key=shard_of)
        yield TwoProcessWorld(discord, comet, url, folder, servers, {**SETTINGS, **settings})
