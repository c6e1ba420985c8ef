"""Reliability report (issues 5 and 9): one page of PASS/MISS lines from end-to-end runs.

1. A second bot beside a running one (it must refuse), then ``kill -9`` with 50 jobs in flight and a
   restart on the same database (the real ``python -m bot`` in child processes): jobs in flight at the
   kill, delivered after the restart, duplicates.
2. Provider chaos: 30 % of CometAPI responses faulty (seeded): jobs delivered / clearly failed /
   stuck, provider requests per job and the highest request rates.
3. The bad-input catalogue (``tests/reliability/bad_inputs.py``): inputs tried and refused.
4. Secrets: the Discord token and the CometAPI key searched for in both runs' DEBUG logs, their
   SQLite files, every request body the Discord double received, every message revision and every
   provider submit body.
5. A busy database: another process holds SQLite's write lock while jobs and a settings change wait
   for it; every interaction's first answer time, and whether every waiting write landed.
6. Trust boundaries (issue 9, ``bench/trust_report.py``): the catalogue's hostile inputs by item, a
   rejected CometAPI key (health and one operator alert), provider successes kept through a locked
   database and after the bot's own timeout.
7. Two processes on PostgreSQL, one killed (issue 14, ``bench/two_process_report.py``): shards 0 and 1
   of 2 on a private PostgreSQL server, SIGKILL to one with jobs in flight; the survivor's takeover
   time, uploads and provider submits per job, the waiting job, the survivor's log. Then one paused
   (issue 18, ``bench/pause_report.py``): SIGSTOP with its poll answer in flight, the job taken over,
   SIGCONT, ten times; uploads per clip, what the paused process did after it resumed.

Not a test: nothing here asserts; a budget that is not met prints MISS (and the exit code is 1).
Takes well under a few minutes.

    .venv/bin/python -m bench.reliability_report
    .venv/bin/python -m bench.reliability_report --chaos-jobs 10 --seed 3 --keep /tmp/report
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.pause_report import paused_process_rows
from bench.trust_report import catalogue_rows, provider_success_rows, rejected_key_rows
from bench.two_process_report import two_process_rows
from bot.models import Job, JobStatus
from bot.ops.logs import RedactingFilter
from tests.doubles.cometapi_double import RequestRecord
from tests.doubles.cometapi_jobs import TaskPlan
from tests.doubles.discord import DoubleConfig
from tests.doubles.fixtures_cometapi import TEST_API_KEY
from tests.e2e.harness import World, card_text, make_world
from tests.reliability.bad_input_replay import Verdict, replay
from tests.reliability.bad_inputs import BAD_INPUTS
from tests.reliability.busy_database import WELL_WITHIN, members_while_locked
from tests.reliability.kill_scenario import GROUPS, KillWorld, group_of, kill_world
from tests.reliability.secrets_scan import Evidence, database_files
from tests.reliability.subprocess_bot import double_settings, run_bot_to_exit

IN_FLIGHT = sum(GROUPS.values())
GROUP_STATUS = {
    "queued": JobStatus.QUEUED,
    "submitted": JobStatus.SUBMITTED,
    "generating": JobStatus.RUNNING,
    "finished": JobStatus.SUCCEEDED,
}
CHAOS_RATE = 0.3
CHAOS_DEADLINE = 150.0
CHAOS_TASK_SECONDS = 4.0
CHAOS_SETTINGS: dict[str, Any] = {
    "poll_interval_seconds": 0.25,
    "provider_timeout_seconds": 1,
    "provider_max_retries": 3,
    "card_edit_interval_seconds": 0.5,
    "max_concurrent_jobs_per_user": 20,
    "max_daily_jobs_per_user": 1000,
}
SEND_GAP = 0.1  # members send about ten jobs a second, not all in the same instant
# Ceilings that normal work under 30 % faults stays well below (each poll or submit may take up to
# four attempts with jittered backoff, and jobs are polled on their own schedules); a retry or poll
# loop without backoff makes hundreds of requests a second and runs far past them.
POLL_RATE_BUDGET = 20
REQUEST_RATE_BUDGET = 80
REQUESTS_PER_JOB_BUDGET = 20.0
PROVIDER_API = ("submit", "fetch", "list")
NOT_CHARGED = "did not count against your daily limit"


@dataclass(frozen=True)
class Line:
    """One figure of the report with its verdict."""

    ok: bool
    text: str

    def render(self) -> str:
        """Return the line as printed."""
        return f"  {'PASS' if self.ok else 'MISS'}  {self.text}"


@dataclass
class Section:
    """A titled group of lines."""

    title: str
    lines: list[Line] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> None:
        """Append one line."""
        self.lines.append(Line(ok, text))


# -- 1. kill -9 -------------------------------------------------------------------------------


async def kill_section(section: Section, folder: Path, evidence: Evidence) -> None:
    """Run the kill scenario once (bot log at DEBUG) and describe it."""
    async with kill_world(folder, log_level="DEBUG") as world:
        try:
            await _run_kill(world, section)
        finally:
            evidence.add_files("kill run", [world.log_path, *database_files(world.database)])
            evidence.add_discord("kill run", world.discord)
            evidence.add_provider("kill run", world.comet)


async def _run_kill(world: KillWorld, section: Section) -> None:
    async with world.bot_running():
        section.add(*await _second_instance(world))
        first = await world.deliver_one_before_the_kill()
        world.steer_provider()
        await world.send_all_groups()
        await world.finish_the_finished_group()
        await world.wait_kill_state()
        code = await world.kill()
    in_flight = world.in_flight_at_kill()
    shown = ", ".join(f"{group} {in_flight[status]}" for group, status in GROUP_STATUS.items())
    total = sum(in_flight.values())
    section.add(
        code == -9 and total == IN_FLIGHT, f"jobs in flight at the kill: {total} ({shown}); exit {code}"
    )
    cards = {job.id: job.card_message_id for job in world.at_kill}
    world.let_the_provider_finish()
    async with world.bot_running() as bot:
        await world.wait_all_delivered(1 + IN_FLIGHT, timeout=30)
        await (await world.extend_after_restart(first)).wait_response()
        jobs = await world.wait_all_delivered(2 + IN_FLIGHT, timeout=30)
        bot.terminate()
        exit_code = await bot.wait_exit(10)
    tracked = [job for job in jobs if group_of(job)]
    delivered = sum(job.fully_delivered for job in tracked)  # every clip posted, none missing
    section.add(delivered == IN_FLIGHT, f"delivered after the restart: {delivered} of {IN_FLIGHT}")
    duplicates = world.duplicate_deliveries()
    section.add(duplicates == 0, f"duplicate deliveries (extra messages or uploads): {duplicates}")
    kept = sum(cards[job.id] == job.card_message_id for job in tracked)
    section.add(kept == IN_FLIGHT, f"cards continued on the same message: {kept} of {IN_FLIGHT}")
    child = next((job for job in jobs if job.parent_job_id == first.id), None)
    extended = child is not None and child.status is JobStatus.DELIVERED
    section.add(extended, "Extend pressed after the restart on a card made before the kill: delivered")
    section.add(exit_code == 0, f"SIGTERM at the end: exit code {exit_code}")


async def _second_instance(world: KillWorld) -> tuple[bool, str]:
    """Start a second bot on the running bot's database: it must exit 2 with one line (at INFO)."""
    overrides = {**world.settings, "log_level": "INFO"}
    settings = double_settings(world.discord, world.comet, world.database, **overrides)
    done = await asyncio.to_thread(run_bot_to_exit, settings, world.folder)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    ok = done.returncode == 2 and len(lines) == 1 and "already running" in lines[0]
    return ok, f"a second bot on the same database: exit {done.returncode}, {len(lines)} line(s)"


