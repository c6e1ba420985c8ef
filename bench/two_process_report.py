"""Issue 14's two processes on PostgreSQL, one killed, as rows of the reliability report.

Runs the scenario of ``tests/reliability/test_two_processes.py`` (its steps are in
``tests/reliability/two_process_scenario.py``) once more, on a private PostgreSQL server this module
starts and deletes (``bench/scale_bench.py``'s ``private_postgres``): two real bot processes, shards 0
and 1 of 2, six jobs (five at the provider, one waiting for a provider slot), then shard 0's process
gets SIGKILL. Nothing here asserts: an unmet promise prints MISS, and without the PostgreSQL server
binaries the section is one MISS line saying how to install them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from bench.scale_bench import private_postgres
from bot.models import Job, JobStatus, state_tag
from tests.postgres_server import find_server
from tests.reliability.kill_scenario import expected_clips
from tests.reliability.subprocess_bot import BotProcess
from tests.reliability.two_process_scenario import (
    LEASE_SECONDS,
    POLL_SECONDS,
    TAKEOVER_BUDGET,
    UPLOAD_SLACK,
    TwoProcessWorld,
    job_ids,
    lease_pids,
    log_problems,
    two_process_world,
)

TOOK_OVER = re.compile(r"took over (\d+) job")
SIGKILL_EXIT = -9


class Rows(Protocol):
    """The report section the rows go to."""

    def add(self, ok: bool, text: str) -> None:
        """Append one PASS/MISS line."""


def missing_server() -> str | None:
    """Say why the private PostgreSQL server cannot start here and what installs it, or None if it can."""
    bindir, reason = find_server()
    return None if bindir is not None else f"PostgreSQL server binaries (initdb, pg_ctl, postgres): {reason}"


async def two_process_rows(section: Rows, folder: Path) -> None:
    """Start PostgreSQL and both processes, kill shard 0's, and describe what the survivor did."""
    missing = missing_server()
    if missing:
        section.add(False, missing)
        return
    try:
        async with private_postgres() as url, two_process_world(folder, url) as world:
            await _run(world, section)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:  # PrivateServer: no runuser as root
        section.add(False, f"PostgreSQL could not be started: {exc.msg}")


@dataclass(frozen=True)
class Outcome:
    """What the scenario left: the jobs at the kill and at the end, their lease owners, the survivor."""

    at_kill: list[Job]
    final: list[Job]
    owners: dict[int, int | None]  # job id -> pid in its lease owner, once every job was delivered
    survivor: int  # the survivor's pid
    kill_exit: int


async def _run(world: TwoProcessWorld, section: Rows) -> None:
    async with world.processes_running() as (_, one):
        await world.send_jobs()
        jobs = await world.wait_in_flight()
        section.add(*_held_at_kill(world, jobs, await lease_pids(world.url)))
        code = await world.kill_shard_zero()
        world.finish_at_provider()
        orphans = world.orphans(jobs)
        await world.wait_delivered(orphans, 30, "the killed process's jobs to be delivered")
        took = world.seconds_since_kill()
        final = await world.wait_delivered(job_ids(jobs), 20, "every job delivered")
        outcome = Outcome(jobs, final, await lease_pids(world.url), one.process.pid, code)
        section.add(*_taken_over(outcome, orphans))
        section.add(
            took <= TAKEOVER_BUDGET,
            f"seconds from the kill to the last of them delivered: {took:.1f} s (budget {LEASE_SECONDS:g} "
            f"lease + {POLL_SECONDS:g} poll + {UPLOAD_SLACK:g} upload = {TAKEOVER_BUDGET:.1f} s)",
        )
    _delivery_rows(world, section, final)
    section.add(*_waiting_job(world, outcome))
    section.add(*_survivor_log(one))


def _held_at_kill(world: TwoProcessWorld, jobs: list[Job], owners: dict[int, int | None]) -> tuple[bool, str]:
    """Jobs leased to each process just before the kill; each must hold exactly its shard's jobs."""
    pids = [bot.process.pid for bot in world.processes]
    held = [sum(owners.get(job.id) == pid for job in jobs) for pid in pids]
    own = all(owners.get(job.id) == pids[world.shard_of_job(job)] for job in jobs)
    waiting = sum(job.status is JobStatus.QUEUED for job in jobs)
    return own, (
        f"jobs in flight at the kill: shard 0's process {held[0]}, shard 1's process {held[1]} "
        f"({len(jobs) - waiting} at the provider, {waiting} waiting); "
        f"{'each holds its own shard' if own else 'NOT each its own shard'}"
    )


def _taken_over(outcome: Outcome, orphans: set[int]) -> tuple[bool, str]:
    """The killed process's jobs at the provider, delivered while leased to the survivor."""
    done = {job.id for job in outcome.final if job.status is JobStatus.DELIVERED}
    taken = sum(job_id in done and outcome.owners.get(job_id) == outcome.survivor for job_id in orphans)
    stray = sorted({pid for pid in outcome.owners.values() if pid not in (outcome.survivor, None)})
    ok = outcome.kill_exit == SIGKILL_EXIT and bool(orphans) and taken == len(orphans) and not stray
    leases = "every lease with the survivor" if not stray else f"leases still held by pids {stray}"
    return ok, (
        f"the killed process's jobs taken over by the survivor and delivered: {taken} of {len(orphans)} "
        f"(kill exit {outcome.kill_exit}; {leases})"
    )


def _delivery_rows(world: TwoProcessWorld, section: Rows, final: list[Job]) -> None:
    """Each clip uploaded once, and each job submitted to the provider once."""
    uploads, expected = world.clip_uploads(), expected_clips(final)
    duplicates = sum(count - 1 for count in uploads.values() if count > 1)
    missing = sum(1 for name in expected if name not in uploads)
    section.add(
        uploads == expected,
        f"clips uploaded exactly once: {len(uploads)} of {len(expected)} clip files, "
        f"duplicates {duplicates}, missing {missing}",
    )
    submits = world.submits()
    counts = [submits[state_tag(job.id)] for job in final]
    section.add(
        bool(counts) and all(count == 1 for count in counts),
        f"provider submits per job: max {max(counts, default=0)}, min {min(counts, default=0)} "
        f"(budget 1; {len(final)} jobs)",
    )


def _waiting_job(world: TwoProcessWorld, outcome: Outcome) -> tuple[bool, str]:
    """The job that waited for a provider slot at the kill: sent once, delivered."""
    waiting = next((job for job in outcome.at_kill if job.status is JobStatus.QUEUED), None)
    if waiting is None:
        return False, "the waiting job: none was waiting at the kill"
    sent = world.submits()[state_tag(waiting.id)]
    now = next(job for job in outcome.final if job.id == waiting.id)
    owner = outcome.owners.get(waiting.id)
    by = "the survivor" if owner == outcome.survivor else f"pid {owner}"
    return sent == 1 and now.status is JobStatus.DELIVERED, (
        f"the job waiting at the kill (#{waiting.id}, shard {world.shard_of_job(waiting)}'s server): "
        f"sent {sent} {'time' if sent == 1 else 'times'}, {now.status.value}, by {by}"
    )


def _survivor_log(survivor: BotProcess) -> tuple[bool, str]:
    """The survivor logged its takeover and no traceback or CRITICAL line."""
    log = survivor.log_text()
    took = sum(int(count) for count in TOOK_OVER.findall(log))
    problems = log_problems(log)
    return took > 0 and not problems, (
        f"survivor log: took over {took} {'job' if took == 1 else 'jobs'}; "
        f"{'no Traceback, no CRITICAL' if not problems else 'found ' + ', '.join(problems)}"
    )
