"""Two real bot processes (shards 0 and 1 of 2) on one PostgreSQL: one is killed with SIGKILL mid-job.

Every job is delivered exactly once, the dead process's jobs within one lease period plus one poll
interval (and the upload) after the kill, and no provider task is submitted twice. The processes run
the real entry point; the steps (``two_process_scenario.py``) read the shared database the way an
operator would, and the reliability report runs the same kill scenario.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.models import Job, state_tag
from tests.doubles.cometapi_double import CometAPIDouble
from tests.e2e.harness import card_parts
from tests.e2e.test_provider_key_e2e import owner_dms
from tests.e2e.test_queue_e2e import max_running_at_provider
from tests.reliability.kill_scenario import expected_clips
from tests.reliability.subprocess_bot import BotProcess
from tests.reliability.two_process_scenario import (
    TAKEOVER_BUDGET,
    TwoProcessWorld,
    animate,
    delivered,
    job_ids,
    lease_pids,
    log_problems,
    read_jobs,
    two_process_world,
    wait_jobs,
)


async def test_a_killed_process_jobs_are_delivered_once_by_the_other(
    tmp_path: Path, postgres_url: str
) -> None:
    async with two_process_world(tmp_path, postgres_url) as world:
        async with world.processes_running() as (zero, one):
            await world.send_jobs()
            jobs = await world.wait_in_flight()
            await assert_each_process_holds_its_shard(world, jobs, (zero, one))

            assert await world.kill_shard_zero() == -9
            world.finish_at_provider()
            await world.wait_delivered(world.orphans(jobs), 30, "the killed process's jobs to be delivered")
            took = world.seconds_since_kill()
            assert took <= TAKEOVER_BUDGET, took
            final = await world.wait_delivered(job_ids(jobs), 20, "every job delivered")
            assert set((await lease_pids(postgres_url)).values()) <= {one.process.pid, None}
            assert_survivor_log(one)

        assert world.clip_uploads() == expected_clips(final)  # each clip exactly once
        submits = world.submits()
        assert all(submits[state_tag(job.id)] == 1 for job in final), submits


async def assert_each_process_holds_its_shard(
    world: TwoProcessWorld, jobs: list[Job], processes: tuple[BotProcess, BotProcess]
) -> None:
    """Every job is leased to the process whose shard receives its server's events."""
    owners = await lease_pids(world.url)
    for job in jobs:
        shard = world.shard_of_job(job)
        assert owners[job.id] == processes[shard].process.pid, (job.id, shard)


def assert_survivor_log(bot: BotProcess) -> None:
    """The survivor says it took jobs over, and nothing went wrong on the way."""
    log = bot.log_text()
    assert "took over" in log
    assert not log_problems(log)


async def test_two_processes_keep_one_fair_line_and_one_provider_cap(
    tmp_path: Path, postgres_url: str
) -> None:
    """Cap 1 across both processes: Bob (the other process's server) goes before Alice's second job."""
    async with two_process_world(tmp_path, postgres_url, provider_max_running=1) as world:
        discord, comet = world.discord, world.comet  # each task ends when the test finishes it
        async with world.processes_running():
            # Each job stored before the next is asked for: a card answers at once and the job is
            # admitted behind it, so two requests in a row could otherwise be admitted out of order.
            # Bob's is stored before the first task ends, or its freed slot would rightly go to Alice.
            requests = [(discord.alice, world.home, f"alice {n}") for n in range(1, 4)]
            for n, (member, guild, prompt) in enumerate([*requests, (discord.bob, world.other, "bob 1")], 1):
                await animate(discord, member, guild, prompt)
                await wait_jobs(postgres_url, lambda jobs, n=n: len(jobs) == n, 10, f"{prompt} stored")
            order = [await finish_next(comet, position) for position in range(4)]
            await wait_jobs(
                postgres_url, lambda jobs: len(jobs) == 4 and delivered(job_ids(jobs))(jobs), 20, "all"
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


async def test_cards_and_queue_count_the_other_process_jobs(tmp_path: Path, postgres_url: str) -> None:
    """One line for both processes: Alice's second job is 3rd, behind Bob's job in the other process."""
    async with two_process_world(tmp_path, postgres_url, provider_max_running=1) as world:
        discord, home = world.discord, world.home
        async with world.processes_running():
            await animate(discord, discord.bob, world.other, "bob 1")  # takes the one provider slot
            await animate(discord, discord.bob, world.other, "bob 2")
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


async def test_a_rejected_key_is_reported_once_by_two_processes(tmp_path: Path, postgres_url: str) -> None:
    """Both processes meet the revoked key at once: the owner gets one alert, not one per process."""
    async with two_process_world(tmp_path, postgres_url) as world:
        world.comet.api_key = "the-operator-revoked-the-old-key"
        owner = world.discord.state.owner_user
        async with world.processes_running() as processes:
            await asyncio.gather(
                *(
                    animate(world.discord, world.member_of(guild), guild, f"in {guild.name}")
                    for guild in world.servers
                )
            )
            await wait_jobs(
                postgres_url, lambda jobs: len(jobs) == 2 and all(j.failure_kind for j in jobs), 20, "fails"
            )
            await world.discord.wait_for_message(
                lambda m: m.channel_id == world.discord.dm_channel(owner).id, 10
            )
            # Both met it: one process claimed the alert and sent it, the other found it claimed.
            await wait_log(processes, "told the application owner")
            await wait_log(processes, "already told that this CometAPI key is rejected")

        assert len(owner_dms(world.discord, owner)) == 1


async def wait_log(bots: tuple[BotProcess, ...], text: str, timeout: float = 10.0) -> None:
    """Wait until exactly one child's log contains ``text`` (log files have no change feed: re-read)."""
    async with asyncio.timeout(timeout):
        while not any(text in bot.log_text() for bot in bots):
            await asyncio.sleep(0.05)
    assert sum(text in bot.log_text() for bot in bots) == 1, text