# -- 2. provider chaos ----------------------------------------------------------------------


async def chaos_section(section: Section, folder: Path, evidence: Evidence, jobs: int, seed: int) -> None:
    """Run ``jobs`` jobs while 30 % of CometAPI responses are faulty, with this process logging at DEBUG."""
    log_path = folder / "chaos.log"
    with debug_log(log_path):
        async with make_world(folder, **CHAOS_SETTINGS) as world:
            try:
                await _run_chaos(world, section, jobs, seed)
            finally:
                evidence.add_discord("chaos run", world.discord)
                evidence.add_provider("chaos run", world.comet)
    evidence.add_files("chaos run", [log_path, *database_files(world.settings.database_path)])


async def _run_chaos(world: World, section: Section, count: int, seed: int) -> None:
    world.comet.default_plan = TaskPlan(duration=CHAOS_TASK_SECONDS, initial_fraction=0.1)
    world.comet.set_chaos(CHAOS_RATE, seed=seed, slow_delay=1.5)
    members = [world.discord.alice, world.discord.bob, world.discord.mod, world.discord.admin]
    for n in range(count):
        handle = await world.animate(members[n % len(members)], prompt=f"chaos clip {n}")
        await handle.wait_response()
        await asyncio.sleep(SEND_GAP)
    took = await _wait_all_final(world, count)
    world.comet.set_chaos(0)
    stored = await world.store.all_jobs()
    delivered = sum(job.fully_delivered for job in stored)
    clearly = sum(_clearly_failed(world, job) for job in stored)
    stuck = sum(not job.status.is_final for job in stored)
    section.add(
        len(stored) == count and delivered + clearly == count and stuck == 0,
        f"jobs delivered {delivered}, clearly failed {clearly}, stuck {stuck} (of {count}; {took:.0f} s)",
    )
    api = [record for record in world.comet.request_log if record.endpoint in PROVIDER_API]
    per_job = len(api) / max(count, 1)
    section.add(
        per_job <= REQUESTS_PER_JOB_BUDGET,
        f"provider requests per job: {per_job:.1f} (budget {REQUESTS_PER_JOB_BUDGET:g}; {_by_endpoint(api)})",
    )
    peak = max_rate(record.at for record in api)
    section.add(
        peak <= REQUEST_RATE_BUDGET,
        f"highest provider request rate: {peak}/s (budget {REQUEST_RATE_BUDGET})",
    )
    polls = max_rate(record.at for record in api if record.endpoint != "submit")
    section.add(
        polls <= POLL_RATE_BUDGET,
        f"highest polling rate (list/fetch): {polls}/s (budget {POLL_RATE_BUDGET}: no hot loop)",
    )


