"""Core benchmark: many concurrent simulated video jobs through the real store and tracker.

Runs N jobs of S seconds (default 1,000 × 60 s) against the CometAPI double, started in this process
with its real-time clock, through the real ``JobStore`` (a temporary SQLite file) and the real
``JobTracker`` (``POLL_INTERVAL_SECONDS=5`` by default), and prints provider requests per job, the
tracker's CPU time per poll cycle, peak RSS, wall time and how long after the provider finished each
job the tracker noticed, with budgets marked PASS or MISS. Not a test: nothing here asserts.

The double shares the process, so CPU per cycle includes the double answering the cycle's requests
and peak RSS includes the double's own task table: both figures are upper bounds for the bot.

    .venv/bin/python -m bench.core_bench                 # the full run, about 75 s
    .venv/bin/python -m bench.core_bench --jobs 100 --duration 5 --poll-interval 1   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from pydantic import SecretStr

from bot.models import JobSource, JobStatus, Motion, NewJob, Quality
from bot.provider.cometapi import CometAPIClient
from bot.store import JobStore
from bot.tracking.events import JobEvent, JobEventKind
from bot.tracking.tracker import JobTracker
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan

API_KEY = "sk-bench-0123456789abcdef"


@dataclass(frozen=True, slots=True)
class Budget:
    """A figure's limit: the figure passes when it is at most ``limit``."""

    limit: float
    unit: str

    def verdict(self, figure: float) -> str:
        """Return PASS or MISS."""
        return "PASS" if figure <= self.limit else "MISS"


@dataclass(slots=True)
class Outcomes:
    """Records when each job reached a final state, and wakes the waiter when all have."""

    expected: int
    finished_at: dict[int, float] = field(default_factory=dict)
    statuses: dict[int, JobStatus] = field(default_factory=dict)
    submitted: set[int] = field(default_factory=set)
    all_submitted: asyncio.Event = field(default_factory=asyncio.Event)
    all_done: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, event: JobEvent) -> None:
        """Note submissions and final events (the tracker's subscriber)."""
        if event.kind is JobEventKind.SUBMITTED:
            self.submitted.add(event.job.id)
            if len(self.submitted) >= self.expected:
                self.all_submitted.set()
        if event.kind in (JobEventKind.SUCCEEDED, JobEventKind.FAILED):
            self.finished_at.setdefault(event.job.id, time.monotonic())
            self.statuses[event.job.id] = event.job.status
            if len(self.finished_at) >= self.expected:
                self.all_done.set()


class MeasuredTracker(JobTracker):
    """The real tracker, noting the CPU of every loop cycle and of every batched poll.

    Sampling from outside misses most cycles (every finished submit wakes the loop), and polls run
    as their own tasks, so the benchmark hooks both methods; nothing else is changed.
    """

    def __init__(self, store: JobStore, client: CometAPIClient, **options: Any) -> None:
        super().__init__(store, client, **options)
        self.measured_client = client
        self.cycle_cpu: list[float] = []
        self.polling_cycle_cpu: list[float] = []

    async def _cycle(self) -> None:
        started = time.process_time()
        await super()._cycle()
        self.cycle_cpu.append(time.process_time() - started)

    async def _poll(self, due: list[int]) -> None:
        await super()._poll(due)
        self.polling_cycle_cpu.append(self.last_cycle_cpu)


@dataclass(slots=True)
class LoopStallMonitor:
    """Measures how late the event loop wakes a short sleep: what an interaction would wait for."""

    period: float = 0.02
    stalls: list[float] = field(default_factory=list)

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.period)
            self.stalls.append(max(0.0, time.monotonic() - before - self.period))


@dataclass(slots=True)
class Figures:
    """What one run measured."""

    jobs: int
    duration: float
    poll_interval: float
    wall_seconds: float
    requests: dict[str, int]
    cycle_cpu: list[float]
    polling_cycle_cpu: list[float]
    loop_stalls: list[float]
    peak_rss_mb: float
    in_flight_rss_mb: float
    notice_delays: list[float]
    succeeded: int
    process_cpu: float


