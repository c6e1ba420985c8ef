"""Two real bot processes (shards 0 and 1 of 2) on one PostgreSQL: one is killed with SIGKILL mid-job.

Every job is delivered exactly once, the dead process's jobs within one lease period plus one poll
interval (and the upload) after the kill, and no provider task is submitted twice. The processes run
the real entry point; the test reads the shared database the way an operator would.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import asyncpg

from bot.models import Job, JobStatus, state_tag
from bot.store import JobStore
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DiscordDouble, Guild, InteractionHandle, User
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.doubles.media import png_bytes
from tests.e2e.harness import card_parts
from tests.e2e.test_queue_e2e import max_running_at_provider
from tests.reliability.kill_scenario import clip_uploads, expected_clips
from tests.reliability.subprocess_bot import BotProcess, running_shard_process

LEASE_SECONDS = 5.0
POLL_SECONDS = 0.2
UPLOAD_SLACK = 1.5  # downloading four clips from the double and posting them, on a loaded machine
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
    """Re-read the shared database until ``predicate(jobs)`` holds (it has no change feed)."""
    jobs: list[Job] = []
    try:
        async with asyncio.timeout(timeout):
            while not predicate(jobs := await read_jobs(url)):
                await asyncio.sleep(0.05)
    except TimeoutError:
        statuses = Counter(job.status.value for job in jobs)
        raise AssertionError(f"waited {timeout} s for {what}; jobs by status: {dict(statuses)}") from None
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


async def test_a_killed_process_jobs_are_delivered_once_by_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=600.0)  # nothing finishes until the test says so
        other_shard = 1 - shard_of(discord.guild)
        other = await discord.add_guild("Other", shard=(other_shard, 2), members=(discord.bob,))
        servers = sorted([discord.guild, other], key=shard_of)  # servers[n] is on shard n
        options = {"database_url": postgres_url, "shard_count": 2, **SETTINGS}
        async with (
            running_shard_process(
                discord, comet, tmp_path / "a.sqlite3", tmp_path / "zero.log", shard_ids=(0,), **options
            ) as zero,
            running_shard_process(
                discord, comet, tmp_path / "a.sqlite3", tmp_path / "one.log", shard_ids=(1,), **options
            ) as one,
        ):
            members = {discord.guild.id: discord.alice, other.id: discord.bob}
            for n in range(JOBS_PER_SERVER):
                for guild in servers:
                    await animate(discord, members[guild.id], guild, f"clip {n} in {guild.name}")
            jobs = await wait_jobs(postgres_url, in_flight, 20, "five jobs at the provider and one waiting")
            await assert_each_process_holds_its_shard(postgres_url, jobs, servers, (zero, one))

            killed_at = await kill(zero)
            for task_id in list(comet.tasks):
                comet.finish(task_id)
            comet.default_plan = TaskPlan(duration=0.3)  # the waiting job, when it is sent
            orphans = {
                job.id for job in jobs if job.guild_id == servers[0].id and job.status is not JobStatus.QUEUED
            }
            await wait_jobs(postgres_url, delivered(orphans), 30, "the killed process's jobs to be delivered")
            took = time.monotonic() - killed_at
            assert took <= LEASE_SECONDS + POLL_SECONDS + UPLOAD_SLACK, took
            final = await wait_jobs(
                postgres_url, delivered({job.id for job in jobs}), 20, "every job delivered"
            )
            assert set((await lease_pids(postgres_url)).values()) <= {one.process.pid, None}
            assert_survivor_log(one)

        assert clip_uploads(discord.bot_messages()) == expected_clips(final)  # each clip exactly once
        submits = Counter(body.get("state") for body in comet.submissions)
        assert all(submits[state_tag(job.id)] == 1 for job in final), submits


async def assert_each_process_holds_its_shard(
    url: str, jobs: list[Job], servers: list[Guild], processes: tuple[BotProcess, BotProcess]
) -> None:
    """Every job is leased to the process whose shard receives its server's events."""
    owners = await lease_pids(url)
    for job in jobs:
        shard = next(n for n, server in enumerate(servers) if server.id == job.guild_id)
        assert owners[job.id] == processes[shard].process.pid, (job.id, shard)


async def kill(bot: BotProcess) -> float:
    """SIGKILL ``bot`` (no shutdown code runs) and return when it happened (monotonic)."""
    bot.kill()
    killed_at = time.monotonic()
    assert await bot.wait_exit() == -9
    return killed_at