async def _wait_all_final(world: World, count: int) -> float:
    """Wait until ``count`` jobs exist and all are final, or the deadline passed; return the seconds."""
    started = time.monotonic()
    while time.monotonic() - started < CHAOS_DEADLINE:
        stored = await world.store.all_jobs()
        if len(stored) == count and all(job.status.is_final for job in stored):
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def _clearly_failed(world: World, job: Job) -> bool:
    """A failed job counts as clearly failed when its card says why and that it was not charged."""
    if job.status not in (JobStatus.FAILED, JobStatus.TIMED_OUT) or not job.error:
        return False
    card = world.discord.state.messages.get(job.card_message_id or 0)
    return card is not None and NOT_CHARGED in card_text(card)  # cards are Components V2 messages


def _by_endpoint(records: list[RequestRecord]) -> str:
    return ", ".join(f"{name} {sum(r.endpoint == name for r in records)}" for name in PROVIDER_API)


def max_rate(moments: Iterable[float], window: float = 1.0) -> int:
    """Return the most events that fall within any ``window`` seconds."""
    times = sorted(moments)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


@contextlib.contextmanager
def debug_log(path: Path) -> Iterator[None]:
    """Write every log record of this process, at DEBUG, to ``path`` while inside the block."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter([DoubleConfig().token, TEST_API_KEY]))  # as configure_logging does
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        handler.close()


# -- 3. bad inputs --------------------------------------------------------------------------


async def bad_input_section(section: Section, folder: Path, verdicts: dict[str, Verdict]) -> None:
    """Replay every case of the bad-input catalogue, each in a fresh world; keep each verdict by name."""
    failures = []
    for number, case in enumerate(BAD_INPUTS):
        verdict = await replay(case, folder / f"case-{number}")
        verdicts[case.name] = verdict
        if not verdict.refused:
            failures.append(f"{case.name}: {'; '.join(verdict.problems)}")
    refused = len(BAD_INPUTS) - len(failures)
    section.add(
        not failures and len(BAD_INPUTS) >= 40,
        f"inputs tried {len(BAD_INPUTS)}, refused as expected {refused}",
    )
    for failure in failures[:5]:
        section.add(False, failure[:160])


# -- 4. secrets -----------------------------------------------------------------------------


def secrets_section(section: Section, evidence: Evidence) -> None:
    """Search everything both runs left behind for the two secrets, and their logs for interaction tokens."""
    found = evidence.find({"DISCORD_TOKEN": DoubleConfig().token, "COMETAPI_KEY": TEST_API_KEY})
    where = f"{len(evidence.blobs)} items, {evidence.size / 1e6:.1f} MB: {', '.join(evidence.kinds)}"
    section.add(not found and bool(evidence.blobs), f"secrets found: {len(found)} (searched {where})")
    tokens = evidence.find_tokens_in_logs()
    section.add(
        not tokens and bool(evidence.tokens),
        f"interaction tokens found in the DEBUG logs: {len(tokens)} (of {len(evidence.tokens)} issued)",
    )
    for name, label in (found + tokens)[:5]:
        section.add(False, f"{name} found in {label}")


# -- 5. busy database ------------------------------------------------------------------------


async def busy_database_section(section: Section, folder: Path) -> None:
    """Run the interactions while another process holds the write lock, then let it go."""
    async with make_world(folder) as world:
        run = await members_while_locked(world)
    wrong = run.wrong_answers()
    slowest = max(run.latencies.values())
    section.add(
        not wrong,
        f"first answers while locked: {len(run.answers)} interactions, slowest {slowest * 1000:.0f} ms "
        f"(budget {WELL_WITHIN:g} s, Discord's deadline 3 s){'; ' + '; '.join(wrong) if wrong else ''}",
    )
    saved = run.settings is not None and run.settings.max_daily_per_user == 7
    section.add(
        len(run.landed) == 3 and saved,
        f"writes that waited for the lock landed after it: {len(run.landed)} of 3 jobs delivered, "
        f"settings change {'saved' if saved else 'LOST'}",
    )


# -- the report -------------------------------------------------------------------------------


async def guarded(section: Section, run: Callable[[], Awaitable[None]]) -> Section:
    """Run one part; a crash becomes a MISS line in its section instead of ending the report."""
    try:
        await run()
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        section.add(False, f"the run stopped ({Path(where.filename).name}:{where.lineno}): {exc!r}"[:300])
    return section


async def build_report(folder: Path, args: argparse.Namespace) -> list[Section]:
    """Run every part in order and return their sections."""
    evidence = Evidence()
    verdicts: dict[str, Verdict] = {}
    for name in ("kill", "chaos", "inputs", "busy", "key", "success", "two", "paused"):
        (folder / name).mkdir()
    kill = Section(f"Restarts: kill -9 with {IN_FLIGHT} jobs in flight, restart on the same database")
    chaos = Section(f"Provider chaos: {CHAOS_RATE:.0%} of CometAPI responses faulty, seed {args.seed}")
    inputs = Section("Bad input catalogue (tests/reliability/bad_inputs.py)")
    secrets = Section("Secrets: Discord token, CometAPI key, interaction tokens; both runs at DEBUG")
    busy = Section("Busy database: another process holds SQLite's write lock (issue 9)")
    sections = [
        await guarded(kill, lambda: kill_section(kill, folder / "kill", evidence)),
        await guarded(
            chaos, lambda: chaos_section(chaos, folder / "chaos", evidence, args.chaos_jobs, args.seed)
        ),
        await guarded(inputs, lambda: bad_input_section(inputs, folder / "inputs", verdicts)),
    ]
    secrets_section(secrets, evidence)
    await guarded(busy, lambda: busy_database_section(busy, folder / "busy"))
    trust = await trust_section(folder, verdicts)
    two = Section(
        "Two processes on PostgreSQL, one killed (issue 14), one paused (issue 18): shards 0 and 1 of 2"
    )
    await guarded(two, lambda: two_process_rows(two, folder / "two"))
    await guarded(two, lambda: paused_process_rows(two, folder / "paused"))
    return [*sections, secrets, busy, trust, two]


async def trust_section(folder: Path, verdicts: dict[str, Verdict]) -> Section:
    """Issue 9's trust boundaries: hostile inputs by item, a rejected key, provider successes kept."""
    trust = Section("Trust boundaries (issue 9; item 4's second bot is under Restarts, item 8 above)")
    catalogue_rows(trust, verdicts)
    await guarded(trust, lambda: rejected_key_rows(trust, folder / "key"))
    await guarded(trust, lambda: provider_success_rows(trust, folder / "success"))
    return trust