def new_job(index: int) -> NewJob:
    """Return the index-th simulated request."""
    return NewJob(
        requester_id=10_000 + index % 50,
        guild_id=900 + index % 5,
        channel_id=800 + index % 20,
        source=JobSource.SLASH,
        motion=Motion.LOW,
        quality=Quality.SD,
        prompt=f"bench job {index}",
        image_url=f"https://cdn.discordapp.test/attachments/1/{index}/image.png",
    )


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MiB (Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


async def run_jobs(jobs: int, duration: float, poll_interval: float, folder: Path) -> Figures:
    """Run the benchmark once and return its figures."""
    plan = TaskPlan(duration=duration)
    async with (
        CometAPIDouble.serve(api_key=API_KEY, default_plan=plan) as double,
        aiohttp.ClientSession() as http,
    ):
        store = await JobStore.open(folder / "bench.sqlite3")
        client = CometAPIClient(http, double.base_url, SecretStr(API_KEY))
        # No provider cap: the benchmark follows every job in flight at once (the queue has its own).
        tracker = MeasuredTracker(
            store,
            client,
            poll_interval=poll_interval,
            job_timeout=dt.timedelta(minutes=60),
            provider_cap=jobs,
        )
        outcomes = Outcomes(expected=jobs)
        tracker.subscribe(outcomes)
        monitor = LoopStallMonitor()
        monitoring = asyncio.create_task(monitor.run())
        cpu_started, started = time.process_time(), time.monotonic()
        await tracker.start()
        for index in range(jobs):
            await tracker.enqueue(await store.create_job(new_job(index)))
        async with asyncio.timeout(duration * 3 + 300):
            in_flight_rss = await rss_when_all_submitted(outcomes, tracker)
            await outcomes.all_done.wait()
        wall, process_cpu = time.monotonic() - started, time.process_time() - cpu_started
        monitoring.cancel()
        await asyncio.gather(monitoring, return_exceptions=True)
        await tracker.stop()
        delays = await notice_delays(store, double, outcomes, duration)
        await store.close()
    statuses = outcomes.statuses.values()
    return Figures(
        jobs=jobs,
        duration=duration,
        poll_interval=poll_interval,
        wall_seconds=wall,
        requests=dict(client.request_counts),
        cycle_cpu=tracker.cycle_cpu,
        polling_cycle_cpu=tracker.polling_cycle_cpu,
        loop_stalls=monitor.stalls,
        peak_rss_mb=peak_rss_mb(),
        in_flight_rss_mb=in_flight_rss,
        notice_delays=delays,
        succeeded=sum(status is JobStatus.SUCCEEDED for status in statuses),
        process_cpu=process_cpu,
    )


async def rss_when_all_submitted(outcomes: Outcomes, tracker: JobTracker) -> float:
    """Return the RSS in MiB (psutil) once every job is submitted, or NaN if some finished first."""
    await outcomes.all_submitted.wait()
    if tracker.in_flight < outcomes.expected:
        return float("nan")
    return float(psutil.Process().memory_info().rss) / (1024 * 1024)


async def notice_delays(
    store: JobStore, double: CometAPIDouble, outcomes: Outcomes, duration: float
) -> list[float]:
    """Return, per succeeded job, seconds from the provider finishing to the tracker's event."""
    delays = []
    for job_id, noticed in outcomes.finished_at.items():
        job = await store.get_job(job_id)
        task = double.tasks.get(job.provider_task_id or "") if job is not None else None
        if task is not None and outcomes.statuses[job_id] is JobStatus.SUCCEEDED:
            delays.append(noticed - (task.created_at + duration))
    return delays


def percentile(values: Sequence[float], share: float) -> float:
    """Return the nearest-rank percentile (0 < share <= 1) of ``values``."""
    ordered = sorted(values)
    return (
        ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))] if ordered else float("nan")
    )


