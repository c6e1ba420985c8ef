"""Issue 18 item 1 as rows of the reliability report: a process paused with its poll answer in flight.

Runs the scenario of ``tests/reliability/test_paused_process.py`` (its steps are in
``tests/reliability/pause_scenario.py``) ``PAUSE_RUNS`` times with the same two real bot processes on
a private PostgreSQL server: each time shard 0's process gets SIGSTOP while the CometAPI double holds
its poll answer, shard 1's takes the job over and starts delivering, and SIGCONT resumes the first.
Nothing here asserts: an unmet promise prints MISS.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.scale_bench import private_postgres
from bench.two_process_report import Rows, missing_server
from bot.models import JobStatus, state_tag
from tests.reliability.kill_scenario import expected_clips
from tests.reliability.pause_scenario import PAUSE_RUNS, PAUSE_SETTINGS, PauseRun, paused_run
from tests.reliability.two_process_scenario import (
    LEASE_SECONDS,
    TwoProcessWorld,
    log_problems,
    two_process_world,
)


async def paused_process_rows(section: Rows, folder: Path) -> None:
    """Start PostgreSQL and both processes, run the pause ``PAUSE_RUNS`` times, describe the outcome."""
    missing = missing_server()
    if missing:
        section.add(False, missing)
        return
    try:
        async with private_postgres() as url, two_process_world(folder, url, **PAUSE_SETTINGS) as world:
            await _run(world, section)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:  # PrivateServer: no runuser as root
        section.add(False, f"PostgreSQL could not be started: {exc.msg}")


async def _run(world: TwoProcessWorld, section: Rows) -> None:
    async with world.processes_running() as (paused, survivor):
        runs = [await paused_run(world, f"paused run {n + 1}") for n in range(PAUSE_RUNS)]
        logs = paused.log_text(), survivor.log_text()
    section.add(*_uploads(world, runs))
    section.add(*_paused_process(runs, survivor.process.pid))
    problems = [problem for log in logs for problem in log_problems(log)]
    submits = world.submits()
    once = all(submits[state_tag(run.job.id)] == 1 for run in runs)
    section.add(
        not problems and once,
        f"paused run logs: {'no Traceback, no CRITICAL' if not problems else 'found ' + ', '.join(problems)}"
        f" in either process; provider submits per job {'1' if once else 'NOT 1'}",
    )


def _uploads(world: TwoProcessWorld, runs: list[PauseRun]) -> tuple[bool, str]:
    """Each clip of every run's job uploaded exactly once across the runs."""
    uploads, expected = world.clip_uploads(), expected_clips(run.job for run in runs)
    duplicates = sum(count - 1 for count in uploads.values() if count > 1)
    missing = sum(1 for name in expected if name not in uploads)
    return uploads == expected and len(runs) == PAUSE_RUNS, (
        f"a process paused (SIGSTOP) with its poll answer in flight, {len(runs)} runs: clips uploaded "
        f"exactly once {len(uploads)} of {len(expected)}, duplicates {duplicates}, missing {missing}"
    )


def _paused_process(runs: list[PauseRun], survivor: int) -> tuple[bool, str]:
    """The paused process dropped each job and left its card alone; the other process delivered it."""
    dropped = sum(run.dropped for run in runs)
    edits = sum(run.card_edits_by_a for run in runs)
    delivered = sum(run.job.status is JobStatus.DELIVERED and run.owner == survivor for run in runs)
    shortest = min((run.paused_seconds for run in runs), default=0.0)
    ok = dropped == delivered == len(runs) and edits == 0
    return ok, (
        f"after SIGCONT the paused process dropped the job (logged) in {dropped} of {len(runs)} runs, "
        f"card edits by it after the takeover {edits}; delivered by the other process {delivered} of "
        f"{len(runs)}; paused {shortest:.1f}-{max((r.paused_seconds for r in runs), default=0.0):.1f} s "
        f"(lease {LEASE_SECONDS:g} s)"
    )