def render(sections: list[Section], started: dt.datetime, seconds: float) -> Iterator[str]:
    """Yield the report's lines."""
    yield f"Motionbot reliability report, {started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s"
    for section in sections:
        yield ""
        yield section.title
        yield from (line.render() for line in section.lines)
    lines = [line for section in sections for line in section.lines]
    misses = sum(not line.ok for line in lines)
    yield ""
    yield f"Overall: {'PASS' if misses == 0 else 'MISS'} ({len(lines) - misses} PASS, {misses} MISS)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description="Print Motionbot's one-page reliability report.")
    parser.add_argument("--chaos-jobs", type=int, default=30, help="jobs in the chaos run (default 30)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the provider chaos (default 7)")
    parser.add_argument("--keep", metavar="FOLDER", help="keep databases and logs in this new folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run everything and print the report; exit 0 only when every line is PASS."""
    args = parse_args(argv)
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    # Log records go to the chaos run's file (and the child processes' own files), not onto the page.
    logging.getLogger().addHandler(logging.NullHandler())
    with tempfile.TemporaryDirectory(prefix="motionbot-report-") as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=bool(not args.keep))
        sections = asyncio.run(build_report(folder, args))
    for line in render(sections, started, time.monotonic() - clock):
        print(line)
    return 0 if all(line.ok for section in sections for line in section.lines) else 1


if __name__ == "__main__":
    sys.exit(main())
