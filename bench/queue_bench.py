"""Queue benchmark (issue 10): a busy hour with the default limits, and a deep queue.

Two scenarios, each in a fresh interpreter, the real bot between both doubles (as in ``e2e_bench``):

* busy hour: 100 ``/animate`` from 20 members within 2 s with the DEFAULT limits (2 running and 10
  waiting per member, 10 a day per member, 100 a day per server, ``PROVIDER_MAX_RUNNING`` default),
  ``POLL_INTERVAL_SECONDS=0.3``, jobs of 3-6 s. Run for Motionbot and for the naive baseline (one
  polling task per job, no queue). Delivered / refused, acknowledgement latency, the most tasks
  running at the provider at any instant, status calls per job and per poll interval, Discord 429s.
* deep queue: 1,100 ``/animate`` from 110 members (10 each) at 50 a second with
  ``PROVIDER_MAX_RUNNING=100`` and jobs too long to finish in the window: 100 running and 1,000
  waiting. Acknowledgement latency over the whole ramp and for its last 100 commands (an
  interaction that scanned the queue would slow down as it grows), peak RSS, Discord 429s.

Not a test: nothing here asserts; budgets are printed with PASS or MISS.

    .venv/bin/python -m bench.queue_bench
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.e2e_probes import RssSampler, WarningCounter, rss_bytes
from bench.e2e_scenarios import watching_the_loop
from bench.e2e_world import BotKind, acknowledgements, add_members, doubles, fire, running_bot, wait_until
from bot.models import JobStatus
from tests.doubles.cometapi_double import CometAPIDouble
from tests.doubles.cometapi_jobs import TaskPlan
from tests.e2e.harness import World, settings_for

F = TypeVar("F")
MIB = 1024 * 1024
BUSY_JOBS, BUSY_MEMBERS, BUSY_SPREAD, BUSY_POLL = 100, 20, 2.0, 0.3
BUSY_DURATION = (3.0, 6.0)
DEEP_MEMBERS, DEEP_PER_MEMBER, DEEP_RATE, DEEP_RUNNING = 110, 10, 50.0, 100
ACK_P99_BUDGET = 0.050
RSS_BUDGET = 200 * MIB


# The busy hour's runs: (bot, label, settings on top of the defaults). "all at once" lifts the
# provider cap and the member running limit so every job runs together: the polling cost per job
# without a queue, for comparison with the naive baseline.
BUSY_RUNS: list[tuple[BotKind, str, dict[str, Any]]] = [
    ("motionbot", "motionbot", {}),
    ("motionbot", "motionbot, all at once", {"provider_max_running": 100, "max_concurrent_jobs_per_user": 5}),
    ("naive", "naive", {}),
]


@dataclass(slots=True)
class BusyFigures:
    """What the busy hour measured for one bot."""

    kind: BotKind
    label: str = ""
    cap: int = 0
    acks: list[float] = field(default_factory=list)
    refused: int = 0
    delivered: int = 0
    most_running: int = 0
    lists: int = 0
    rounds: int = 0
    fetches: int = 0
    lookups: int = 0
    rate_limited: int = 0
    wall: float = 0.0


@dataclass(slots=True)
class DeepFigures:
    """What the deep queue measured."""

    acks: list[float] = field(default_factory=list)
    refused: int = 0
    running: int = 0
    waiting: int = 0
    rss_before: int = 0
    rss_peak: int = 0
    rate_limited: int = 0
    ramp: float = 0.0
    loop_stalls: list[float] = field(default_factory=list)
    full_gc_pauses: list[float] = field(default_factory=list)


def base_settings(poll: float) -> dict[str, Any]:
    """Production settings where the e2e harness shortens them; the limits stay at their defaults."""
    return {
        "poll_interval_seconds": poll,
        "card_edit_interval_seconds": 4.0,
        "provider_timeout_seconds": 30,
        "provider_max_retries": 4,
        "log_level": "WARNING",
    }


def plan_busy_durations(comet: CometAPIDouble) -> None:
    """Give job i a seeded duration between 3 and 6 s (matched by its ``#i;`` prompt)."""
    draw = random.Random(10)
    for index in range(BUSY_JOBS):
        comet.plan_tasks(TaskPlan(duration=draw.uniform(*BUSY_DURATION)), prompt=f"#{index};")


def most_at_once(comet: CometAPIDouble) -> int:
    """Return the most provider tasks running at one instant (from creation to their planned end)."""
    edges = sorted(
        edge
        for task in comet.tasks.values()
        for edge in ((task.created_at, 1), (task.created_at + task.plan.duration, -1))
    )
    running = best = 0
    for _, step in edges:
        running += step
        best = max(best, running)
    return best


def poll_rounds(moments: Sequence[float], gap: float = 0.05) -> int:
    """Count the polls: status calls closer than ``gap`` seconds belong to one poll (50 ids a call)."""
    rounds, last = 0, -1e9
    for moment in sorted(moments):
        if moment - last > gap:
            rounds += 1
        last = moment
    return rounds


async def busy_scenario(kind: BotKind, label: str, extra: dict[str, Any], folder: Path) -> BusyFigures:
    """Run the busy hour for one bot."""
    figures = BusyFigures(kind, label)
    async with doubles(BUSY_DURATION[1]) as (discord, comet):
        members = await add_members(discord, BUSY_MEMBERS)
        settings = settings_for(discord, comet, folder, **base_settings(BUSY_POLL), **extra)
        figures.cap = settings.provider_max_running
        plan_busy_durations(comet)
        async with running_bot(kind, settings, discord) as bot:
            world = World(discord=discord, comet=comet, settings=settings, bot=bot)
            started = time.monotonic()
            handles = await fire(world, members, BUSY_JOBS, BUSY_SPREAD)
            figures.acks, figures.refused = await acknowledgements(handles)

            async def all_final() -> bool:
                jobs = await world.store.all_jobs()
                return len(jobs) >= BUSY_JOBS - figures.refused and all(job.status.is_final for job in jobs)

            await wait_until(all_final, within=180, tick=0.1)
            figures.wall = time.monotonic() - started
            jobs = await world.store.all_jobs()
        figures.delivered = sum(job.status is JobStatus.DELIVERED for job in jobs)
        figures.most_running = most_at_once(comet)
        figures.lists, figures.fetches = comet.counts["list"], comet.counts["fetch"]
        figures.rounds = poll_rounds([r.at for r in comet.request_log if r.endpoint in ("list", "fetch")])
        figures.lookups = sum(len(ids) for ids in comet.list_queries) + comet.counts["fetch"]
        figures.rate_limited = discord.rate_limited_count
    return figures


async def deep_scenario(folder: Path) -> DeepFigures:
    """Fill the queue to 100 running and 1,000 waiting, by slash command."""
    figures = DeepFigures()
    total = DEEP_MEMBERS * DEEP_PER_MEMBER
    async with doubles(3600.0) as (discord, comet):
        members = await add_members(discord, DEEP_MEMBERS)
        overrides = {
            **base_settings(5.0),
            "provider_max_running": DEEP_RUNNING,
            "max_daily_jobs_per_guild": 100_000,  # the operator's budget for one very busy server
        }
        settings = settings_for(discord, comet, folder, **overrides)
        figures.rss_before = rss_bytes()
        with RssSampler() as sampler:
            async with running_bot("motionbot", settings, discord) as bot:
                world = World(discord=discord, comet=comet, settings=settings, bot=bot)
                gc.freeze()  # as ``python -m bot run`` does once everything is built
                started = time.monotonic()
                async with watching_the_loop(figures):  # type: ignore[arg-type]
                    handles = await fire(world, members, total, total / DEEP_RATE)
                    figures.acks, figures.refused = await acknowledgements(handles)
                figures.ramp = time.monotonic() - started
                accepted = total - figures.refused

                async def settled() -> bool:
                    stored = sum((await world.store.count_by_status()).values())
                    return stored >= accepted and comet.counts["submit"] >= DEEP_RUNNING

                await wait_until(settled, within=60, tick=0.1)
                counts = await world.store.count_by_status()
                figures.waiting = counts[JobStatus.QUEUED]
                figures.running = sum(counts[s] for s in (JobStatus.SUBMITTING, JobStatus.SUBMITTED))
                figures.running += counts[JobStatus.RUNNING]
                figures.rate_limited = discord.rate_limited_count
        figures.rss_peak = sampler.peak
    return figures


# -- processes and the report ----------------------------------------------------------------


def run_busy(kind: BotKind, label: str, extra: dict[str, Any]) -> BusyFigures:
    """Run the busy hour in this (fresh) process."""
    WarningCounter.install()
    with tempfile.TemporaryDirectory(prefix="motionbot-queue-bench-") as folder:
        return asyncio.run(busy_scenario(kind, label, extra, Path(folder)))


def run_deep() -> DeepFigures:
    """Run the deep queue in this (fresh) process."""
    WarningCounter.install()
    with tempfile.TemporaryDirectory(prefix="motionbot-queue-bench-") as folder:
        return asyncio.run(deep_scenario(Path(folder)))


def isolated(work: Callable[..., F], *args: Any) -> F:
    """Run ``work(*args)`` in a fresh interpreter and return what it returns."""
    started = time.monotonic()
    print(f"  {work.__name__}{args[:2]} ...", end="", file=sys.stderr, flush=True)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(work, *args).result()
    print(f" {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return result


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the ``fraction`` quantile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[round(fraction * 1000) - 1]


def verdict(ok: bool) -> str:
    """Return PASS or MISS."""
    return "PASS" if ok else "MISS"


def intervals(figures: BusyFigures) -> float:
    """Return how many poll intervals the busy hour lasted."""
    return max(figures.wall / BUSY_POLL, 1.0)


def delivered_all(figures: BusyFigures) -> str:
    """Return PASS when every job of the busy hour was delivered."""
    return verdict(figures.delivered == BUSY_JOBS)


def busy_lines(bots: Sequence[BusyFigures]) -> list[str]:
    """Render the busy hour for both bots side by side."""
    rows: list[tuple[str, Callable[[BusyFigures], str]]] = [
        (
            "delivered of 100 / refused",
            lambda f: f"{f.delivered} / {f.refused} {verdict(f.delivered == BUSY_JOBS)}",
        ),
        ("ack latency p50", lambda f: f"{percentile(f.acks, 0.5) * 1000:.1f} ms"),
        (
            "ack latency p99 (budget 50 ms)",
            lambda f: f"{percentile(f.acks, 0.99) * 1000:.1f} ms {verdict(percentile(f.acks, 0.99) < 0.05)}",
        ),
        ("ack latency max", lambda f: f"{max(f.acks, default=0) * 1000:.1f} ms"),
        (
            "most tasks running at the provider at once",
            lambda f: f"{f.most_running} (cap {f.cap}) {verdict(f.most_running <= f.cap)}",
        ),
        ("list-by-condition calls", lambda f: f"{f.lists} (+{f.fetches} single fetches)"),
        ("status calls per job (list + fetch)", lambda f: f"{(f.lists + f.fetches) / BUSY_JOBS:.2f}"),
        ("polls per poll interval (50 ids a call)", lambda f: f"{f.rounds / intervals(f):.2f}"),
        ("status calls per poll interval", lambda f: f"{(f.lists + f.fetches) / intervals(f):.2f}"),
        ("task ids looked up per job", lambda f: f"{f.lookups / BUSY_JOBS:.1f}"),
        ("Discord 429s", lambda f: f"{f.rate_limited} {verdict(f.rate_limited == 0)}"),
        ("wall time", lambda f: f"{f.wall:.1f} s"),
    ]
    header = f"{'busy hour (default limits)':<46}" + "".join(f"{f.label:<24}" for f in bots)
    return [header, "-" * len(header)] + [
        f"{name:<46}" + "".join(f"{show(f):<24}" for f in bots) for name, show in rows
    ]


def deep_lines(figures: DeepFigures) -> list[str]:
    """Render the deep queue."""
    p99, last = percentile(figures.acks, 0.99), percentile(figures.acks[-100:], 0.99)
    total = DEEP_MEMBERS * DEEP_PER_MEMBER
    rss_ok, no_429 = verdict(figures.rss_peak < RSS_BUDGET), verdict(figures.rate_limited == 0)
    return [
        f"deep queue: {total} /animate from {DEEP_MEMBERS} members, PROVIDER_MAX_RUNNING={DEEP_RUNNING}",
        "-" * 80,
        f"accepted / refused                       {total - figures.refused} / {figures.refused}",
        f"running / waiting at the end of the ramp {figures.running} / {figures.waiting}",
        f"ack latency p50                          {percentile(figures.acks, 0.5) * 1000:.1f} ms",
        f"ack latency p99 (budget 50 ms)           {p99 * 1000:.1f} ms {verdict(p99 < ACK_P99_BUDGET)}",
        f"ack latency p99 of the last 100          {last * 1000:.1f} ms {verdict(last < ACK_P99_BUDGET)}",
        f"ack latency max                          {max(figures.acks, default=0) * 1000:.1f} ms",
        f"event-loop stall max (10 ms probe)       {max(figures.loop_stalls, default=0) * 1000:.1f} ms",
        f"full garbage collection, longest         {max(figures.full_gc_pauses, default=0) * 1000:.1f} ms",
        f"ramp                                     {figures.ramp:.1f} s",
        f"RSS before the bot (both doubles up)     {figures.rss_before / MIB:.1f} MiB",
        f"RSS peak (bot + both doubles)            {figures.rss_peak / MIB:.1f} MiB {rss_ok} (< 200 MiB)",
        f"Discord 429s                             {figures.rate_limited} {no_429}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run both scenarios and print the report."""
    parser = argparse.ArgumentParser(prog="scripts/bench queue_bench", description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    print("running (progress on stderr):", file=sys.stderr, flush=True)
    started = time.monotonic()
    busy = [isolated(run_busy, kind, label, extra) for kind, label, extra in BUSY_RUNS]
    deep = isolated(run_deep)
    wall = f"total wall time: {time.monotonic() - started:.0f} s"
    lines = [*busy_lines(busy), "", *deep_lines(deep), "", wall]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