def report(figures: Figures) -> list[str]:
    """Return the printed report: each figure with its budget and PASS or MISS."""
    requests = sum(figures.requests.values())
    cpu_ms = [seconds * 1000 for seconds in figures.cycle_cpu] or [float("nan")]
    polling_ms = [seconds * 1000 for seconds in figures.polling_cycle_cpu] or [float("nan")]
    delays = figures.notice_delays or [float("nan")]
    stalls_ms = [seconds * 1000 for seconds in figures.loop_stalls] or [float("nan")]
    counts = ", ".join(f"{name} {count}" for name, count in sorted(figures.requests.items()))
    lines = [
        (
            f"core benchmark: {figures.jobs} jobs of {figures.duration:g} s, "
            f"POLL_INTERVAL_SECONDS={figures.poll_interval:g}"
        ),
        f"  provider requests: {requests} ({counts})",
        f"  tracker cycles: {len(figures.cycle_cpu)}, of which {len(figures.polling_cycle_cpu)} polled",
        f"  CPU per cycle (all):     {spread(cpu_ms, 'ms')}",
        f"  CPU per cycle (polling): {spread(polling_ms, 'ms')}",
        f"  provider done -> tracker event: {spread(delays, 's')}",
        f"  event-loop stall (20 ms probe): {spread(stalls_ms, 'ms')}",
        (
            f"  process CPU for the run: {figures.process_cpu:.2f} s "
            f"({figures.process_cpu / figures.jobs * 1000:.2f} ms per job, double included)"
        ),
        "",
        f"  {'figure':<40}{'value':>10}  {'budget':>12}  verdict",
    ]
    for name, figure, budget in budgets(figures, requests, cpu_ms, polling_ms, delays, stalls_ms):
        limit = f"<= {budget.limit:g} {budget.unit}".rstrip()
        lines.append(f"  {name:<40}{figure:>10.2f}  {limit:>12}  {budget.verdict(figure)}")
    return lines


def spread(values: Sequence[float], unit: str) -> str:
    """Return mean, p50, p95 and max of ``values``."""
    return (
        f"mean {statistics.fmean(values):.2f} {unit}, p50 {percentile(values, 0.5):.2f} {unit}, "
        f"p95 {percentile(values, 0.95):.2f} {unit}, max {max(values):.2f} {unit}"
    )


def budgets(
    figures: Figures,
    requests: int,
    cpu_ms: Sequence[float],
    polling_ms: Sequence[float],
    delays: Sequence[float],
    stalls_ms: Sequence[float],
) -> list[tuple[str, float, Budget]]:
    """Return each budgeted figure: provider cost, CPU, responsiveness, memory, promptness, completeness.

    A cycle may use at most a fifth of a poll interval of CPU, and one batched poll (every due job
    in one go, the double's answer included) at most a tenth, so polling never takes more than a
    small share of one core; the loop itself must never stall longer than the 100 ms aimed for an
    interaction's acknowledgement.
    """
    return [
        ("provider requests per job", requests / figures.jobs, Budget(2.0, "")),
        (
            "tracker CPU per polling cycle, mean",
            statistics.fmean(polling_ms),
            Budget(figures.poll_interval * 100, "ms"),
        ),
        ("tracker CPU per cycle, max", max(cpu_ms), Budget(figures.poll_interval * 200, "ms")),
        ("event-loop stall, max", max(stalls_ms), Budget(100.0, "ms")),
        ("RSS with every job in flight", figures.in_flight_rss_mb, Budget(200.0, "MiB")),
        ("peak RSS", figures.peak_rss_mb, Budget(200.0, "MiB")),
        ("provider done -> tracker event, p95", percentile(delays, 0.95), Budget(figures.poll_interval, "s")),
        ("wall time", figures.wall_seconds, Budget(figures.duration + 6 * figures.poll_interval, "s")),
        ("jobs that did not succeed", figures.jobs - figures.succeeded, Budget(0, "")),
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=1000, help="concurrent jobs (default 1000)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each job takes (default 60)")
    parser.add_argument("--poll-interval", type=float, default=5.0, help="POLL_INTERVAL_SECONDS (default 5)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.duration < 0 or args.poll_interval <= 0:
        parser.error("--jobs must be >= 1, --duration >= 0 and --poll-interval > 0")
    return args


async def amain(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its report."""
    args = parse_args(argv)
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="motionbot-bench-") as folder:
        figures = await run_jobs(args.jobs, args.duration, args.poll_interval, Path(folder))
    print("\n".join(report(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(amain()))