def delivered(job_ids: set[int]) -> Callable[[list[Job]], bool]:
    """A predicate: every job of ``job_ids`` is stored and delivered."""
    return lambda jobs: job_ids <= {job.id for job in jobs if job.status is JobStatus.DELIVERED}


def assert_survivor_log(bot: BotProcess) -> None:
    """The survivor says it took jobs over, and nothing went wrong on the way."""
    log = bot.log_text()
    assert "took over" in log
    assert "Traceback" not in log and "CRITICAL" not in log


async def test_two_processes_keep_one_fair_line_and_one_provider_cap(
    tmp_path: Path, postgres_url: str
) -> None:
    """Cap 1 across both processes: Bob (the other process's server) goes before Alice's second job."""
    settings = {**SETTINGS, "provider_max_running": 1}
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=600.0)  # each task ends when the test finishes it
        home = discord.guild
        other = await discord.add_guild("Other", shard=(1 - shard_of(home), 2), members=(discord.bob,))
        options = {"database_url": postgres_url, "shard_count": 2, **settings}
        database = tmp_path / "unused.sqlite3"
        async with (
            running_shard_process(discord, comet, database, tmp_path / "a.log", shard_ids=(0,), **options),
            running_shard_process(discord, comet, database, tmp_path / "b.log", shard_ids=(1,), **options),
        ):
            for n in range(1, 4):
                await animate(discord, discord.alice, home, f"alice {n}")
            await animate(discord, discord.bob, other, "bob 1")
            order = [await finish_next(comet, position) for position in range(4)]
            await wait_jobs(
                postgres_url, lambda jobs: len(jobs) == 4 and delivered(_ids(jobs))(jobs), 20, "all"
            )

        # Alice's first was served while her others waited, so Bob's has its turn before her second.
        assert order == ["alice 1", "bob 1", "alice 2", "alice 3"]
        assert max_running_at_provider(comet) == 1


async def finish_next(comet: CometAPIDouble, position: int, timeout: float = 10.0) -> str:
    """Wait for the provider's ``position``-th task (0-based), finish it, and return its prompt."""
    async with asyncio.timeout(timeout):
        while len(comet.tasks) <= position:
            await asyncio.sleep(0.02)
    task = list(comet.tasks.values())[position]
    comet.finish(task.task_id)
    return task.prompt


def _ids(jobs: list[Job]) -> set[int]:
    return {job.id for job in jobs}


async def test_cards_and_queue_count_the_other_process_jobs(tmp_path: Path, postgres_url: str) -> None:
    """One line for both processes: Alice's second job is 3rd, behind Bob's job in the other process."""
    settings = {**SETTINGS, "provider_max_running": 1}
    async with (
        DiscordDouble(message_content=True) as discord,
        CometAPIDouble.serve(api_key=TEST_API_KEY) as comet,
    ):
        comet.default_plan = TaskPlan(duration=600.0)
        home = discord.guild
        other = await discord.add_guild("Other", shard=(1 - shard_of(home), 2), members=(discord.bob,))
        options = {"database_url": postgres_url, "shard_count": 2, **settings}
        database = tmp_path / "unused.sqlite3"
        async with (
            running_shard_process(discord, comet, database, tmp_path / "a.log", shard_ids=(0,), **options),
            running_shard_process(discord, comet, database, tmp_path / "b.log", shard_ids=(1,), **options),
        ):
            await animate(discord, discord.bob, other, "bob 1")  # takes the one provider slot
            await animate(discord, discord.bob, other, "bob 2")
            await animate(discord, discord.alice, home, "alice 1")
            second = await animate(discord, discord.alice, home, "alice 2")
            # Round 0: Alice's first (Bob was served); round 1: Bob's second is older than hers.
            await discord.wait_for_message(
                lambda m: m.id == second.original_message_id and "3rd in line" in card_parts(m).state, 10
            )
            jobs = {job.prompt: job for job in await read_jobs(postgres_url)}
            handle = await discord.slash(discord.alice, "queue", channel=next(iter(home.channels.values())))
            answer = str((await handle.wait_response()).data["embeds"][0]["description"])

        assert f"1. #{jobs['alice 1'].id}" in answer and f"3. #{jobs['alice 2'].id}" in answer
        assert f"#{jobs['bob 2'].id}" not in answer  # /queue lists this server's jobs only
